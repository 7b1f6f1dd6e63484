// The pure session core driven with no network: a simulated clock, a simulated
// gateway and random interleavings of audio, finals, interims, closes with every
// code, refusals, stalls and ticks (fast-check). Each sample's value is its stream
// position, so the simulated server knows exactly which audio it received.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SttError, createSttError } from '../errors.ts';
import { parseServerMessage } from '../protocol/gateway-dialect.ts';
import type { TranscriptEvent, TranscriptSegmentEvent } from '../types.ts';
import { SessionCore, type SessionIO, type SessionNotices, type SessionSettings } from './session-core.ts';

const RATE = 1000;
const base: SessionSettings = {
  sampleRate: RATE,
  channels: 1,
  frameSamples: 100,
  windowSamples: 5000,
  blockBytes: 400, // two frames: the streams here span many blocks
  overflow: 'wait',
  windowWaitMs: 500,
  highWaterMarkBytes: 1 << 20,
  realtimeFactor: Infinity,
  keepAliveMs: 1000,
  stallTimeoutMs: 3000,
  connectTimeoutMs: 2000,
  endTimeoutMs: 4000,
  reconnect: { retries: 3, minDelayMs: 100, maxDelayMs: 1000, maxRetryTimeMs: 5000 },
};
const TICK_MS = Math.max(25, Math.min(base.keepAliveMs, base.stallTimeoutMs) / 4);

interface ServerConn {
  id: number;
  /** Stream position of the first sample received (-1 before any). */
  base: number;
  received: number;
  lastFinal: number;
  started: boolean;
  /** Does not answer `end` (and stops reading). */
  deaf: boolean;
}

type Final = TranscriptSegmentEvent;

/** A session core in a simulated world. */
class World {
  now = 0;
  wake = Infinity;
  readonly core: SessionCore;
  readonly events: TranscriptEvent[] = [];
  readonly notices: { name: keyof SessionNotices; info: unknown; at: number }[] = [];
  readonly opens: { id: number; at: number }[] = [];
  pendingOpen: number | null = null;
  conn: ServerConn | null = null;
  readonly heard = new Uint8Array(40000);
  finishedAt = -1;
  error: Error | null = null;
  firstEndAt = -1;
  /** When `end` first reached a server (the bound counts from there). */
  firstEndSentAt = -1;
  /** Every new connection is deaf. */
  deafAll = false;
  written = 0;
  /** Samples in each audio message, in the order sent. */
  readonly messages: number[] = [];
  maxRetained = 0;
  maxHeld = 0;

  constructor(settings: SessionSettings) {
    const io: SessionIO = {
      open: (id) => {
        this.opens.push({ id, at: this.now });
        this.pendingOpen = id;
      },
      send: (data) => this.#receive(data),
      bufferedAmount: () => 0,
      awaitDrain: () => {
        throw new Error('not reached: the buffer is always empty');
      },
      close: () => {
        this.conn = null;
      },
      terminate: () => {
        this.conn = null;
      },
      emit: (event) => this.events.push(event),
      notice: (name, info) => this.notices.push({ name, info, at: this.now }),
      wants: () => true,
      wakeAt: (at) => {
        this.wake = Math.min(this.wake, at);
      },
      wakeWriter: () => {},
      finish: (error) => {
        this.finishedAt = this.now;
        this.error = error;
      },
    };
    this.core = new SessionCore(settings, io);
  }

  #receive(data: Uint8Array | string): void {
    const c = this.conn;
    if (!c) throw new Error('sent with no connection');
    if (typeof data === 'string') {
      const type = (JSON.parse(data) as { type: string }).type;
      if (type === 'end' && this.firstEndSentAt < 0) this.firstEndSentAt = this.now;
      if (type === 'finalize') this.serverFinal(Infinity);
      if (type === 'end' && !c.deaf) {
        this.serverFinal(Infinity);
        this.#deliver({ type: 'session.ended', duration: c.received / RATE });
        this.conn = null;
        this.core.closed(c.id, 1000, '', this.now);
      }
      return;
    }
    if (c.deaf) return;
    const samples = new Int16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    this.messages.push(samples.length);
    if (c.base < 0) c.base = samples[0]!;
    // Audio arrives in order: each sample is the next of this connection.
    samples.forEach((v, i) => {
      expect(v).toBe(c.base + c.received + i);
      this.heard[v] = 1;
    });
    c.received += samples.length;
  }

  #deliver(msg: Record<string, unknown>): void {
    const c = this.conn!;
    this.core.message(c.id, parseServerMessage(JSON.stringify(msg)), this.now);
  }

  accept(): void {
    const id = this.pendingOpen;
    if (id === null) return;
    this.pendingOpen = null;
    this.conn = { id, base: -1, received: 0, lastFinal: 0, started: true, deaf: this.deafAll };
    this.core.opened(id, this.now);
    if (this.conn?.id === id) this.#deliver({ type: 'session.started', session_id: `s${id}`, model: 'm' });
  }

  refuse(retryable: boolean): void {
    const id = this.pendingOpen;
    if (id === null) return;
    this.pendingOpen = null;
    const error = retryable
      ? createSttError('server_error', 'Upgrade refused: 503', { status: 503 })
      : createSttError('unauthenticated', 'Upgrade refused: 401', { status: 401 });
    this.core.refused(id, error, this.now);
  }

  /** A final from the last one up to `upTo` samples of this connection (all it heard when Infinity). */
  serverFinal(upTo: number): void {
    const c = this.conn;
    if (!c || c.base < 0) return;
    const end = Math.min(c.received, upTo);
    if (end <= c.lastFinal) return;
    const start = c.lastFinal;
    c.lastFinal = end;
    this.#deliver({
      type: 'transcript',
      is_final: true,
      text: `${c.base + start}-${c.base + end}`,
      start: start / RATE,
      end: end / RATE,
      channel: 0,
    });
  }

  serverInterim(): void {
    const c = this.conn;
    if (!c || c.base < 0 || c.received <= c.lastFinal) return;
    this.#deliver({ type: 'transcript', is_final: false, text: 'i', start: c.lastFinal / RATE, end: c.received / RATE, channel: 0 });
  }

  serverClose(code: number): void {
    const c = this.conn;
    if (!c) return;
    this.conn = null;
    this.core.closed(c.id, code, '', this.now);
  }

  write(n: number): void {
    if (this.core.done || !this.core.admit(n, this.now)) return;
    const chunk = new Int16Array(n);
    for (let i = 0; i < n; i++) chunk[i] = this.written + i;
    this.written += n;
    this.core.append(chunk, this.now);
    this.maxRetained = Math.max(this.maxRetained, this.core.stats.retainedBytes / 2);
    this.maxHeld = Math.max(this.maxHeld, this.core.heldBytes / 2);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    while (this.wake <= until && !this.core.done) {
      this.now = Math.max(this.now, this.wake);
      this.wake = Infinity;
      this.core.tick(this.now);
    }
    this.now = until;
  }

  end(): void {
    if (this.core.done) return;
    const before = this.firstEndAt;
    this.core.end(this.now);
    if (before < 0 && this.core.stats.state !== 'idle') this.firstEndAt = this.now;
  }

  finals(): Final[] {
    return this.events.filter((e): e is Final => e.type === 'final');
  }
}

type Action =
  | { k: 'write'; n: number }
  | { k: 'advance'; ms: number }
  | { k: 'accept' }
  | { k: 'refuse'; retryable: boolean }
  | { k: 'final'; upTo: number }
  | { k: 'interim' }
  | { k: 'close'; code: number }
  | { k: 'deaf' }
  | { k: 'finalize' }
  | { k: 'end' };

const CODES = [1000, 1001, 1006, 1011, 1012, 1013, 4000, 4008, 4010, 4029, 4502, 1009, 4999];
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 700 }).map((n) => ({ k: 'write', n }) as Action) },
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms) => ({ k: 'advance', ms }) as Action) },
  { weight: 5, arbitrary: fc.constant({ k: 'accept' } as Action) },
  { weight: 1, arbitrary: fc.boolean().map((retryable) => ({ k: 'refuse', retryable: retryable || Math.random() < 0.8 }) as Action) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 3000 }).map((upTo) => ({ k: 'final', upTo }) as Action) },
  { weight: 2, arbitrary: fc.constant({ k: 'interim' } as Action) },
  { weight: 2, arbitrary: fc.constantFrom(...CODES).map((code) => ({ k: 'close', code }) as Action) },
  { weight: 1, arbitrary: fc.constant({ k: 'deaf' } as Action) },
  { weight: 1, arbitrary: fc.constant({ k: 'finalize' } as Action) },
  { weight: 1, arbitrary: fc.constant({ k: 'end' } as Action) },
);

function run(world: World, actions: Action[]): void {
  for (const a of actions) {
    if (world.core.done) break;
    switch (a.k) {
      case 'write':
        if (world.written + a.n < 30000 && world.firstEndAt < 0) world.write(a.n);
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
      case 'close':
        world.serverClose(a.code);
        break;
      case 'deaf':
        if (world.conn) world.conn.deaf = true;
        break;
      case 'finalize':
        world.core.finalize(world.now);
        break;
      case 'end':
        world.end();
        break;
    }
  }
  // Then an honest gateway: the writer ends, every open is accepted, time passes.
  world.end();
  for (let i = 0; i < 2000 && !world.core.done; i++) {
    world.accept();
    world.advance(50);
  }
}

function checkInvariants(world: World, settings: SessionSettings): void {
  expect(world.core.done, 'the stream reached done or failed').toBe(true);
  const finals = world.finals();
  // Each final once, in order, at stream-absolute times (its text names the stream span the server covered).
  let prevEnd = 0;
  for (const f of finals) {
    const [a, b] = f.text.split('-').map(Number) as [number, number];
    expect(Math.round(f.start * RATE)).toBe(a);
    expect(Math.round(f.end * RATE)).toBe(b);
    expect(a).toBeGreaterThanOrEqual(prevEnd);
    expect(b).toBeGreaterThan(prevEnd);
    prevEnd = b;
  }
  // No audio message is longer than a catch-up message of whole frames.
  for (const n of world.messages) expect(n).toBeLessThanOrEqual(settings.frameSamples * (settings.messageFrames ?? 1));
  // Retained audio stays within the window (plus at most one write).
  expect(world.maxRetained).toBeLessThanOrEqual(settings.windowSamples + 700);
  // The blocks held stay within it too, but for a block of rounding at each end (the fake socket holds nothing,
  // so every confirmed, sent block goes back at once); when the stream is over, every block is back in the pool.
  expect(world.maxHeld).toBeLessThanOrEqual(settings.windowSamples + 700 + 2 * world.core.blockSamples);
  expect(world.core.heldBytes).toBe(0);
  // Gaps are disjoint and never overlap a final.
  const gaps = world.events.filter((e): e is Extract<TranscriptEvent, { type: 'gap' }> => e.type === 'gap');
  const spans = [...gaps.map((g) => [g.start, g.end, 'gap'] as const), ...finals.map((f) => [f.start, f.end, 'final'] as const)].sort(
    (x, y) => x[0] - y[0] || x[1] - y[1],
  );
  for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1] - 1e-9);
  // A stream that ended normally lost nothing in silence: every written sample reached a server or lies in a gap.
  if (world.error === null) {
    const inGap = (p: number) => gaps.some((g) => p >= Math.round(g.start * RATE) && p < Math.round(g.end * RATE));
    for (let p = 0; p < world.written; p++) if (!world.heard[p] && !inGap(p)) expect.fail(`sample ${p} was neither sent nor reported in a gap`);
  }
  // Reconnects wait at least their delay; counted attempts stay within the budget and the backoff's range.
  const r = settings.reconnect as Exclude<SessionSettings['reconnect'], false>;
  for (const n of world.notices) {
    if (n.name !== 'reconnecting') continue;
    const { attempt, delayMs } = n.info as SessionNotices['reconnecting'];
    const next = world.opens.find((o) => o.at >= n.at && o.id > 0 && world.opens.indexOf(o) > 0 && o.at - n.at >= 0);
    if (next && delayMs > 0) expect(next.at - n.at).toBeGreaterThanOrEqual(delayMs);
    expect(attempt).toBeLessThanOrEqual(r.retries);
    if (attempt > 0) {
      expect(delayMs).toBeGreaterThanOrEqual(r.minDelayMs);
      expect(delayMs).toBeLessThanOrEqual(Math.max(r.maxDelayMs, 60_000));
    }
  }
  for (let i = 1; i < world.opens.length; i++) {
    const gap = world.opens[i]!.at - world.opens[i - 1]!.at;
    const counted = world.notices.some(
      (n) => n.name === 'reconnecting' && (n.info as SessionNotices['reconnecting']).attempt > 0 && n.at >= world.opens[i - 1]!.at && n.at <= world.opens[i]!.at,
    );
    if (counted) expect(gap, 'no two attempts after a failure closer than minDelayMs').toBeGreaterThanOrEqual(r.minDelayMs);
  }
  // After the first `end` was sent, the stream finishes within endTimeoutMs (at the tick's granularity).
  const endSentAt = world.firstEndSentAt;
  if (endSentAt >= 0) expect(world.finishedAt - endSentAt).toBeLessThanOrEqual(settings.endTimeoutMs + TICK_MS);
  // Errors are typed.
  if (world.error) expect(world.error).toBeInstanceOf(SttError);
}

describe('SessionCore', () => {
  it('SessionCore - random interleavings keep every invariant (wait and drop-oldest, one frame or three a message)', () => {
    fc.assert(
      fc.property(
        fc.array(action, { minLength: 1, maxLength: 120 }),
        fc.constantFrom<'wait' | 'drop-oldest'>('wait', 'drop-oldest'),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.constantFrom(1, 3),
        (actions, overflow, r, messageFrames) => {
          const settings = { ...base, overflow, random: () => r, messageFrames };
          const world = new World(settings);
          run(world, actions);
          checkInvariants(world, settings);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('SessionCore - a reconnect that is still connecting when the end bound comes fails with timeout then, not at its connect timeout', () => {
    // Found by the randomised test: `end` went at 0 to a server that stopped answering; the stall at 3 s
    // made a reconnect at 3.1 s that never opened. The stream must fail at 4 s (endTimeoutMs), not at 5.1 s.
    const world = new World({ ...base, random: () => 0 });
    world.write(1);
    world.accept();
    world.conn!.deaf = true;
    world.end();
    world.advance(4250);
    expect(world.opens.map((o) => o.at)).toEqual([0, 3100]);
    expect(world.error).toMatchObject({ code: 'timeout' });
    expect(world.finishedAt).toBe(4000);
  });

  it('SessionCore - a clean stream: one connection, finals at stream times, done', () => {
    const world = new World(base);
    world.write(500);
    world.accept();
    world.write(1500);
    world.serverFinal(800);
    world.write(300);
    world.end();
    world.advance(100);
    expect(world.error).toBeNull();
    expect(world.core.done).toBe(true);
    expect(world.opens).toHaveLength(1);
    expect(world.finals().map((f) => f.text)).toEqual(['0-800', '800-2300']);
  });

  it('SessionCore - a long confirmed stream holds a few blocks, and hands every one back when it ends', () => {
    const world = new World(base);
    world.write(100);
    world.accept();
    for (let i = 1; i <= 300; i++) {
      world.write(100);
      if (i % 10 === 0) world.serverFinal(i * 100 - 200); // a final every second of audio, a little behind
    }
    world.end();
    world.advance(100);
    expect(world.error).toBeNull();
    expect(world.written).toBe(30100);
    // Unconfirmed audio is at most about 1,200 samples: with blocks of 400 (four writes), at most 5 blocks at once.
    expect(world.core.blockSamples).toBe(400);
    expect(world.maxHeld).toBeLessThanOrEqual(5 * 400);
    expect(world.core.heldBytes).toBe(0);
  });

  it('SessionCore - audio ahead of real time goes in catch-up messages; audio at real time a frame at a time', () => {
    const settings = { ...base, messageFrames: 2 };
    // A file: written faster than real time. The first two frames go alone (the source is not yet a message
    // ahead of real time); from then on each message waits for two whole frames, and `end` sends the rest.
    const file = new World(settings);
    file.write(100);
    file.accept();
    for (let i = 0; i < 9; i++) file.write(100);
    file.write(50);
    file.end();
    file.advance(100);
    expect(file.error).toBeNull();
    expect(file.messages).toEqual([100, 100, 200, 200, 200, 200, 50]);
    // A live source: a frame every 100 ms of real time goes as it comes.
    const live = new World(settings);
    live.write(100);
    live.accept();
    for (let i = 0; i < 5; i++) {
      live.advance(100);
      live.write(100);
    }
    expect(live.messages).toEqual([100, 100, 100, 100, 100, 100]);
    // A file source that stalls: its last frame goes once real time comes within a message of its end.
    const stalled = new World(settings);
    stalled.write(100);
    stalled.accept();
    for (let i = 0; i < 10; i++) stalled.write(100); // 1.1 s of audio at time 0: 1 s goes, the last frame is held
    expect(stalled.messages).toEqual([100, 100, 200, 200, 200, 200]);
    stalled.advance(899); // the held frame ends 1.1 s into the connection's audio, a message is 200 ms: it goes at 900 ms
    expect(stalled.messages).toHaveLength(6);
    stalled.advance(1);
    expect(stalled.messages.slice(6)).toEqual([100]);
    // A replay after a drop goes in whole messages too, then new audio as it comes.
    stalled.serverFinal(400);
    stalled.serverClose(1006);
    stalled.advance(1500);
    stalled.accept();
    expect(stalled.messages.slice(7)).toEqual([200, 200, 200, 100]);
  });

  it('SessionCore - a drop replays from the commit point and the finals stay whole', () => {
    const world = new World(base);
    world.write(1000);
    world.accept();
    world.serverFinal(400);
    world.serverClose(1006);
    world.advance(1500); // the backoff
    world.accept();
    world.end();
    world.advance(100);
    expect(world.error).toBeNull();
    expect(world.finals().map((f) => f.text)).toEqual(['0-400', '400-1000']);
    const reconnecting = world.notices.find((n) => n.name === 'reconnecting')!.info as SessionNotices['reconnecting'];
    expect(reconnecting).toMatchObject({ attempt: 1, cause: { code: 'connection_lost', closeCode: 1006 } });
  });

  it('SessionCore - close 1000 before session.ended is a drop: backoff, replay, and the budget ends it', () => {
    const world = new World(base);
    world.write(1000);
    for (let i = 0; i < 10 && !world.core.done; i++) {
      world.accept();
      world.serverClose(1000);
      world.advance(2000);
    }
    expect(world.core.done).toBe(true);
    expect(world.error).toMatchObject({ code: 'connection_failed' });
    expect((world.error as SttError).message).toMatch(/Gave up after 4 failed attempt\(s\); last: connection_lost: Connection closed \(1000\) before the session ended/);
    expect(world.opens).toHaveLength(4); // the first and 3 retries
  });

  it('SessionCore - a final beyond the audio sent, an overlap, a bad channel and a second session.started are protocol errors that move nothing', () => {
    const world = new World(base);
    world.write(1000);
    world.accept();
    const c = world.conn!;
    const send = (m: object) => world.core.message(c.id, parseServerMessage(JSON.stringify(m)), world.now);
    send({ type: 'transcript', is_final: true, text: 'far', start: 0, end: 1e6 });
    send({ type: 'transcript', is_final: true, text: 'seven', start: 0, end: 0.1, channel: 7 });
    send({ type: 'session.started', session_id: 'again' });
    send({ type: 'transcript', is_final: true, text: 'ok', start: 0, end: 0.5 });
    send({ type: 'transcript', is_final: true, text: 'overlap', start: 0.3, end: 0.8 });
    const errors = world.notices.filter((n) => n.name === 'error').map((n) => (n.info as SttError).message);
    expect(errors).toEqual([
      'Server message rejected: a final ending at 1000000 s, beyond the 1.000 s of audio sent on this connection',
      'Server message rejected: a final on channel 7 of a 1-channel stream',
      'Server message rejected: a second `session.started` on one connection',
      'Server message rejected: a final starting at 0.3 s overlaps the previous final on channel 0 (it ended at 0.5 s)',
    ]);
    expect(world.finals().map((f) => f.text)).toEqual(['ok']);
    expect(world.core.stats.committedSamples).toBe(500);
    expect(world.notices.filter((n) => n.name === 'reconnected')).toEqual([]);
  });

  it('SessionCore - a server that ignores end: the stream fails with timeout within endTimeoutMs', () => {
    const world = new World(base);
    world.write(1000);
    world.deafAll = true;
    world.accept();
    world.end();
    for (let i = 0; i < 400 && !world.core.done; i++) {
      world.accept();
      world.advance(50);
    }
    expect(world.error).toMatchObject({ code: 'timeout' });
    expect(world.finishedAt).toBeLessThanOrEqual(base.endTimeoutMs + TICK_MS);
  });

  it('SessionCore - latency: a final 120 ms after its audio was sent reports 120 ms', () => {
    const world = new World(base);
    world.accept(); // nothing pending: no connection yet
    world.write(1000);
    world.accept();
    world.advance(120);
    world.serverFinal(1000);
    const metrics = world.notices.find((n) => n.name === 'metrics')!.info as SessionNotices['metrics'];
    expect(metrics.latencyMs).toBe(120);
    expect(world.core.stats.latency).toMatchObject({ count: 1, p50: 120, max: 120 });
  });
});
