import { execFileSync } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transcribe, type Transcription } from '@stt-stream/core';
import { dtmfWav, startEmulator, type Emulator, type EmulatorOptions } from '@stt-stream/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectFinals, streamUrlFor, transcribeFile, transcribeFrames } from './transcribe-file.ts';
import { rejection } from '../../../test/rejection.ts';

// Batch and stream transcription against the real emulator
// (packages/emulator): its tone engine hears DTMF keys as words, its
// `batchFaults` script error statuses, and `stats` counts what it received.

const KEY = 'sk_test_transcribe_file';
let dir: string;
const path = (name: string) => join(dir, name);
let emulator: Emulator | undefined;
const fast = { minRetryDelayMs: 1, maxRetryDelayMs: 5 };

async function start(options: EmulatorOptions = {}): Promise<Emulator> {
  emulator = await startEmulator({ apiKeys: [KEY], ...options });
  return emulator;
}
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'transcribe-file-'));
  writeFileSync(path('keys.wav'), dtmfWav('123 45').wav);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const words = (t: Transcription) => (t.words ?? []).map((w) => w.word);

describe('transcribeFile', () => {
  it('transcribeFile - uploads a small file to the batch endpoint and returns the transcription', async () => {
    const emu = await start();
    const result = await transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl });
    expect(result.text).toBe('one two three four five');
    expect(words(result)).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(result.duration).toBeGreaterThan(1);
    expect(emu.stats.batchRequests).toBe(1);
    expect(emu.stats.connections).toBe(0);
  });

  it('transcribeFile - mode stream gives the same Transcription shape through the streaming endpoint', async () => {
    const emu = await start();
    const batch = await transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, mode: 'batch' });
    const progress: number[] = [];
    const finals: string[] = [];
    const streamed = await transcribeFile(path('keys.wav'), {
      model: 'whisper-1',
      apiKey: KEY,
      baseUrl: emu.httpUrl,
      mode: 'stream',
      onProgress: ({ seconds }) => progress.push(seconds),
      onFinal: (f) => finals.push(f.text),
    });
    expect(emu.stats.batchRequests).toBe(1);
    expect(emu.stats.accepted).toBe(1);
    expect(streamed.text).toBe(batch.text);
    expect(words(streamed)).toEqual(words(batch));
    expect(finals).toEqual(['one two three', 'four five']);
    for (const [i, w] of (streamed.words ?? []).entries()) {
      expect(w.start).toBeCloseTo(batch.words![i]!.start, 2);
      expect(w.end).toBeCloseTo(batch.words![i]!.end, 2);
    }
    expect(streamed.duration).toBeCloseTo(batch.duration, 2);
    expect(progress.at(-1)).toBeCloseTo(streamed.duration, 3);
  });

  it('transcribeFile - auto streams a file over 25 MB instead of uploading it', async () => {
    // The keys, then silence, at 48 kHz stereo: over 25 MB.
    execFileSync('sox', [path('keys.wav'), '-r', '48000', '-c', '2', path('big.wav'), 'pad', '0', '140']);
    const emu = await start();
    const result = await transcribeFile(path('big.wav'), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl });
    expect(result.text).toBe('one two three four five');
    expect(emu.stats.batchRequests).toBe(0);
    expect(emu.stats.accepted).toBe(1);
    expect(result.duration).toBeGreaterThan(140);
  });

  it('transcribeFile - mode batch refuses a file over 25 MB with 413 without sending a byte', async () => {
    const fd = openSync(path('huge.wav'), 'w');
    writeSync(fd, Buffer.from(dtmfWav('1').wav.subarray(0, 44)));
    ftruncateSync(fd, 26_214_401);
    closeSync(fd);
    const emu = await start();
    const err = await rejection(transcribeFile(path('huge.wav'), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, mode: 'batch' }));
    expect(err).toMatchObject({ code: 'invalid_input', status: 413, param: 'audio' });
    expect(err.message).toContain(path('huge.wav'));
    await new Promise((r) => setTimeout(r, 50));
    expect(emu.stats.batchRequests).toBe(0);
  });

  it('transcribeFile - `url` is the gateway for both endpoints, as for createTranscriber (`baseUrl` the same)', async () => {
    const emu = await start();
    const batch = await transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, url: emu.httpUrl });
    const streamed = await transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, url: emu.httpUrl, mode: 'stream' });
    // The ws:// streaming URL names the same gateway, for a batch call too.
    const fromWs = await transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, url: emu.url, mode: 'batch' });
    for (const r of [batch, streamed, fromWs]) expect(r.text).toBe('one two three four five');
    expect(emu.stats.batchRequests).toBe(2);
    expect(emu.stats.accepted).toBe(1);
    const both = await transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, url: emu.httpUrl, baseUrl: 'http://127.0.0.1:9' }).catch((e: unknown) => e);
    expect(both).toEqual(
      new TypeError('Invalid options `url` and `baseUrl`: they are the same option (the gateway) and were given two different values; pass one of them'),
    );
  });

  it('transcribeFile - in stream mode maxRetryTimeMs is the reconnect budget; onRetry is batch only (transcribeFrames refuses it)', async () => {
    // Every upgrade refused with 429 and Retry-After: 3600.
    const emu = await start({ faults: { refuse: { status: 429, retryAfter: 3600 } } });
    const told: unknown[] = [];
    const started = performance.now();
    const err = await rejection(
      transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: KEY, url: emu.httpUrl, mode: 'stream', maxRetryTimeMs: 90_000, onRetry: (i) => told.push(i) }),
    );
    expect(performance.now() - started).toBeLessThan(3000);
    // The stream gives up as a stream does: connection_failed, the server's error its cause, retryAfterMs kept.
    expect(err).toMatchObject({ code: 'connection_failed', status: 429, retryAfterMs: 3_600_000, cause: { code: 'rate_limited' } });
    expect(err.message).toMatch(
      /^Gave up reconnecting after the server asked to wait 3600 s before trying again \(Retry-After\), longer than `reconnect\.maxRetryTimeMs` \(90000 ms\) allows: /,
    );
    expect(emu.stats.connections).toBe(1);
    expect(told).toEqual([]);
    const frames = await transcribeFrames(new ReadableStream(), { model: 'whisper-1', url: emu.httpUrl, onRetry: () => {} } as never).catch((e: unknown) => e);
    expect(frames).toBeInstanceOf(TypeError);
    expect((frames as TypeError).message).toMatch(/^Unknown option `onRetry` for transcribeFrames\(\); transcribeFrames\(\) takes `model`, .*`maxRetryTimeMs`, /);
  });

  it('transcribeFile - an unknown option is a TypeError naming it (and the one meant); nothing is sent', async () => {
    const emu = await start();
    for (const [options, message] of [
      [{ baseURL: emu.httpUrl }, 'Unknown option `baseURL` for transcribeFile(); did you mean `baseUrl`?'],
      [{ url: emu.httpUrl, apikey: KEY }, 'Unknown option `apikey` for transcribeFile(); did you mean `apiKey`?'],
      [{ url: emu.httpUrl, apiKey: KEY, retry: 2 }, 'Unknown option `retry` for transcribeFile(); did you mean `retries`?'],
    ] as const) {
      const err = await transcribeFile(path('keys.wav'), { model: 'whisper-1', ...options } as never).catch((e: unknown) => e);
      expect(err).toEqual(new TypeError(message));
    }
    expect(emu.stats.batchRequests + emu.stats.connections).toBe(0);
  });

  it('transcribeFile - no key and no `url`: unauthenticated at once, before reading the file, in both modes', async () => {
    for (const mode of ['batch', 'stream', 'auto'] as const) {
      const err = await rejection(transcribeFile(path('nope.wav'), { model: 'whisper-1', mode }));
      expect(err).toMatchObject({ code: 'unauthenticated', retryable: false, param: 'apiKey' });
      expect(err.message).toBe(
        'No API key for the hosted gateway (gateway.llm-stats.com): pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY); ' +
          'or, to use a server that needs none such as the local emulator, pass its `url`',
      );
    }
  });

  it('transcribeFile - a missing file names it', async () => {
    const err = await rejection(transcribeFile(path('nope.wav'), { model: 'whisper-1', url: 'http://127.0.0.1:9' }));
    expect(err.message).toBe(`Cannot read ${path('nope.wav')}: no such file`);
  });

  it('transcribeFile - an extension the gateway does not list falls back on the magic bytes', async () => {
    writeFileSync(path('keys.audio'), dtmfWav('7').wav);
    const emu = await start();
    const result = await transcribeFile(path('keys.audio'), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl });
    expect(result.text).toBe('seven');
  });

  it('transcribeFile - a bad key is unauthenticated (401), not retried, and the key is in no message', async () => {
    const emu = await start();
    const err = await rejection(transcribeFile(path('keys.wav'), { model: 'whisper-1', apiKey: 'sk_wrong_key', baseUrl: emu.httpUrl, retries: 3, ...fast }));
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401, retryable: false });
    expect(err.requestId).toMatch(/^req_/);
    expect(err.message).not.toContain('sk_wrong_key');
    expect(emu.stats.batchRequests).toBe(1);
  });
});

describe('transcribe against the emulator', () => {
  const wav = () => dtmfWav('9').wav;

  for (const status of [400, 402, 413]) {
    it(`transcribe - ${status} is not retried (one request seen)`, async () => {
      const emu = await start({ batchFaults: { statuses: [status] } });
      const err = await rejection(transcribe(wav(), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, retries: 3, ...fast }));
      expect(err.status).toBe(status);
      expect(err.code).toBe(status === 402 ? 'insufficient_quota' : 'invalid_input');
      expect(err.retryable).toBe(false);
      expect(err.requestId).toBe(emu.stats.batch[0]!.requestId);
      expect(emu.stats.batchRequests).toBe(1);
    });
  }

  it('transcribe - 429 (Retry-After 1), 502 and 503 are retried, then it succeeds (four requests seen)', async () => {
    const emu = await start({ batchFaults: { statuses: [429, 502, 503], retryAfter: '1' } });
    const started = Date.now();
    const result = await transcribe(wav(), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, retries: 3, ...fast });
    expect(result.text).toBe('nine');
    expect(emu.stats.batchRequests).toBe(4);
    expect(emu.stats.batch.map((b) => b.status)).toEqual([429, 502, 503, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited out Retry-After
  });

  it('transcribe - retries are bounded: with retries 2, three 502s fail with provider_unavailable', async () => {
    const emu = await start({ batchFaults: { statuses: [502, 502, 502, 502] } });
    const err = await rejection(transcribe(wav(), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, retries: 2, ...fast }));
    expect(err).toMatchObject({ code: 'provider_unavailable', status: 502, retryable: true });
    expect(emu.stats.batchRequests).toBe(3);
  });

  it('transcribe - a 429 with an HTTP-date Retry-After is honoured', async () => {
    const when = new Date(Date.now() + 2000).toUTCString();
    const emu = await start({ batchFaults: { statuses: [429], retryAfter: when } });
    const started = Date.now();
    await transcribe(wav(), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, ...fast });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(emu.stats.batchRequests).toBe(2);
  });

  it('transcribe - a server that never answers times out', async () => {
    const emu = await start({ batchFaults: { statuses: [], delayMs: 5000 } });
    const err = await rejection(transcribe(wav(), { model: 'whisper-1', apiKey: KEY, baseUrl: emu.httpUrl, timeoutMs: 200, retries: 0 }));
    expect(err.code).toBe('timeout');
  });

  it('transcribe - nothing listening is connection_failed after the retries', async () => {
    const emu = await start();
    const url = emu.httpUrl;
    await emu.close();
    emulator = undefined;
    const err = await rejection(transcribe(wav(), { model: 'whisper-1', baseUrl: url, retries: 1, ...fast }));
    expect(err).toMatchObject({ code: 'connection_failed', retryable: true });
  });
});

describe('streamUrlFor and collectFinals', () => {
  it('streamUrlFor - maps a gateway URL to its streaming endpoint', () => {
    expect(streamUrlFor()).toBe('wss://gateway.llm-stats.com/v1/stt/stream');
    expect(streamUrlFor('http://127.0.0.1:9/')).toBe('ws://127.0.0.1:9/v1/stt/stream');
    expect(streamUrlFor('http://h/v1/stt/transcribe')).toBe('ws://h/v1/stt/stream');
  });

  it('collectFinals - joins texts, concatenates words, weights confidence by duration', () => {
    const final = (text: string, start: number, end: number, confidence: number | null, ws: string[] | null) => ({
      type: 'final' as const, text, start, end, confidence, language: 'en', channel: 0,
      words: ws ? ws.map((word, i) => ({ word, start: start + i * 0.1, end: start + i * 0.1 + 0.05, confidence: null })) : null,
    });
    const t = collectFinals([final('a b', 0, 1, 0.5, ['a', 'b']), final(' ', 1, 2, null, null), final('c', 2, 5, 1, ['c'])], 6, 'm');
    expect(t).toMatchObject({ text: 'a b c', duration: 6, language: 'en', model: 'm' });
    expect(t.confidence).toBeCloseTo((0.5 * 1 + 1 * 3) / 4);
    expect(t.words!.map((w) => w.word)).toEqual(['a', 'b', 'c']);
    expect(collectFinals([], 0, 'm')).toEqual({ text: '', duration: 0, language: null, confidence: null, words: null, model: 'm' });
  });
});
