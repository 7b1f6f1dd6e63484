import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from './emulator.ts';
import { dtmfWav } from './fixtures/dtmf-wav.ts';

const KEY = 'cors-key';
/** A page served from another port of the same host, as in the browser tests. */
const ORIGIN = 'http://127.0.0.1:63315';

function form(audio: Uint8Array<ArrayBuffer>): FormData {
  const body = new FormData();
  body.append('model_id', 'm');
  body.append('audio', new Blob([audio], { type: 'audio/wav' }), 'keys.wav');
  return body;
}

function expectCors(res: Response): void {
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(res.headers.get('access-control-expose-headers')).toBe('x-request-id, retry-after');
}

describe('CORS on the HTTP endpoints', () => {
  let emulator: Emulator;
  let endpoint: string;
  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: [KEY], batchFaults: ({ headers }) => (headers['x-test-status'] ? { status: Number(headers['x-test-status']) } : undefined) });
    endpoint = `${emulator.httpUrl}/v1/stt/transcribe`;
  });
  afterAll(() => emulator.close());

  it('answers the preflight of a fetch with Authorization and a multipart body: 204, no credential needed, not counted as a batch request', async () => {
    const res = await fetch(endpoint, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(res.status).toBe(204);
    expectCors(res);
    expect(res.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(Number(res.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
    expect(emulator.stats.batchRequests).toBe(0);
  });

  it('marks a cross-origin POST readable, its x-request-id and retry-after exposed', async () => {
    const res = await fetch(endpoint, { method: 'POST', headers: { origin: ORIGIN, authorization: `Bearer ${KEY}` }, body: form(dtmfWav('7').wav) });
    expect(res.status).toBe(200);
    expectCors(res);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect((await res.json()).text).toBe('seven');
  });

  it('sends the CORS headers with every error: 401, an injected 429, 405, 404, 426', async () => {
    const unauthenticated = await fetch(endpoint, { method: 'POST', headers: { origin: ORIGIN }, body: form(dtmfWav('7').wav) });
    expect(unauthenticated.status).toBe(401);
    expectCors(unauthenticated);
    const limited = await fetch(endpoint, { method: 'POST', headers: { origin: ORIGIN, authorization: `Bearer ${KEY}`, 'x-test-status': '429' }, body: form(dtmfWav('7').wav) });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expectCors(limited);
    const get = await fetch(endpoint, { headers: { origin: ORIGIN } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');
    expectCors(get);
    const other = await fetch(`${emulator.httpUrl}/nothing`, { headers: { origin: ORIGIN } });
    expect(other.status).toBe(404);
    expectCors(other);
    const stream = await fetch(`${emulator.httpUrl}/v1/stt/stream`, { headers: { origin: ORIGIN } });
    expect(stream.status).toBe(426);
    expectCors(stream);
    await Promise.all([unauthenticated, limited, get, other, stream].map((r) => r.arrayBuffer()));
  });
});
