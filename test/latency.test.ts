// Latency as the SDK measures it: from the last send of a final's last
// sample to the final's arrival, against the emulator's slow-answer fault.
import { dtmfSamples, startEmulator, type Emulator, type FaultPlan } from '@stt-stream/emulator';
import { createTranscriber, type TranscriberOptions, type TranscriptMetrics } from '@stt-stream/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, finalsOf, framesOf } from './helpers.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const fx = dtmfSamples('1234 5678 90#* AB12 3C4D');
let n = 0;
const urlWith = (plan: FaultPlan) => `${emulator.url}?fault=${encodeURIComponent(JSON.stringify({ times: 1, key: `lat${++n}`, ...plan }))}`;

async function measure(plan: FaultPlan | string, options: Partial<TranscriberOptions> = {}) {
  const t = createTranscriber({ model: 'dtmf', url: typeof plan === 'string' ? plan : urlWith(plan), ...options });
  const metrics: TranscriptMetrics[] = [];
  const arrivedAt: number[] = [];
  let reconnectingAt = -1;
  t.events.on('metrics', (m) => {
    metrics.push(m);
    arrivedAt.push(Date.now());
  });
  t.events.on('reconnecting', () => (reconnectingAt = Date.now()));
  const events = await collect(framesOf(fx.samples, 16000, 1).pipeThrough(t));
  return { events, metrics, arrivedAt, reconnectingAt, stats: t.stats };
}

describe('latency', () => {
  it('a server that answers 150 ms late: the reported p50 is 150 ms more than a prompt one, within a few ms', async () => {
    // A first stream warms up the process (the client and the emulator share its event loop): the prompt
    // figure is then what the loopback and the emulator take, not the compiler's first pass.
    await measure({});
    const prompt = await measure({});
    const slow = await measure({ delayMs: 150 });
    for (const run of [prompt, slow]) {
      // One metrics event per final, each with its latency.
      expect(run.metrics.map((m) => m.final.text)).toEqual(finalsOf(run.events).map((f) => f.text));
      expect(run.metrics.every((m) => typeof m.latencyMs === 'number')).toBe(true);
      expect(run.stats.latency.count).toBe(finalsOf(run.events).length);
    }
    // The known delay, plus the few ms the emulator and the loopback take (the prompt run's p50 is the rest).
    expect(slow.stats.latency.p50!).toBeGreaterThanOrEqual(150);
    expect(slow.stats.latency.p50!).toBeLessThanOrEqual(150 + 30);
    expect(prompt.stats.latency.p50!).toBeLessThan(slow.stats.latency.p50! - 100);
    expect(slow.stats.latency.p95!).toBeGreaterThanOrEqual(slow.stats.latency.p50!);
    expect(slow.stats.latency.max!).toBeGreaterThanOrEqual(slow.stats.latency.p95!);
    expect(slow.stats.latency.firstInterimP50!).toBeGreaterThanOrEqual(150);
    // The last metrics event carries the stream's figures so far.
    expect(slow.metrics.at(-1)!.latency).toEqual(slow.stats.latency);
  });

  it('across a reconnect the latency counts from the resend of the replayed audio, not from before the outage', async () => {
    // Every connection answers 100 ms late; the first drops after 1.5 s of audio (before the
    // first utterance's final), and the reconnect waits at least 400 ms.
    const slow = await startEmulator({ faults: (ctx) => (ctx.index === 0 ? { delayMs: 100, drop: { afterBytes: 48_000 } } : { delayMs: 100 }) });
    const run = await measure(slow.url, { reconnect: { minDelayMs: 400, maxDelayMs: 800, retries: 4 }, realtimeFactor: 4 }).finally(() => slow.close());
    expect(finalsOf(run.events).map((f) => f.text)).toEqual(['one two three four', 'five six seven eight', 'nine zero pound star', 'A B one two', 'three C four D']);
    expect(run.stats).toMatchObject({ connections: 2, reconnects: 1 });
    expect(run.stats.replayedSeconds).toBeGreaterThan(0);
    const latencies = run.metrics.map((m) => m.latencyMs!);
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(100);
    // Every final came on the second connection, after the reconnect began: measured from the
    // resend (which came after that), its latency is at most the time since then; measured from
    // the first send, before the outage and the 400 ms or more of backoff, it would be more.
    expect(run.reconnectingAt).toBeGreaterThan(0);
    run.metrics.forEach((m, i) => {
      expect(run.arrivedAt[i]!).toBeGreaterThan(run.reconnectingAt);
      expect(m.latencyMs!).toBeLessThanOrEqual(run.arrivedAt[i]! - run.reconnectingAt - 400);
    });
    expect(run.metrics.at(-1)).toMatchObject({ connections: 2, reconnects: 1 });
  });
});
