import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SttError } from '../errors.ts';
import { assertSubprotocolToken, buildStreamUrl, parseServerMessage } from './gateway-dialect.ts';

const params = { model: 'whisper-1', sampleRate: 16000, channels: 1, interimResults: true };

describe('gateway dialect', () => {
  it('buildStreamUrl - adds the dialect parameters and keeps the base query', () => {
    const url = new URL(buildStreamUrl('ws://127.0.0.1:9/v1/stt/stream?fault=x', { ...params, language: 'en' }));
    expect(url.searchParams.get('fault')).toBe('x');
    expect(url.searchParams.get('model_id')).toBe('whisper-1');
    expect(url.searchParams.get('encoding')).toBe('pcm_s16le');
    expect(url.searchParams.get('sample_rate')).toBe('16000');
    expect(url.searchParams.get('channels')).toBe('1');
    expect(url.searchParams.get('interim_results')).toBe('true');
    expect(url.searchParams.get('language')).toBe('en');
    expect(url.searchParams.has('provider_id')).toBe(false);
  });

  it('buildStreamUrl - turns https into wss and refuses credentials in the URL', () => {
    expect(buildStreamUrl('https://gateway.example/v1/stt/stream', params).startsWith('wss://')).toBe(true);
    expect(() => buildStreamUrl('wss://g.example/s?api_key=abc', params)).toThrow(/credentials do not go in a URL/);
    expect(() => buildStreamUrl('not a url', params)).toThrow(TypeError);
    expect(() => buildStreamUrl('ftp://x/', params)).toThrow(/ws:, wss:/);
  });

  it('assertSubprotocolToken - takes keys, JWTs and base64url; refuses + / = and spaces without echoing them', () => {
    expect(() => assertSubprotocolToken('ze_abc123')).not.toThrow();
    expect(() => assertSubprotocolToken('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_')).not.toThrow();
    for (const bad of ['a+b', 'a/b', 'abc=', 'a b', '', 'é']) {
      let message = '';
      try {
        assertSubprotocolToken(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(TypeError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/Invalid option `token`/);
      if (bad.length > 1) expect(message).not.toContain(bad);
    }
  });

  it('parseServerMessage - reads a transcript', () => {
    const msg = parseServerMessage(
      JSON.stringify({
        type: 'transcript', is_final: true, text: 'one two', start: 0.25, end: 0.8, confidence: null, language: 'en', channel: 0,
        words: [{ word: 'one', start: 0.25, end: 0.35, confidence: 0.9 }], extra: 1,
      }),
    );
    expect(msg).toEqual({
      type: 'transcript', isFinal: true, text: 'one two', start: 0.25, end: 0.8, confidence: null, language: 'en', channel: 0,
      words: [{ word: 'one', start: 0.25, end: 0.35, confidence: 0.9 }],
    });
  });

  it('parseServerMessage - unknown types pass as unknown; malformed ones are protocol errors', () => {
    expect(parseServerMessage('{"type":"metadata","x":1}')).toEqual({ type: 'unknown', name: 'metadata' });
    for (const bad of ['not json', '[]', '{"no":"type"}', '{"type":"transcript","text":"x"}', '{"type":"session.started"}', '{"type":"error","error":{}}']) {
      try {
        parseServerMessage(bad);
        expect.unreachable(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(SttError);
        expect((err as SttError).code).toBe('protocol_error');
      }
    }
    expect(() => parseServerMessage(new Uint8Array([1, 2]))).toThrow(/binary/);
  });

  it('parseServerMessage - arbitrary JSON never crashes and never pollutes prototypes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('transcript', 'session.started', 'error', 'speech_started', 'session.ended'), (value, type) => {
        const text = JSON.stringify(typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value, type } : value);
        try {
          parseServerMessage(text);
        } catch (err) {
          expect((err as SttError).code).toBe('protocol_error');
        }
      }),
    );
    const polluted = parseServerMessage('{"type":"transcript","is_final":false,"text":"x","start":0,"end":1,"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((polluted as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });
});
