import { describe, expect, it } from 'vitest';
import { isAuthorized, offeredCredentials, selectProtocol } from './credentials.ts';
import { parseStreamParams } from './stream-params.ts';

describe('parseStreamParams', () => {
  it('fills the defaults', () => {
    expect(parseStreamParams(new URLSearchParams('model_id=whisper-1'))).toEqual({
      ok: true,
      params: { model: 'whisper-1', language: null, providerId: null, encoding: 'pcm_s16le', sampleRate: 16000, channels: 1, interimResults: true },
    });
  });

  it('reads every parameter and ignores unknown ones', () => {
    const q = new URLSearchParams('model_id=m&language=es&provider_id=p&encoding=pcm_s16le&sample_rate=8000&channels=2&interim_results=false&x=1');
    expect(parseStreamParams(q)).toEqual({
      ok: true,
      params: { model: 'm', language: 'es', providerId: 'p', encoding: 'pcm_s16le', sampleRate: 8000, channels: 2, interimResults: false },
    });
  });

  it('accepts the limits of sample_rate', () => {
    expect(parseStreamParams(new URLSearchParams('model_id=m&sample_rate=48000')).ok).toBe(true);
    expect(parseStreamParams(new URLSearchParams('model_id=m&sample_rate=8000')).ok).toBe(true);
    expect(parseStreamParams(new URLSearchParams('model_id=m&sample_rate=-16000'))).toMatchObject({ ok: false, param: 'sample_rate' });
  });
});

describe('credentials', () => {
  it('reads the bearer header and the token after the bearer subprotocol', () => {
    expect(offeredCredentials({ authorization: 'Bearer k1', 'sec-websocket-protocol': 'bearer, k2' })).toEqual(['k1', 'k2']);
    expect(offeredCredentials({ authorization: 'bearer  k1 ' })).toEqual(['k1']);
    expect(offeredCredentials({ authorization: 'Basic k1', 'sec-websocket-protocol': 'k2, bearer' })).toEqual([]);
  });

  it('authorizes a matching key, or anyone when there are no keys', () => {
    expect(isAuthorized(['a', 'b'], { 'sec-websocket-protocol': 'bearer, b' })).toBe(true);
    expect(isAuthorized(['a'], { authorization: 'Bearer ab' })).toBe(false);
    expect(isAuthorized(undefined, {})).toBe(true);
  });

  it('selects bearer when offered', () => {
    expect(selectProtocol(new Set(['bearer', 'tok']))).toBe('bearer');
    expect(selectProtocol(new Set(['chat']))).toBe(false);
  });
});
