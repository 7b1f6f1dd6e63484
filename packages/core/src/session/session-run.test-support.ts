// What the session core's randomized test does with a world: random actions (fast-check), a run that ends
// with an honest gateway, and the invariants every run must keep. Everything random comes from
// fast-check's seed (the jitter too), so a printed seed replays the same run.
import fc from 'fast-check';
import { expect } from 'vitest';
import { SttError } from '../errors.ts';
import type { TranscriptEvent } from '../types.ts';
import type { SessionNotices } from './commands.ts';
import { HANGOVER, PRE_ROLL, RATE, tickOf, type World } from './session-world.test-support.ts';

export type Action =
  | { k: 'write'; n: number }
  | { k: 'advance'; ms: number }
  | { k: 'accept' }
  | { k: 'refuse'; retryable: boolean }
  | { k: 'final'; upTo: number }
  | { k: 'burst'; n: number }
  | { k: 'interim' }
  | { k: 'close'; code: number; retryAfter?: number }
  | { k: 'deaf' }
  | { k: 'finalize' }
  | { k: 'end' }
  | { k: 'read'; n: number }
  | { k: 'listener'; does: 'abort' | 'finalize' }
  | { k: 'abort' };

const CODES = [1000, 1001, 1006, 1011, 1012, 1013, 4000, 4008, 4010, 4029, 4502, 1009, 4999];
export const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 700 }).map((n): Action => ({ k: 'write', n })) },
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms): Action => ({ k: 'advance', ms })) },
  { weight: 5, arbitrary: fc.constant<Action>({ k: 'accept' }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 9 }).map((r): Action => ({ k: 'refuse', retryable: r < 8 })) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3000 }).map((upTo): Action => ({ k: 'final', upTo })) },
  { weight: 2, arbitrary: fc.constant<Action>({ k: 'interim' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }).map((n): Action => ({ k: 'burst', n })) },
  { weight: 2, arbitrary: fc.constantFrom(...CODES).map((code): Action => ({ k: 'close', code })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 }).map((retryAfter): Action => ({ k: 'close', code: 4029, retryAfter })) },
  { weight: 1, arbitrary: fc.constant<Action>({ k: 'deaf' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ k: 'finalize' }) },
  { weight: 1, arbitrary: fc.constant<Action>({ k: 'end' }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 20 }).map((n): Action => ({ k: 'read', n })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 7 }).map((r): Action => ({ k: 'listener', does: r === 0 ? 'abort' : 'finalize' })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 39 }).map((r): Action => (r === 0 ? { k: 'abort' } : { k: 'read', n: 100 })) },
);

/** `stalledReader`: the user reads nothing until the stream's end (a reader that stopped). */
export function run(world: World, actions: Action[], stalledReader = false): void {
  for (const a of actions) {
    if (world.core.done) break;
    switch (a.k) {
      case 'write':
        if (world.written + a.n < 30000) world.write(a.n);
        break;
      case 'advance':
        world.advance(a.ms);
        break;
      case 'accept':
        world.accept();
        break;
      case 'refuse':
        world.refuse(a.retryable);
        break;
      case 'final':
        world.serverFinal(a.upTo);
        break;
      case 'interim':
        world.serverInterim();
        break;
      case 'burst': // a flood of short finals, one sample each
        for (let i = 0; i < a.n && world.conn; i++) world.serverFinal(world.conn.lastFinal + 1);
        break;
      case 'close':
        world.serverClose(a.code, a.retryAfter);
        break;
      case 'deaf':
        if (world.conn) world.conn.reads = world.conn.answersEnd = false;
        break;
      case 'finalize':
        world.input(() => world.core.finalize(world.now, world.buffered));
        break;
      case 'end':
        world.end();
        break;
      case 'read':
        if (!stalledReader) world.read(a.n);
        break;
      case 'listener':
        world.listener = a.does;
        break;
      case 'abort':
        world.input(() => world.core.abort(new Error('the caller gave up'), 'signal'));
        break;
    }
  }
  // Then an honest gateway and a reader that keeps up: the writer ends, every open is accepted, what the
  // server hears is confirmed as it comes, time passes.
  world.listener = null;
  world.deafAll = false;
  for (let i = 0; i < 4000 && !world.core.done; i++) {
    world.end();
    world.accept();
    world.serverFinal(Infinity);
    world.serverEnd();
    world.read(1000);
    world.advance(50);
  }
  // The reader takes what is left, as much as its buffer holds at a time.
  for (let i = 0; i < 100_000 && (world.readable.length > 0 || (world.error === null && !world.readerClosed)); i++) world.read(1000);
}

/** What a run covered (the test asserts that the runs together reach every path they claim to). */
export const coverage = { speech: 0, runs: 0, wroteAudio: 0, windowFull: 0, gaps: 0, drains: 0, sendStalls: 0, failed: 0, retryAfterGiveUps: 0, reentrant: 0, slowReader: 0, timeouts: 0 };

export function checkInvariants(world: World): void {
  const s = world.s;
  const rate = RATE;
  expect(world.core.done, 'the stream reached done or failed').toBe(true);
  expect(world.core.out.list.length).toBe(0);
  const finals = world.finals();
  // Each final once, in order per channel, at stream-absolute times (its text names the stream span the server covered).
  for (let ch = 0; ch < s.channels; ch++) {
    let prevEnd = 0;
    for (const f of finals.filter((x) => x.channel === ch)) {
      const [a, b] = f.text.split('-').map(Number) as [number, number];
      expect(Math.round(f.start * rate)).toBe(a);
      expect(Math.round(f.end * rate)).toBe(b);
      expect(a).toBeGreaterThanOrEqual(prevEnd);
      expect(b).toBeGreaterThan(prevEnd);
      prevEnd = b;
    }
  }
  // No audio message is longer than a catch-up message of whole frames.
  for (const n of world.messages) expect(n).toBeLessThanOrEqual(s.frameSamples * (s.messageFrames ?? 1));
  // Retained audio stays within the window (plus at most one write), and the blocks held with it; at the end every block is back.
  expect(world.maxRetained).toBeLessThanOrEqual(s.windowSamples + 700);
  expect(world.maxHeld).toBeLessThanOrEqual(s.windowSamples + 700 + 2 * world.core.blockSamples);
  expect(world.core.heldBytes).toBe(0);
  // Gaps are disjoint, and no audio a final transcribed lies in one (a final may span a gap that opened while
  // its connection was live, but never transcribe what the stream reported lost).
  const gaps = world.events.filter((e): e is Extract<TranscriptEvent, { type: 'gap' }> => e.type === 'gap');
  const sorted = gaps.map((g) => [Math.round(g.start * rate), Math.round(g.end * rate)] as const).sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
  const inGap = (p: number) => sorted.some(([a, b]) => p >= a && p < b);
  for (const f of finals) for (const p of world.covered.get(f.text)!) if (inGap(p)) expect.fail(`sample ${p} is in a final (${f.text}) and in a gap`);
  // Nothing lost in silence: every written sample reached a server or lies in a gap; when the stream failed,
  // at least every sample before the last final the user got.
  const upTo = world.error === null ? world.written : Math.max(0, ...finals.map((f) => Math.round(f.end * rate)));
  // With only speech sent: what the client's detector called speech (between its events, as the user saw them).
  const said = world.events.filter((e) => (e.type === 'speech_started' || e.type === 'speech_ended') && e.source === 'client');
  const inSpeech = (p: number) => {
    if (!s.speech?.sendOnlySpeech) return true;
    let open = -1;
    for (const e of said) {
      const at = Math.round((e as { timestamp: number }).timestamp * rate);
      if (e.type === 'speech_started') open = at;
      else if (open >= 0 && p >= open && p < at) return true;
      else open = -1;
    }
    return open >= 0 && p >= open;
  };
  for (let p = 0; p < upTo; p++) if (!world.heard[p] && !inGap(p) && inSpeech(p)) expect.fail(`sample ${p} was neither sent nor reported in a gap`);
  // Silence past the hangover was never sent.
  if (s.speech?.sendOnlySpeech && world.error === null) for (let p = 0; p < world.written; p++) if (world.heard[p] && !inSpeech(p)) expect.fail(`sample ${p} was sent in silence`);
  // The reader got every event and the readable closed after a normal end.
  if (world.error === null) expect(world.readerClosed).toBe(true);
  // Reconnects wait at least their delay; counted attempts stay within the budget and the backoff's range.
  const r = s.reconnect;
  for (const n of world.notices) {
    if (n.name !== 'reconnecting') continue;
    expect(r, 'no reconnect with reconnect: false').not.toBe(false);
    const { attempt, delayMs, cause } = n.info as SessionNotices['reconnecting'];
    const next = world.opens.find((o) => o.seq > n.seq);
    if (next && delayMs > 0) expect(next.at - n.at).toBeGreaterThanOrEqual(delayMs);
    if (r === false) continue;
    expect(attempt).toBeLessThanOrEqual(r.retries);
    if (attempt > 0) {
      expect(delayMs).toBeGreaterThanOrEqual(r.minDelayMs);
      expect(delayMs).toBeLessThanOrEqual(Math.max(r.maxDelayMs, cause.retryAfterMs ?? 0));
    }
    // A send stall only where the link carried nothing for stallTimeoutMs.
    if (/read nothing/.test(cause.message)) coverage.sendStalls++;
  }
  // A bound never fires early and never late: a timeout comes endTimeoutMs after the later of the first `end`
  // and the last progress (at the tick's granularity), and a stream whose `end` went out is over by then.
  const endSentAt = world.firstEndSentAt;
  if (endSentAt >= 0) {
    const from = Math.max(endSentAt, world.lastProgressAt);
    expect(world.finishedAt - from).toBeLessThanOrEqual(s.endTimeoutMs + tickOf(s));
    if (world.error instanceof SttError && world.error.code === 'timeout' && /endTimeoutMs/.test(world.error.message)) {
      expect(world.finishedAt - from).toBeGreaterThanOrEqual(s.endTimeoutMs);
      coverage.timeouts++;
    }
  }
  // Errors are typed: an SttError, or the caller's own abort reason wrapped in one.
  if (world.error) expect(world.error).toBeInstanceOf(SttError);
  if (world.error instanceof SttError && world.error.code === 'connection_failed' && world.error.retryAfterMs !== undefined) coverage.retryAfterGiveUps++;
  if (world.error instanceof SttError && world.error.code === 'slow_reader') coverage.slowReader++;
  coverage.runs++;
  if (world.written > 0) coverage.wroteAudio++;
  if (world.maxRetained >= s.windowSamples) coverage.windowFull++;
  if (gaps.length > 0) coverage.gaps++;
  if (world.error) coverage.failed++;
}

export const params = fc.record({
  actions: fc.array(action, { minLength: 20, maxLength: 160, size: 'max' }),
  overflow: fc.constantFrom<'wait' | 'drop-oldest'>('wait', 'drop-oldest'),
  seed: fc.integer(),
  messageFrames: fc.constantFrom(1, 3),
  channels: fc.constantFrom(1, 2),
  realtimeFactor: fc.constantFrom(Infinity, Infinity, 1, 4),
  reconnect: fc.constantFrom<'on' | 'off'>('on', 'on', 'on', 'off'),
  /** Bytes per ms the link carries: at once, a fast link, one slower than the audio (2 bytes a sample). */
  link: fc.constantFrom(Infinity, Infinity, 8, 1.5),
  highWaterMarkBytes: fc.constantFrom(1 << 20, 1024),
  readableHighWaterMark: fc.constantFrom(64, 2),
  maxBufferedEvents: fc.constantFrom(10_000, 16),
  windowSamples: fc.constantFrom(5000, 1500),
  stalledReader: fc.constantFrom(false, false, false, true),
  /** Spans of speech a fake detector hears (only speech is sent then), or none (everything is sent). */
  speech: fc.oneof(
    { weight: 2, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(fc.integer({ min: 0, max: 30000 }), fc.integer({ min: 1, max: 3000 })), { maxLength: 30 }).map((xs) => {
        const spans = xs.map(([a, n]): [number, number] => [a, a + n]).sort((x, y) => x[0] - y[0]);
        const merged: [number, number][] = [];
        for (const sp of spans) {
          const last = merged[merged.length - 1];
          if (last && sp[0] <= last[1] + HANGOVER + PRE_ROLL) last[1] = Math.max(last[1], sp[1]);
          else merged.push(sp);
        }
        return merged;
      }),
    },
  ),
});
