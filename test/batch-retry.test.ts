// The batch client's retry rule (packages/core/src/retry.ts; docs/protocol.md,
// "Retrying") against the real emulator over HTTP on 127.0.0.1. The
// emulator's `batchFaults` answers each request as the test scripts it and
// stamps when the request arrived, so every wait is measured where a gateway
// sees it: from one request's arrival to the next's.
import { mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SttRateLimitError, transcribe, transcribeFile, type BatchRetryInfo } from '@stt-stream/node';
import { dtmfWav, startEmulator, type BatchFault } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nothingLeftRunning } from './hostile-servers.ts';
import { rejection } from './rejection.ts';

const KEY = 'sk_test_batch_retry';
const WAV = dtmfWav('9').wav;
const cleanup = nothingLeftRunning();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'batch-retry-'));
  // Node keeps one FileHandleReadWrap for good after the process's first read of an
  // `fs.openAsBlob` Blob (one in all, however many are read): read one before
  // nothingLeftRunning takes its baseline, so that it counts only what a test leaves.
  writeFileSync(join(dir, 'warm.wav'), WAV);
  await (await openAsBlob(join(dir, 'warm.wav'))).arrayBuffer();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An emulator whose batch endpoint answers request `index` with `answer(index)` (undefined: transcribes). */
async function gateway(answer: (index: number) => BatchFault | undefined) {
  const arrivals: number[] = [];
  const emu = await startEmulator({
    apiKeys: [KEY],
    batchFaults: ({ index }) => {
      arrivals.push(performance.now());
      return answer(index);
    },
  });
  cleanup(() => emu.close());
  /** The time between one request's arrival and the next's, ms. */
  const gaps = () => arrivals.slice(1).map((t, i) => t - arrivals[i]!);
  return { emu, url: emu.httpUrl, arrivals, gaps };
}

/** `onRetry`, recording what it was told. */
function retries() {
  const told: BatchRetryInfo[] = [];
  return { told, onRetry: (info: BatchRetryInfo) => void told.push(info) };
}

describe('batch retries: one rule for Retry-After, backoff and budget', () => {
  it("a 429 with Retry-After: 1 waits the server's 1 s, with no backoff on top of it (the defaults)", async () => {
    const gw = await gateway((i) => (i === 0 ? { status: 429, retryAfter: '1' } : undefined));
    const r = retries();
    const result = await transcribe(WAV, { model: 'whisper-1', apiKey: KEY, url: gw.url, onRetry: r.onRetry });
    expect(result.text).toBe('nine');
    expect(gw.emu.stats.batch.map((b) => b.status)).toEqual([429, 200]);
    expect(r.told).toHaveLength(1);
    expect(r.told[0]).toMatchObject({ attempt: 2, delayMs: 1000, error: { code: 'rate_limited', status: 429, retryAfterMs: 1000 } });
    // Waiting Retry-After and then backing off (500 to 1000 ms by default) would put this at 1.5 s or more.
    const [gap] = gw.gaps();
    expect(gap).toBeGreaterThanOrEqual(995);
    expect(gap).toBeLessThan(1450);
  });

  it('a 429 with Retry-After: 3600 fails at once with rate_limited, the wait it asked for and the option that refuses it; one attempt', async () => {
    const gw = await gateway(() => ({ status: 429, retryAfter: '3600' }));
    const r = retries();
    const started = performance.now();
    const err = await rejection(transcribe(WAV, { model: 'whisper-1', apiKey: KEY, url: gw.url, onRetry: r.onRetry }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(SttRateLimitError);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3_600_000, retryable: true, requestId: gw.emu.stats.batch[0]!.requestId });
    expect(err.message).toBe(
      'Transcription failed: 429 Injected fault: 429; gave up after 1 attempt: the server asked to wait 3600 s before trying again (Retry-After), longer than `maxRetryTimeMs` (60000 ms) allows',
    );
    expect(r.told).toEqual([]);
    expect(gw.emu.stats.batchRequests).toBe(1);

    // transcribeFile says which file, and keeps the rest.
    const file = join(dir, 'nine.wav');
    writeFileSync(file, WAV);
    const viaFile = await rejection(transcribeFile(file, { model: 'whisper-1', apiKey: KEY, url: gw.url, maxRetryTimeMs: 120_000 }));
    expect(viaFile).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3_600_000 });
    expect(viaFile.message).toBe(
      `${file}: Transcription failed: 429 Injected fault: 429; gave up after 1 attempt: the server asked to wait 3600 s before trying again (Retry-After), longer than \`maxRetryTimeMs\` (120000 ms) allows`,
    );
    expect(gw.emu.stats.batchRequests).toBe(2);
  });

  it('a 503 without Retry-After backs off within the jitter range, doubling: [min, 2·min), then [2·min, 4·min)', async () => {
    const gw = await gateway((i) => (i < 2 ? { status: 503 } : undefined));
    const r = retries();
    const result = await transcribe(WAV, { model: 'whisper-1', apiKey: KEY, url: gw.url, minRetryDelayMs: 300, maxRetryDelayMs: 5000, onRetry: r.onRetry });
    expect(result.text).toBe('nine');
    expect(gw.emu.stats.batch.map((b) => b.status)).toEqual([503, 503, 200]);
    expect(r.told.map((t) => [t.attempt, t.error.code, t.error.retryAfterMs])).toEqual([
      [2, 'server_error', undefined],
      [3, 'server_error', undefined],
    ]);
    const [d1, d2] = r.told.map((t) => t.delayMs) as [number, number];
    expect(d1).toBeGreaterThanOrEqual(300);
    expect(d1).toBeLessThanOrEqual(600);
    expect(d2).toBeGreaterThanOrEqual(600);
    expect(d2).toBeLessThanOrEqual(1200);
    // The gaps at the gateway are those delays (plus a request's round trip), nothing more.
    const [g1, g2] = gw.gaps() as [number, number];
    expect(g1).toBeGreaterThanOrEqual(d1 - 5);
    expect(g1).toBeLessThan(d1 + 300);
    expect(g2).toBeGreaterThanOrEqual(d2 - 5);
    expect(g2).toBeLessThan(d2 + 300);
  });

  it('maxRetryTimeMs bounds the whole: no attempt starts past it, and the last error says why it was the last', async () => {
    const gw = await gateway(() => ({ status: 503 }));
    const started = performance.now();
    const err = await rejection(
      transcribe(WAV, { model: 'whisper-1', apiKey: KEY, url: gw.url, retries: 100, minRetryDelayMs: 100, maxRetryDelayMs: 200, maxRetryTimeMs: 1000 }),
    );
    const took = performance.now() - started;
    expect(err).toMatchObject({ code: 'server_error', status: 503, retryable: true });
    const m = /^Transcription failed: 503 Injected fault: 503; gave up after (\d+) attempts: (\d+(?:\.\d)?) s of retrying, and the next attempt would pass `maxRetryTimeMs` \(1000 ms\)$/.exec(err.message);
    expect(m, err.message).not.toBeNull();
    expect(Number(m![1])).toBe(gw.arrivals.length);
    expect(gw.arrivals.length).toBeGreaterThanOrEqual(4); // 100 to 200 ms apart
    // From the first failure (after the first arrival) to the start of the last attempt: within the budget.
    expect(gw.arrivals.at(-1)! - gw.arrivals[0]!).toBeLessThan(1000 + 100);
    expect(took).toBeLessThan(1000 + 600);
  });

  it("a Retry-After within the budget but over what is left of it ends the retries, saying what was left", async () => {
    const gw = await gateway(() => ({ status: 429, retryAfter: '1' }));
    const err = await rejection(transcribe(WAV, { model: 'whisper-1', apiKey: KEY, url: gw.url, retries: 5, maxRetryTimeMs: 1500 }));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 1000 });
    expect(err.message).toMatch(
      /^Transcription failed: 429 Injected fault: 429; gave up after 2 attempts: the server asked to wait 1 s before trying again \(Retry-After\), more than the 0\.[3-5] s left of `maxRetryTimeMs` \(1500 ms\) after 1(\.[0-2])? s of retrying$/,
    );
    expect(gw.emu.stats.batchRequests).toBe(2);
  });

  it('signal.abort() during a wait ends the call at once with aborted (no timer left behind)', async () => {
    const gw = await gateway(() => ({ status: 429, retryAfter: '30' }));
    const controller = new AbortController();
    let abortedAt = 0;
    const call = transcribe(WAV, {
      model: 'whisper-1',
      apiKey: KEY,
      url: gw.url,
      signal: controller.signal,
      onRetry: () =>
        void setTimeout(() => {
          abortedAt = performance.now();
          controller.abort();
        }, 100),
    });
    const err = await rejection(call);
    expect(performance.now() - abortedAt).toBeLessThan(200);
    expect(err).toMatchObject({ code: 'aborted', retryable: false, message: 'Transcription was aborted' });
    expect((err.cause as Error).name).toBe('AbortError');
    expect(gw.emu.stats.batchRequests).toBe(1);
  });

  it('what onRetry throws ends the call with that error, and no further attempt is made', async () => {
    const gw = await gateway(() => ({ status: 503 }));
    const mine = new Error('stop here');
    await expect(
      transcribe(WAV, {
        model: 'whisper-1',
        apiKey: KEY,
        url: gw.url,
        onRetry: () => {
          throw mine;
        },
      }),
    ).rejects.toBe(mine);
    expect(gw.emu.stats.batchRequests).toBe(1);
  });
});
