import { describe, expect, it } from 'vitest';
import { MAX_BATCH_BYTES, readTranscription, transcribe, transcribeUrl } from './transcribe.ts';
import { rejection } from '../../../../test/rejection.ts';

// The batch client with an injected `fetch` that reads the request the way a
// server would (`Request#formData`). The same client against the emulator's
// real endpoint is tested in packages/node/src/transcribe-file.test.ts.

const RESULT = {
  text: 'one two',
  duration: 1.5,
  language: 'en',
  confidence: 0.9,
  words: [
    { word: 'one', start: 0.1, end: 0.3, confidence: 0.9 },
    { word: 'two', start: 0.5, end: 0.7, confidence: null },
  ],
  model: 'whisper-1',
};

const WAV = new Uint8Array([...new TextEncoder().encode('RIFF'), 36, 0, 0, 0, ...new TextEncoder().encode('WAVEfmt '), ...new Array(32).fill(0)]);

interface Seen {
  url: string;
  headers: Headers;
  form: FormData;
  /** The multipart body as sent. */
  body: string;
}

function fakeFetch(responses: (Response | Error)[], seen: Seen[] = []): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = await req.clone().text();
    seen.push({ url: req.url, headers: req.headers, form: await req.formData(), body });
    const next = responses.shift() ?? new Response('no more responses', { status: 599 });
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const envelope = (code: string, message: string, param?: string) => ({ error: { code, message, ...(param ? { param } : {}) } });

const fast = { minRetryDelayMs: 1, maxRetryDelayMs: 2 };
/** A gateway of the tests' own (a call to the hosted one without a key fails before `fetch`). */
const GW = 'https://gw.test';

describe('transcribe', () => {
  it('transcribe - posts multipart audio, model_id, language, provider_id and the bearer key', async () => {
    const seen: Seen[] = [];
    const result = await transcribe(WAV, {
      model: 'whisper-1',
      apiKey: 'sk_live_x',
      language: 'en',
      providerId: 'openai',
      baseUrl: 'http://gw.test/prefix/',
      fetch: fakeFetch([json(200, RESULT, { 'x-request-id': 'r1' })], seen),
    });
    expect(result).toEqual(RESULT);
    expect(seen[0]!.url).toBe('http://gw.test/prefix/v1/stt/transcribe');
    expect(seen[0]!.headers.get('authorization')).toBe('Bearer sk_live_x');
    const form = seen[0]!.form;
    expect(form.get('model_id')).toBe('whisper-1');
    expect(form.get('language')).toBe('en');
    expect(form.get('provider_id')).toBe('openai');
    const file = form.get('audio') as File;
    expect(file.name).toBe('audio.wav'); // sniffed from the bytes
    // The part's type as sent (Bun's `formData()` would re-derive it from the name: audio/x-wav).
    expect(seen[0]!.body).toMatch(/content-type: audio\/wav\r\n/i);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(WAV);
  });

  it('transcribe - over 25 MB fails with invalid_input, status 413, before sending anything', async () => {
    const seen: Seen[] = [];
    const big = new Blob([WAV, new Uint8Array(MAX_BATCH_BYTES)]);
    const err = await rejection(transcribe(big, { model: 'whisper-1', url: GW, fetch: fakeFetch([], seen) }));
    expect(err).toMatchObject({ code: 'invalid_input', status: 413, param: 'audio', retryable: false });
    expect(seen).toHaveLength(0);
    // Exactly the limit is allowed.
    const limit = new Blob([WAV, new Uint8Array(MAX_BATCH_BYTES - WAV.length)]);
    await transcribe(limit, { model: 'whisper-1', url: GW, fetch: fakeFetch([json(200, RESULT)], seen) });
    expect(seen).toHaveLength(1);
  });

  it('transcribe - a file name the gateway does not list, or bytes of no known format, fail before sending', async () => {
    const seen: Seen[] = [];
    const f = fakeFetch([], seen);
    expect(await rejection(transcribe(WAV, { model: 'm', url: GW, fileName: 'talk.aiff', fetch: f }))).toMatchObject({ code: 'invalid_input', param: 'audio' });
    expect((await rejection(transcribe(new File([WAV], 'notes.txt'), { model: 'm', url: GW, fetch: f }))).message).toMatch(/"\.txt"/);
    expect((await rejection(transcribe(new Uint8Array(100), { model: 'm', url: GW, fetch: f }))).message).toMatch(/pass `fileName`/);
    expect(seen).toHaveLength(0);
  });

  it("transcribe - a File lends its name; fileName overrides it", async () => {
    const seen: Seen[] = [];
    await transcribe(new File([WAV], 'Call.MP3'), { model: 'm', url: GW, fetch: fakeFetch([json(200, RESULT)], seen) });
    expect((seen[0]!.form.get('audio') as File).name).toBe('Call.MP3');
    await transcribe(new File([WAV], 'x.mp3'), { model: 'm', url: GW, fileName: 'y.flac', fetch: fakeFetch([json(200, RESULT)], seen) });
    expect((seen[1]!.form.get('audio') as File).name).toBe('y.flac');
  });

  it('transcribe - 429 is retried after Retry-After, then succeeds', async () => {
    const seen: Seen[] = [];
    const started = Date.now();
    const result = await transcribe(WAV, {
      model: 'm',
      url: GW,
      ...fast,
      fetch: fakeFetch([json(429, envelope('rate_limited', 'slow down'), { 'retry-after': '1' }), json(200, RESULT)], seen),
    });
    expect(result.text).toBe('one two');
    expect(seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('transcribe - 502, 503 and network errors are retried `retries` times, then the last error is thrown', async () => {
    const seen: Seen[] = [];
    const err = await rejection(
      transcribe(WAV, {
        model: 'm',
        url: GW,
        retries: 2,
        ...fast,
        fetch: fakeFetch(
          [
            json(502, envelope('provider_unavailable', 'all down')),
            new TypeError('fetch failed'),
            json(503, envelope('server_error', 'restarting'), { 'x-request-id': 'req_3' }),
          ],
          seen,
        ),
      }),
    );
    expect(seen).toHaveLength(3);
    expect(err).toMatchObject({ code: 'server_error', status: 503, requestId: 'req_3', retryable: true });
  });

  for (const [status, code] of [
    [400, 'invalid_input'],
    [401, 'unauthenticated'],
    [402, 'insufficient_quota'],
    [413, 'invalid_input'],
  ] as const) {
    it(`transcribe - ${status} is never retried and keeps code, status, param and request id`, async () => {
      const seen: Seen[] = [];
      const err = await rejection(
        transcribe(WAV, {
          model: 'm',
          apiKey: 'sk_secret',
          retries: 5,
          ...fast,
          fetch: fakeFetch([json(status, envelope(code, 'nope', 'model_id'), { 'x-request-id': `req_${status}` })], seen),
        }),
      );
      expect(seen).toHaveLength(1);
      expect(err).toMatchObject({ code, status, param: 'model_id', requestId: `req_${status}`, retryable: false });
      expect(err.message).not.toContain('sk_secret');
    });
  }

  it('transcribe - a server that echoes the key: it is redacted from the message and param', async () => {
    const key = 'sk_live_echoed_42';
    const err = await rejection(
      transcribe(WAV, {
        model: 'm',
        apiKey: key,
        fetch: fakeFetch([json(401, { error: { code: 'unauthenticated', message: `Invalid API key ${key} (${encodeURIComponent(key)})`, param: key } })]),
      }),
    );
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401, param: '[redacted]' });
    expect(err.message).toBe('Transcription failed: 401 Invalid API key [redacted] ([redacted])');
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain(key);
  });

  it('transcribe - a 404 (not a gateway at that URL) is not_found, not retried', async () => {
    const seen: Seen[] = [];
    const err = await rejection(transcribe(WAV, { model: 'm', url: GW, retries: 3, ...fast, fetch: fakeFetch([new Response('Not Found', { status: 404 })], seen) }));
    expect(err).toMatchObject({ code: 'not_found', status: 404, retryable: false });
    expect(err.message).toBe('Transcription failed: 404 not found (is the URL the gateway?)');
    expect(seen).toHaveLength(1);
  });

  it('transcribe - asks fetch not to follow redirects, and refuses a 3xx it gets', async () => {
    let redirect: RequestRedirect | undefined;
    const f = (async (_input: RequestInfo | URL, init?: RequestInit) => {
      redirect = init?.redirect;
      return new Response(null, { status: 308, headers: { location: 'https://elsewhere.example:8443/v1/stt/transcribe?x=1' } });
    }) as typeof fetch;
    const err = await rejection(transcribe(WAV, { model: 'm', url: GW, retries: 3, ...fast, fetch: f }));
    expect(redirect).toBe('manual');
    expect(err).toMatchObject({ code: 'connection_failed', status: 308, retryable: false });
    expect(err.message).toBe(
      'Transcription failed: 308 redirect to https://elsewhere.example:8443, not followed: redirects are refused (point the client at the address that answers)',
    );
  });

  it('transcribe - a 200 that is not a transcription is a protocol_error', async () => {
    const err = await rejection(transcribe(WAV, { model: 'm', url: GW, fetch: fakeFetch([json(200, { txt: 'x' }, { 'x-request-id': 'rq' })]) }));
    expect(err).toMatchObject({ code: 'protocol_error', status: 200, requestId: 'rq', retryable: false });
    const html = await rejection(transcribe(WAV, { model: 'm', url: GW, fetch: fakeFetch([new Response('<html>', { status: 200 })]) }));
    expect(html.code).toBe('protocol_error');
  });

  it('transcribe - a slow attempt times out (retryable) and the signal aborts', async () => {
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const timeout = await rejection(transcribe(WAV, { model: 'm', url: GW, timeoutMs: 30, retries: 1, ...fast, fetch: hang }));
    expect(timeout).toMatchObject({ code: 'timeout', retryable: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const aborted = await rejection(transcribe(WAV, { model: 'm', url: GW, signal: controller.signal, fetch: hang }));
    expect(aborted).toMatchObject({ code: 'aborted', retryable: false });
  });

  it('transcribe - bad options are TypeError or RangeError naming the field', async () => {
    await expect(transcribe(WAV, { model: '' })).rejects.toThrow(/`model`/);
    await expect(transcribe(WAV, { model: 'm', retries: -1 })).rejects.toThrow(RangeError);
    await expect(transcribe(WAV, { model: 'm', timeoutMs: 0 })).rejects.toThrow(/`timeoutMs`/);
    await expect(transcribe(WAV, { model: 'm', baseUrl: 'ftp://x' })).rejects.toThrow(/`baseUrl`/);
    await expect(transcribe(WAV, { model: 'm', baseUrl: 'https://x/?api_key=k' })).rejects.toThrow(/credentials/);
    await expect(transcribe('x' as unknown as Uint8Array, { model: 'm' })).rejects.toThrow(/`audio`/);
    for (const bad of [-1, 1.5, 3_600_001, '60000', Number.NaN]) {
      await expect(transcribe(WAV, { model: 'm', url: GW, maxRetryTimeMs: bad as number })).rejects.toThrow(
        new RangeError(`Invalid option \`maxRetryTimeMs\`: expected an integer from 0 to 3600000 (an hour), got ${String(bad)}`),
      );
    }
    await expect(transcribe(WAV, { model: 'm', url: GW, onRetry: 'log' as unknown as () => void })).rejects.toThrow(new TypeError('Invalid option `onRetry`: expected a function'));
    await expect(transcribe(WAV, { model: 'm', url: GW, maxRetryTime: 1000 } as never)).rejects.toThrow(
      new TypeError('Unknown option `maxRetryTime` for transcribe(); did you mean `maxRetryTimeMs`?'),
    );
  });
});

describe('transcribeUrl', () => {
  it('transcribeUrl - joins the path, and maps a ws(s) stream URL to its gateway', () => {
    expect(transcribeUrl()).toBe('https://gateway.llm-stats.com/v1/stt/transcribe');
    expect(transcribeUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080/v1/stt/transcribe');
    expect(transcribeUrl('ws://127.0.0.1:8080/v1/stt/stream')).toBe('http://127.0.0.1:8080/v1/stt/transcribe');
  });
});

describe('readTranscription', () => {
  it('readTranscription - accepts null language, confidence and words, rejects wrong shapes', () => {
    expect(readTranscription({ text: '', duration: 0, language: null, confidence: null, words: null, model: 'm' })).toEqual({
      text: '', duration: 0, language: null, confidence: null, words: null, model: 'm',
    });
    expect(readTranscription({ ...RESULT, words: [{ word: 'x', start: 'a', end: 1 }] })).toBeNull();
    expect(readTranscription({ ...RESULT, duration: '1' })).toBeNull();
    expect(readTranscription([])).toBeNull();
  });
});
