// Reconnect without losing or repeating audio, against the emulator's fault injection.
import { dtmfSamples, startEmulator, type Emulator, type FaultPlan } from '@stt-stream/emulator';
import { SttError, createTranscriber, type TranscriberOptions, type TranscriptEvent } from '@stt-stream/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, finalsOf, framesOf, sleep, wordsOf, type Final } from './helpers.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

// Five utterances, about 7.5 s of 16 kHz mono audio.
const fx = dtmfSamples('1234 5678 90#* AB12 3C4D');
let keyCounter = 0;

const fast = { minDelayMs: 20, maxDelayMs: 200, retries: 6 };

function urlWith(plan: FaultPlan & { times?: number; key?: string }, base = emulator.url): string {
  const withKey = { times: 1, key: `k${++keyCounter}`, ...plan };
  return `${base}?fault=${encodeURIComponent(JSON.stringify(withKey))}`;
}

async function transcribeFixture(options: Partial<TranscriberOptions> & { url: string }, samples = fx.samples) {
  const t = createTranscriber({ model: 'dtmf', reconnect: fast, ...options });
  const reconnecting: SttError[] = [];
  const reconnected: number[] = [];
  t.events.on('reconnecting', ({ cause }) => reconnecting.push(cause));
  t.events.on('reconnected', ({ replayedSeconds }) => reconnected.push(replayedSeconds));
  const events = await collect(framesOf(samples, 16000, 1, () => 1600).pipeThrough(t));
  return { events, reconnecting, reconnected, stats: t.stats };
}

/** The finals equal the fault-free transcript: same texts, each once, word times within 20 ms. */
function expectWhole(events: TranscriptEvent[], tones = fx.tones) {
  expect(events.filter((e) => e.type === 'gap')).toEqual([]);
  const words = wordsOf(events);
  expect(words.map((w) => w.word)).toEqual(tones.map((t) => t.word));
  words.forEach((w, i) => {
    expect(Math.abs(w.start - tones[i]!.start), `start of word ${i}`).toBeLessThan(0.02);
    expect(Math.abs(w.end - tones[i]!.end), `end of word ${i}`).toBeLessThan(0.02);
  });
  const finals = finalsOf(events);
  for (let i = 1; i < finals.length; i++) expect(finals[i]!.start).toBeGreaterThanOrEqual(finals[i - 1]!.end);
}

describe('reconnect and replay', () => {
  const faults: [string, FaultPlan][] = [
    ['a drop with no close frame after 1.5 s of audio (1006)', { drop: { afterBytes: 48_000 } }],
    ['a drop after 100 ms (audio paced at 20× real time)', { drop: { afterMs: 100 } }],
    ['close 1001 going away', { close: { code: 1001, afterBytes: 100_000 } }],
    ['close 1011 internal error', { close: { code: 1011, afterBytes: 70_000 } }],
    ['close 1012 service restart', { close: { code: 1012, afterBytes: 120_000 } }],
    ['close 1013 try again later', { close: { code: 1013, afterBytes: 30_000 } }],
    ['close 4010 maximum session length', { close: { code: 4010, afterBytes: 90_000 } }],
    ['close 4029 rate limited with retry_after', { close: { code: 4029, afterBytes: 60_000, retryAfter: 0.2 } }],
    ['close 4502 provider unavailable', { close: { code: 4502, afterBytes: 150_000 } }],
    ['an upgrade refused with 429 and Retry-After', { refuse: { status: 429, retryAfter: 0.2 } }],
    ['an upgrade refused with 502', { refuse: { status: 502 } }],
    ['an upgrade refused with 503', { refuse: { status: 503 } }],
    ['a server that answers slowly', { delayMs: 150 }],
    ['a server that stops reading for 800 ms', { stall: { forMs: 800, afterBytes: 64_000 } }],
    ['a session that reaches its maximum length', { maxSessionSeconds: 2.5 }],
  ];
  for (const [name, plan] of faults) {
    it(`survives ${name}: the transcript equals the fault-free one`, async () => {
      const before = emulator.stats.perConnection.length;
      const paced = 'drop' in plan && plan.drop?.afterMs !== undefined;
      const run = await transcribeFixture({ url: urlWith(plan), ...(paced ? { realtimeFactor: 20 } : {}) });
      expectWhole(run.events);
      const records = emulator.stats.perConnection.slice(before);
      // The fault did fire, on the first connection only.
      if (!('delayMs' in plan)) expect(records[0]!.faults.length + (records[0]!.refusedStatus ? 1 : 0)).toBeGreaterThan(0);
      expect(records.slice(1).every((r) => r.faults.length === 0)).toBe(true);
      if (!('delayMs' in plan) && !('stall' in plan)) expect(run.reconnecting.length).toBeGreaterThanOrEqual(1);
    });
  }

  it('a 4029 close waits out retry_after before reconnecting', async () => {
    const started = Date.now();
    const run = await transcribeFixture({ url: urlWith({ close: { code: 4029, afterBytes: 32_000, retryAfter: 0.6 } }) });
    expectWhole(run.events);
    expect(run.reconnecting[0]).toMatchObject({ code: 'rate_limited', retryAfterMs: 600 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('reports the replayed audio and the new session on reconnect', async () => {
    const run = await transcribeFixture({ url: urlWith({ drop: { afterBytes: 40_000 } }) });
    expectWhole(run.events);
    expect(run.reconnected).toHaveLength(1);
    expect(run.reconnected[0]!).toBeGreaterThan(0);
    expect(run.stats.connections).toBe(2);
  });

  it('a connection that goes silent is dropped and replayed, also without a ping', async () => {
    // 48 kHz stereo fills the socket buffers; the server stops reading for good.
    const big = dtmfSamples('1234 5678 90#* AB12', { sampleRate: 48000, channels: 2, tailMs: 20_000 });
    const t = createTranscriber({
      model: 'dtmf',
      url: urlWith({ stall: { forMs: 60_000, afterBytes: 400_000 } }),
      sampleRate: 48000,
      channels: 2,
      stallTimeoutMs: 800,
      reconnect: fast,
    });
    const causes: string[] = [];
    t.events.on('reconnecting', ({ cause }) => causes.push(cause.code));
    const events = await collect(framesOf(big.samples, 48000, 2, () => 4800).pipeThrough(t));
    // Both channels carry the same keys: each channel's finals are whole.
    for (const channel of [0, 1]) expectWhole(events.filter((e) => e.type === 'gap' || ('channel' in e && e.channel === channel)), big.tones);
    expect(causes).toEqual(['connection_lost']);
  });

  it('a server that stops reading once all the audio is in its socket buffers: `end` goes unanswered, the connection is replaced', async () => {
    // 7.5 s of 16 kHz audio fits in the kernel's buffers, so the send buffer never looks stuck.
    const run = await transcribeFixture({ url: urlWith({ stall: { forMs: 60_000, afterBytes: 20_000 } }), stallTimeoutMs: 500 });
    expectWhole(run.events);
    expect(run.reconnecting.map((e) => e.code)).toEqual(['connection_lost']);
  });

  it('a drop after `end` was sent still reconnects, replays and ends properly', async () => {
    // Every server message is 400 ms late, and the connection drops at 300 ms: after
    // the client sent all its audio and `end`, before `session.ended` could come.
    const before = emulator.stats.perConnection.length;
    const run = await transcribeFixture({ url: urlWith({ delayMs: 400, drop: { afterMs: 300 } }) });
    expectWhole(run.events);
    const first = emulator.stats.perConnection[before]!;
    expect(first.audioBytes).toBe(fx.samples.byteLength);
    expect(first.faults).toContain('drop');
  });

  it('a function token is called again for each connection', async () => {
    const keyed = await startEmulator({ apiKeys: ['tok-1', 'tok-2'], faults: (ctx) => (ctx.index === 0 ? { drop: { afterBytes: 48_000 } } : undefined) });
    try {
      let calls = 0;
      const run = await transcribeFixture({ url: keyed.url, token: async () => `tok-${++calls}` });
      expectWhole(run.events);
      expect(calls).toBe(2);
      expect(keyed.stats.accepted).toBe(2);
    } finally {
      await keyed.close();
    }
  });

  it('non-retryable closes end the stream with the right SttError after one attempt', async () => {
    for (const [code, errCode] of [
      [4000, 'invalid_input'],
      [4001, 'unauthenticated'],
      [4002, 'insufficient_quota'],
    ] as const) {
      const before = emulator.stats.connections;
      const err = await transcribeFixture({ url: urlWith({ close: { code, afterBytes: 32_000 } }) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SttError);
      expect(err).toMatchObject({ code: errCode, closeCode: code, retryable: false });
      expect(emulator.stats.connections - before).toBe(1);
    }
    for (const [status, errCode] of [
      [401, 'unauthenticated'],
      [402, 'insufficient_quota'],
    ] as const) {
      const before = emulator.stats.connections;
      const err = await transcribeFixture({ url: urlWith({ refuse: { status } }) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: errCode, status, retryable: false });
      expect(emulator.stats.connections - before).toBe(1);
    }
  });

  it('exhausted retries fail with connection_failed and the last cause', async () => {
    const before = emulator.stats.connections;
    const err = await transcribeFixture({
      url: urlWith({ refuse: { status: 503 }, times: 100 }),
      reconnect: { retries: 2, minDelayMs: 10, maxDelayMs: 20 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'connection_failed', retryable: false });
    expect((err as SttError).cause).toMatchObject({ status: 503 });
    expect(emulator.stats.connections - before).toBe(3);
  });

  it('reconnect: false fails on the first drop', async () => {
    const err = await transcribeFixture({ url: urlWith({ drop: { afterBytes: 32_000 } }), reconnect: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'connection_lost', closeCode: 1006 });
  });

  it('an outage longer than the replay window gives exactly one gap with its times, then whole transcripts', async () => {
    // The window ends in the silence between the 3rd and 4th utterances, so the
    // audio kept for the replay starts cleanly there.
    const utts = fx.utterances;
    const silenceMid = (utts[2]!.at(-1)!.end + utts[3]![0]!.start) / 2;
    const duration = fx.samples.length / 16000;
    const windowSeconds = duration - silenceMid;
    const outage = await startEmulator({
      // First connection drops after 2 s of audio; the next three are refused, so the
      // outage lasts while the writer (a file: fast) writes everything.
      faults: (ctx) => (ctx.index === 0 ? { drop: { afterBytes: 64_000 } } : ctx.index <= 3 ? { refuse: { status: 503 } } : undefined),
    });
    try {
      const run = await transcribeFixture({
        url: outage.url,
        replayWindowSeconds: windowSeconds,
        overflow: 'drop-oldest',
        reconnect: { retries: 6, minDelayMs: 150, maxDelayMs: 400 },
      });
      const gaps = run.events.filter((e) => e.type === 'gap');
      expect(gaps).toHaveLength(1);
      const gap = gaps[0] as Extract<TranscriptEvent, { type: 'gap' }>;
      const gapAt = run.events.indexOf(gap);
      const finalsBefore = finalsOf(run.events.slice(0, gapAt));
      const finalsAfter = finalsOf(run.events.slice(gapAt));
      // The gap starts at the commit point (the last final before it) and ends where the kept audio starts.
      expect(gap.start).toBeCloseTo(finalsBefore.at(-1)?.end ?? 0, 3);
      expect(gap.end).toBeCloseTo(silenceMid, 3);
      // Before the gap: whole utterances from the start; after it: exactly the utterances after the window start.
      expect(finalsBefore.map((f: Final) => f.text)).toEqual(['one two three four'].slice(0, finalsBefore.length));
      const expectedAfter = utts.slice(3);
      expect(finalsAfter.map((f) => f.text)).toEqual(expectedAfter.map((u) => u.map((t) => t.word).join(' ')));
      expectWordsNear(finalsAfter.flatMap((f) => f.words ?? []), expectedAfter.flat());
    } finally {
      await outage.close();
    }
  });

  it('during a 10 s server stall at real-time input, the retained audio stays within the window', async () => {
    const windowSeconds = 3;
    const long = dtmfSamples('12 34 56', { tailMs: 10_000 });
    const t = createTranscriber({
      model: 'dtmf',
      url: urlWith({ stall: { forMs: 10_000, afterMs: 800 } }),
      replayWindowSeconds: windowSeconds,
      reconnect: fast,
    });
    let maxRetained = 0;
    const sampler = setInterval(() => (maxRetained = Math.max(maxRetained, t.stats.retainedBytes)), 20);
    const reading = collect(t.readable);
    const writer = t.writable.getWriter();
    const started = Date.now();
    const frame = 1600;
    for (let pos = 0, i = 0; pos < long.samples.length; pos += frame, i++) {
      const due = started + i * 100;
      if (due > Date.now()) await sleep(due - Date.now());
      await writer.write({ data: long.samples.subarray(pos, pos + frame), sampleRate: 16000, channels: 1 });
    }
    await writer.close();
    const events = await reading;
    clearInterval(sampler);
    expect(maxRetained).toBeGreaterThan(windowSeconds * 32000 * 0.9); // the stall was felt
    expect(maxRetained).toBeLessThanOrEqual(windowSeconds * 32000 + frame * 2);
    expectWhole(events, long.tones);
  }, 30_000);
});

function expectWordsNear(words: { word: string; start: number; end: number }[], tones: { word: string; start: number; end: number }[]) {
  expect(words.map((w) => w.word)).toEqual(tones.map((t) => t.word));
  words.forEach((w, i) => {
    expect(Math.abs(w.start - tones[i]!.start)).toBeLessThan(0.02);
    expect(Math.abs(w.end - tones[i]!.end)).toBeLessThan(0.02);
  });
}
