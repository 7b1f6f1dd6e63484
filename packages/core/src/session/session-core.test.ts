// The pure session core driven with no network: a simulated clock, a simulated link (a send buffer that
// fills as the core sends and drains at its own rate, or not at all while the server stops reading), a
// simulated gateway, a simulated reader with a small buffer, and random interleavings of audio, finals,
// interims, closes with every code (some with `retry_after`), refusals, stalls, aborts and listeners that
// abort or finalize from inside an event (fast-check). Each sample's value is its stream position, so the
// simulated server knows exactly which audio it received. Everything random comes from fast-check's seed,
// so a printed seed replays the same run.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SttError, createSttError } from '../errors.ts';
import { mulberry32 } from '../prng.ts';
import { parseServerMessage } from '../protocol/gateway-dialect.ts';
import type { TranscriptEvent, TranscriptSegmentEvent } from '../types.ts';
import { BlockPool } from './block-pool.ts';
import { Op, type SessionNotices, type SessionSettings } from './commands.ts';
import { SessionCore } from './session-core.ts';
import { SpeechFilter, type SpeechDetector, type SpeechDetectorFactory } from './speech.ts';

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
  maxBufferedEvents: 10_000,
};
const tickOf = (s: SessionSettings) => Math.max(25, Math.min(s.keepAliveMs, s.stallTimeoutMs, s.connectTimeoutMs, s.endTimeoutMs) / 4);


interface ServerConn {
  id: number;
  /** The stream position of each sample received, in order (the connection's clock). */
  values: number[];
  lastFinal: number;
  /** Reads what the link carries (a server that stops reading stalls the link). */
  reads: boolean;
  /** Answers `end` (with the last final, `session.ended` and a close) as it reads it; else only at `serverEnd`. */
  answersEnd: boolean;
  endReceived: boolean;
}

/** One message in the link: its bytes still to go, for connection `id`. */
interface InFlight {
  id: number;
  data: Uint8Array | string;
  left: number;
}

type Final = TranscriptSegmentEvent;

/** Pre-roll and hangover of the fake detector, in samples (at 1000 Hz: 40 ms and 60 ms). */
const PRE_ROLL = 40;
const HANGOVER = 60;

/**
 * A detector that hears speech in given spans of the stream (channel 0; the same on every channel), as a
 * gate does: `speech_started` at the onset less the pre-roll (never before the last end), once audio past
 * the onset came; `speech_ended` at the end plus the hangover, once audio past that came.
 */
function fakeDetector(spans: [number, number][], channels: number): SpeechDetectorFactory {
  return (onEvent): SpeechDetector => {
    let i = 0;
    let speaking = false;
    let lastEnd = 0;
    const advance = (upTo: number, final: boolean) => {
      for (;;) {
        const span = spans[i];
        if (!span) return;
        if (!speaking && upTo > span[0]) {
          speaking = true;
          onEvent('speech_started', 0, Math.max(span[0] - PRE_ROLL, lastEnd, 0));
        } else if (speaking && (upTo >= span[1] + HANGOVER || final)) {
          speaking = false;
          lastEnd = final ? Math.min(upTo, span[1] + HANGOVER) : span[1] + HANGOVER;
          onEvent('speech_ended', 0, lastEnd);
          i++;
        } else return;
      }
    };
    return {
      push: (frame, position) => advance(position + frame.length / channels, false),
      finish: (position) => advance(position, true),
    };
  };
}

/** A session core in a simulated world. */
class World {
  now = 0;
  wake = Infinity;
  readonly s: SessionSettings;
  readonly core: SessionCore;
  readonly pool = new BlockPool();
  /** Events the user has read, and those in the readable's buffer. */
  readonly events: TranscriptEvent[] = [];
  readonly readable: TranscriptEvent[] = [];
  readonly readableHighWaterMark: number;
  readerClosed = false;
  readonly notices: { name: string; info: unknown; at: number; seq: number }[] = [];
  readonly opens: { id: number; at: number; seq: number }[] = [];
  /** Orders the notices and opens that share a time. */
  seq = 0;
  pendingOpen: number | null = null;
  conn: ServerConn | null = null;
  readonly heard = new Uint8Array(40000);
  finishedAt = -1;
  error: Error | null = null;
  /** When `end` first went into the link, and when the last final that confirmed new audio came. */
  firstEndSentAt = -1;
  lastProgressAt = -1;
  deafAll = false;
  written = 0;
  writing = false;
  ended = false;
  drainRequests = 0;
  /** Samples in each audio message, in the order sent. */
  readonly messages: number[] = [];
  /** The stream positions each final the server sent covers, by its text (a final may span a skip). */
  readonly covered = new Map<string, number[]>();
  maxRetained = 0;
  maxHeld = 0;
  /** The link: bytes per ms it carries (Infinity: at once), what is in it, and drain requests. */
  readonly linkRate: number;
  readonly link: InFlight[] = [];
  readonly drainWaits: { id: number; bytes: number }[] = [];
  /** When the link last carried a byte of the open connection. */
  linkMovedAt = 0;
  /** What a listener does at the next notice (from inside the event). */
  listener: 'abort' | 'finalize' | null = null;
  #running = false;
  /** What the network brings back (the server's answers, a drain), after the commands that caused it have run. */
  readonly #later: (() => void)[] = [];

  /** `seed` seeds the backoff's jitter; a function is the jitter itself. `speech`: spans a fake detector hears as speech. */
  constructor(s: SessionSettings, seed: number | (() => number), linkRate = Infinity, readableHighWaterMark = 64, speech?: [number, number][]) {
    this.s = s;
    this.linkRate = linkRate;
    this.readableHighWaterMark = readableHighWaterMark;
    const random = typeof seed === 'number' ? mulberry32(seed) : seed;
    this.core = new SessionCore(s, { pool: this.pool, random, ...(speech ? { speech: (channels, settings) => new SpeechFilter(channels, settings, fakeDetector(speech, channels)) } : {}) });
    this.input(() => this.core.pull(readableHighWaterMark, 0));
  }

  get buffered(): number {
    const id = this.core.currentId;
    let n = 0;
    for (const m of this.link) if (m.id === id) n += m.left;
    return n;
  }

  /**
   * One input, then the commands it queued (as the wrapper does), then what the network brings back
   * meanwhile, each as an input of its own: nothing comes back from inside a command, as no socket calls
   * back from inside `send`.
   */
  input(feed: () => void): void {
    feed();
    if (this.#running) return;
    this.#running = true;
    const list = this.core.out.list;
    for (;;) {
      for (let i = 0; i < list.length; i += 3) this.#carryOut(list[i] as number, list[i + 1], list[i + 2]);
      this.core.out.settle();
      const next = this.#later.shift();
      if (!next) break;
      next();
    }
    this.#running = false;
  }

  /** Something the network brings back: now if no command runs, else once they have. */
  #back(event: () => void): void {
    if (this.#running) this.#later.push(event);
    else this.input(event);
  }

  #carryOut(op: number, a: unknown, b: unknown): void {
    switch (op) {
      case Op.open:
        this.opens.push({ id: a as number, at: this.now, seq: this.seq++ });
        this.pendingOpen = a as number;
        return;
      case Op.send: {
        if (this.conn?.id !== b) throw new Error(`sent on connection ${String(b)}, not the open one`);
        // The bytes may be reused once send returns: the link keeps a copy.
        const data = typeof a === 'string' ? a : (a as Uint8Array).slice();
        if (data === '{"type":"end"}' && this.firstEndSentAt < 0) this.firstEndSentAt = this.now;
        const size = typeof data === 'string' ? data.length : data.byteLength;
        if (this.buffered === 0) this.linkMovedAt = this.now;
        this.link.push({ id: b as number, data, left: size });
        if (this.linkRate === Infinity) this.#carry(0);
        return;
      }
      case Op.awaitDrain:
        this.drainRequests++;
        this.drainWaits.push({ id: a as number, bytes: b as number });
        return;
      case Op.close:
      case Op.terminate:
        if (this.conn?.id === a) this.conn = null;
        this.#forget(a as number);
        return;
      case Op.emit:
        expect(this.readable.length, 'the core emits only while the readable has room').toBeLessThan(this.readableHighWaterMark);
        this.readable.push(a as TranscriptEvent);
        return;
      case Op.notice:
      case Op.metrics: {
        const seq = this.seq++;
        this.notices.push(op === Op.metrics ? { name: 'metrics', info: { final: a, latencyMs: b }, at: this.now, seq } : { name: a as string, info: b, at: this.now, seq });
        if (op === Op.metrics) this.lastProgressAt = this.now;
        const l = this.listener;
        this.listener = null;
        if (l === 'abort') this.core.abort(new Error('a listener gave up'), 'signal');
        else if (l === 'finalize') this.core.finalize(this.now, this.buffered);
        return;
      }
      case Op.wakeAt:
        this.wake = Math.min(this.wake, a as number);
        return;
      case Op.writeDone:
        this.writing = false;
        return;
      case Op.finish:
        this.finishedAt = this.now;
        this.error = a as Error | null;
        if (this.error) this.readable.length = 0; // an errored ReadableStream drops what its reader has not read
        return;
      case Op.closeReader:
        this.readerClosed = true;
        return;
    }
  }

  #forget(id: number): void {
    for (let i = this.link.length - 1; i >= 0; i--) if (this.link[i]!.id === id) this.link.splice(i, 1);
  }

  /** The link carries `bytes` (Infinity: everything) to the server, in order; a deaf server reads nothing. */
  #carry(bytes: number): void {
    let budget = this.linkRate === Infinity ? Infinity : bytes;
    while (this.link.length > 0) {
      const m = this.link[0]!;
      if (this.conn?.id !== m.id) {
        this.link.shift();
        continue;
      }
      if (!this.conn.reads) break;
      const n = Math.min(m.left, budget);
      if (n > 0) this.linkMovedAt = this.now;
      m.left -= n;
      budget -= n;
      if (m.left > 0) break;
      this.link.shift();
      const c = this.conn;
      this.#back(() => this.#receive(c, m.data));
    }
    for (let i = 0; i < this.drainWaits.length; i++) {
      const w = this.drainWaits[i]!;
      if (w.id !== this.core.currentId) this.drainWaits.splice(i--, 1);
      else if (this.buffered < w.bytes) {
        this.drainWaits.splice(i--, 1);
        this.#back(() => this.core.drained(w.id, this.now, this.buffered));
      }
    }
  }

  #receive(c: ServerConn, data: Uint8Array | string): void {
    if (this.conn !== c) return; // closed meanwhile: the server never read it
    if (typeof data === 'string') {
      const type = (JSON.parse(data) as { type: string }).type;
      if (type === 'finalize') this.serverFinal(Infinity);
      if (type === 'end') {
        c.endReceived = true;
        if (c.answersEnd) this.serverEnd();
      }
      return;
    }
    const ch = this.s.channels;
    const samples = new Int16Array(data.buffer, data.byteOffset, data.byteLength / 2);
    this.messages.push(samples.length / ch);
    for (let i = 0; i < samples.length; i += ch) {
      const v = samples[i]!;
      for (let k = 1; k < ch; k++) expect(samples[i + k]).toBe(v);
      // Audio arrives in order: each sample after the last, with only skips the stream reported as gaps.
      const prev = c.values[c.values.length - 1];
      if (prev !== undefined) expect(v).toBeGreaterThan(prev);
      c.values.push(v);
      this.heard[v] = 1;
    }
  }

  #deliver(msg: Record<string, unknown>): void {
    const c = this.conn;
    if (!c) return;
    this.input(() => this.core.message(c.id, parseServerMessage(JSON.stringify(msg)), this.now, this.buffered));
  }

  /** The server answers the `end` it read: the last final, `session.ended`, a close. */
  serverEnd(): void {
    const c = this.conn;
    if (!c?.endReceived) return;
    this.serverFinal(Infinity);
    this.#deliver({ type: 'session.ended', duration: c.values.length / RATE });
    if (this.conn !== c) return;
    this.conn = null;
    this.input(() => this.core.closed(c.id, 1000, '', this.now));
  }

  accept(): void {
    const id = this.pendingOpen;
    if (id === null) return;
    this.pendingOpen = null;
    this.conn = { id, values: [], lastFinal: 0, reads: !this.deafAll, answersEnd: !this.deafAll, endReceived: false };
    this.input(() => this.core.opened(id, this.now));
    this.#deliver({ type: 'session.started', session_id: `s${id}`, model: 'm' });
  }

  refuse(retryable: boolean): void {
    const id = this.pendingOpen;
    if (id === null) return;
    this.pendingOpen = null;
    const error = retryable
      ? createSttError('server_error', 'Upgrade refused: 503', { status: 503 })
      : createSttError('unauthenticated', 'Upgrade refused: 401', { status: 401 });
    this.input(() => this.core.refused(id, error, this.now));
  }

  /** A final from the last one up to `upTo` samples of this connection (all it heard when Infinity), on every channel. */
  serverFinal(upTo: number): void {
    const c = this.conn;
    if (!c || c.values.length === 0) return;
    const end = Math.min(c.values.length, upTo);
    if (end <= c.lastFinal) return;
    const start = c.lastFinal;
    c.lastFinal = end;
    this.covered.set(`${c.values[start]}-${c.values[end - 1]! + 1}`, c.values.slice(start, end));
    for (let channel = 0; channel < this.s.channels; channel++) {
      this.#deliver({
        type: 'transcript',
        is_final: true,
        text: `${c.values[start]}-${c.values[end - 1]! + 1}`,
        start: start / RATE,
        end: end / RATE,
        channel,
      });
    }
  }

  serverInterim(): void {
    const c = this.conn;
    if (!c || c.values.length <= c.lastFinal) return;
    this.#deliver({ type: 'transcript', is_final: false, text: 'i', start: c.lastFinal / RATE, end: c.values.length / RATE, channel: 0 });
  }

  serverClose(code: number, retryAfter?: number): void {
    const c = this.conn;
    if (!c) return;
    if (retryAfter !== undefined) this.#deliver({ type: 'error', error: { code: 'rate_limited', message: 'slow down', retry_after: retryAfter } });
    if (this.conn !== c) return;
    this.conn = null;
    this.input(() => this.core.closed(c.id, code, '', this.now));
  }

  write(n: number): void {
    if (this.core.done || this.writing || this.ended) return;
    const ch = this.s.channels;
    const chunk = new Int16Array(n * ch);
    for (let i = 0; i < n * ch; i++) chunk[i] = this.written + Math.floor(i / ch);
    this.written += n;
    this.input(() => {
      this.writing = !this.core.write(chunk, this.now, this.buffered);
    });
    this.#measure();
  }

  #measure(): void {
    this.maxRetained = Math.max(this.maxRetained, this.core.stats.retainedBytes / 2 / this.s.channels);
    this.maxHeld = Math.max(this.maxHeld, this.core.heldBytes / 2 / this.s.channels);
  }

  /** The user reads up to `n` events; the readable asks for more. */
  read(n: number): void {
    this.events.push(...this.readable.splice(0, n));
    this.input(() => this.core.pull(this.readableHighWaterMark - this.readable.length, this.now));
  }

  advance(ms: number): void {
    const until = this.now + ms;
    while (!this.core.done) {
      const linkDone = this.#nextLinkEvent();
      const next = Math.min(this.wake, linkDone);
      if (next > until) break;
      const dt = Math.max(0, next - this.now);
      this.now = Math.max(this.now, next);
      if (this.linkRate !== Infinity) this.#carry(dt * this.linkRate);
      if (this.wake <= this.now) {
        this.wake = Infinity;
        this.input(() => this.core.tick(this.now, this.buffered));
      }
      this.#measure();
    }
    if (this.linkRate !== Infinity && !this.core.done) this.#carry((until - this.now) * this.linkRate);
    this.now = until;
  }

  /** When the head of the link is through, at its rate. */
  #nextLinkEvent(): number {
    const head = this.link[0];
    if (!head || this.linkRate === Infinity || this.conn?.id !== head.id || !this.conn.reads) return Infinity;
    return this.now + Math.max(1, Math.ceil(head.left / this.linkRate));
  }

  /** The writer ends (never while a write waits, as a WritableStream would not). */
  end(): void {
    if (this.core.done || this.writing) return;
    this.ended = true;
    this.input(() => this.core.end(this.now, this.buffered));
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
const action: fc.Arbitrary<Action> = fc.oneof(
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
function run(world: World, actions: Action[], stalledReader = false): void {
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
const coverage = { speech: 0, runs: 0, wroteAudio: 0, windowFull: 0, gaps: 0, drains: 0, sendStalls: 0, failed: 0, retryAfterGiveUps: 0, reentrant: 0, slowReader: 0, timeouts: 0 };

function checkInvariants(world: World): void {
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

const params = fc.record({
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

describe('SessionCore', () => {
  it('SessionCore - random interleavings keep every invariant, and together reach every path they claim to', () => {
    fc.assert(
      fc.property(params, (p) => {
        const settings: SessionSettings = {
          ...base,
          overflow: p.overflow,
          messageFrames: p.messageFrames,
          channels: p.channels,
          realtimeFactor: p.realtimeFactor,
          reconnect: p.reconnect === 'off' ? false : base.reconnect,
          highWaterMarkBytes: p.highWaterMarkBytes,
          maxBufferedEvents: p.maxBufferedEvents,
          windowSamples: p.windowSamples,
          ...(p.speech ? { speech: { sendOnlySpeech: true, finalizeOnSpeechEnd: p.seed % 2 === 0, tailSamples: PRE_ROLL + 20 } } : {}),
        };
        const world = new World(settings, p.seed, p.link, p.readableHighWaterMark, p.speech ?? undefined);
        if (p.speech) coverage.speech++;
        const before = world.notices.length;
        run(world, p.actions, p.stalledReader);
        if (p.actions.some((a) => a.k === 'listener') && world.notices.length > before) coverage.reentrant++;
        if (world.drainRequests > 0) coverage.drains++;
        checkInvariants(world);
      }),
      { numRuns: 500 },
    );
    // The runs reach what this test claims (in 500 runs each figure is several times its floor).
    const c = JSON.stringify(coverage);
    expect(coverage.wroteAudio / coverage.runs, c).toBeGreaterThan(0.8);
    expect(coverage.windowFull, c).toBeGreaterThan(10);
    expect(coverage.gaps, c).toBeGreaterThan(3);
    expect(coverage.timeouts, c).toBeGreaterThan(0);
    expect(coverage.failed, c).toBeGreaterThan(20);
    expect(coverage.failed, c).toBeLessThan(coverage.runs * 0.8);
    expect(coverage.drains, c).toBeGreaterThan(10);
    expect(coverage.sendStalls, c).toBeGreaterThan(3);
    expect(coverage.reentrant, c).toBeGreaterThan(20);
    expect(coverage.slowReader, c).toBeGreaterThan(0);
    expect(coverage.retryAfterGiveUps, c).toBeGreaterThan(3);
    expect(coverage.speech, c).toBeGreaterThan(50);
  });

  it('SessionCore - the same seed replays the same run', () => {
    const once = (seed: number) => {
      const actions = fc.sample(fc.array(action, { minLength: 80, maxLength: 80, size: 'max' }), { seed, numRuns: 1 })[0]!;
      const world = new World(base, seed, 8);
      run(world, actions);
      return JSON.stringify([world.opens, world.notices.map((n) => [n.name, n.at]), world.finals().map((f) => f.text), world.finishedAt]);
    };
    expect(once(42)).toBe(once(42));
    expect(once(42)).not.toBe(once(43));
  });

  it('SessionCore - a reconnect that is still connecting when the end bound comes fails with timeout then, not at its connect timeout', () => {
    // `end` went at 0 to a server that stopped answering; the stall at 3 s made a reconnect at 3.1 s that never
    // opened. The stream must fail at 4 s (`endTimeoutMs`), not at 5.1 s.
    const world = new World(base, () => 0);
    world.write(1);
    world.accept();
    world.conn!.reads = world.conn!.answersEnd = false;
    world.end();
    world.advance(4250);
    expect(world.opens.map((o) => o.at)).toEqual([0, 3100]);
    expect(world.error).toMatchObject({ code: 'timeout' });
    expect(world.finishedAt).toBe(4000);
  });

  it('SessionCore - a clean stream: one connection, finals at stream times, done', () => {
    const world = new World(base, () => 0);
    world.write(500);
    world.accept();
    world.write(1500);
    world.serverFinal(800);
    world.write(300);
    world.end();
    world.advance(100);
    world.read(100);
    expect(world.error).toBeNull();
    expect(world.core.done).toBe(true);
    expect(world.readerClosed).toBe(true);
    expect(world.opens).toHaveLength(1);
    expect(world.finals().map((f) => f.text)).toEqual(['0-800', '800-2300']);
  });

  it('SessionCore - a long confirmed stream holds a few blocks, and hands every one back to its pool when it ends', () => {
    const world = new World(base, () => 0);
    world.write(100);
    world.accept();
    for (let i = 1; i <= 300; i++) {
      world.write(100);
      if (i % 10 === 0) world.serverFinal(i * 100 - 200); // a final every second of audio, a little behind
      world.read(100);
    }
    world.end();
    world.advance(100);
    expect(world.error).toBeNull();
    expect(world.written).toBe(30100);
    // Unconfirmed audio is at most about 1,200 samples: with blocks of 400 (four writes), at most 5 blocks at once.
    expect(world.core.blockSamples).toBe(400);
    expect(world.maxHeld).toBeLessThanOrEqual(5 * 400);
    expect(world.core.heldBytes).toBe(0);
    expect(world.pool.spareBytes).toBeGreaterThan(0);
  });

  it('SessionCore - audio ahead of real time goes in catch-up messages; audio at real time a frame at a time', () => {
    const settings = { ...base, messageFrames: 2 };
    // A file: written faster than real time. The first two frames go alone (the source is not yet a message
    // ahead of real time); from then on each message waits for two whole frames, and `end` sends the rest.
    const file = new World(settings, () => 0);
    file.write(100);
    file.accept();
    for (let i = 0; i < 9; i++) file.write(100);
    file.write(50);
    file.end();
    file.advance(100);
    expect(file.error).toBeNull();
    expect(file.messages).toEqual([100, 100, 200, 200, 200, 200, 50]);
    // A live source: a frame every 100 ms of real time goes as it comes.
    const live = new World(settings, () => 0);
    live.write(100);
    live.accept();
    for (let i = 0; i < 5; i++) {
      live.advance(100);
      live.write(100);
    }
    expect(live.messages).toEqual([100, 100, 100, 100, 100, 100]);
    // A file source that stalls: its last frame goes once real time comes within a message of its end.
    const stalled = new World(settings, () => 0);
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
    const world = new World(base, () => 0);
    world.write(1000);
    world.accept();
    world.serverFinal(400);
    world.serverClose(1006);
    world.advance(1500); // the backoff
    world.accept();
    world.end();
    world.advance(100);
    world.read(100);
    expect(world.error).toBeNull();
    expect(world.finals().map((f) => f.text)).toEqual(['0-400', '400-1000']);
    const reconnecting = world.notices.find((n) => n.name === 'reconnecting')!.info as SessionNotices['reconnecting'];
    expect(reconnecting).toMatchObject({ attempt: 1, cause: { code: 'connection_lost', closeCode: 1006 } });
  });

  it('SessionCore - close 1000 before session.ended is a drop: backoff, replay, and the budget ends it, telling what the server did', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    for (let i = 0; i < 10 && !world.core.done; i++) {
      world.accept();
      world.serverClose(1000);
      world.advance(2000);
    }
    expect(world.core.done).toBe(true);
    expect(world.error).toMatchObject({ code: 'connection_failed' });
    expect((world.error as SttError).message).toBe(
      'Gave up reconnecting after 4 failed attempts (`reconnect.retries` is 3): 4 connections in a row were closed with 1000 (connection_lost) right after opening; last: connection_lost: Connection closed (1000) before the session ended',
    );
    expect(world.opens).toHaveLength(4); // the first and 3 retries
  });

  it('SessionCore - a final beyond the audio sent, an overlap, a bad channel and a second session.started are protocol errors that move nothing', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    world.accept();
    const c = world.conn!;
    const send = (m: object) => world.input(() => world.core.message(c.id, parseServerMessage(JSON.stringify(m)), world.now, 0));
    send({ type: 'transcript', is_final: true, text: 'far', start: 0, end: 1e6 });
    send({ type: 'transcript', is_final: true, text: 'seven', start: 0, end: 0.1, channel: 7 });
    send({ type: 'session.started', session_id: 'again' });
    send({ type: 'transcript', is_final: true, text: 'ok', start: 0, end: 0.5 });
    send({ type: 'transcript', is_final: true, text: 'overlap', start: 0.3, end: 0.8 });
    world.read(100);
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

  it('SessionCore - a server that sends interims but never confirms: the stream fails with timeout endTimeoutMs after `end`, naming the bound and what the server did', () => {
    const world = new World(base, () => 0);
    world.write(1000);
    world.accept();
    world.conn!.answersEnd = false;
    world.end();
    for (let t = 0; t < 60 && !world.core.done; t++) {
      world.serverInterim();
      world.advance(100);
    }
    // The interims keep the connection (it is not silent), not the stream (they confirm nothing).
    expect(world.error).toMatchObject({ code: 'timeout' });
    expect((world.error as SttError).message).toMatch(
      /^No final confirmed new audio for 4000 ms after the end of the audio \(`endTimeoutMs`\): the server sent 4\d message\(s\) but no final for new audio \(the last 0\.\d s ago\)$/,
    );
    expect(world.finishedAt).toBeGreaterThanOrEqual(base.endTimeoutMs);
    expect(world.finishedAt).toBeLessThanOrEqual(base.endTimeoutMs + tickOf(base));
    expect(world.opens).toHaveLength(1);
  });

  it('SessionCore - a slow server that keeps confirming is never cut: the end bound counts from the last progress', () => {
    const world = new World({ ...base, windowSamples: 30_000 }, () => 0);
    world.write(20_000); // 20 s of audio at once
    world.accept();
    const c = world.conn!;
    c.answersEnd = false;
    world.end();
    // The server confirms a second of audio every 2.5 s (a gateway at 0.4× real time): 50 s in all, against a 4 s end bound.
    for (let i = 1; i <= 20 && !world.core.done; i++) {
      world.advance(2500);
      world.read(100);
      world.serverFinal(i * 1000);
    }
    world.serverEnd();
    world.advance(100);
    world.read(100);
    expect(world.error).toBeNull();
    expect(world.opens).toHaveLength(1);
    expect(world.finals()).toHaveLength(20);
  });

  it('SessionCore - a slow link that drains is never a stall; one that carries nothing for stallTimeoutMs is', () => {
    // 10 s of audio through a link of 0.5 bytes/ms (a quarter of the audio's 2 bytes a sample): 40 s to carry it all.
    const world = new World({ ...base, highWaterMarkBytes: 1024 }, () => 0, 0.5);
    world.write(100);
    world.accept();
    for (let t = 0; t < 600 && world.written < 10_000; t++) {
      world.write(100);
      world.advance(100);
    }
    world.end();
    for (let t = 0; t < 800 && !world.core.done; t++) {
      world.advance(100);
      if (t % 20 === 0) world.serverFinal(Infinity);
      world.read(100);
    }
    expect(world.written).toBe(10_000);
    expect(world.error).toBeNull();
    expect(world.opens).toHaveLength(1);
    expect(world.notices.filter((n) => n.name === 'reconnecting')).toEqual([]);
    // The same link, stopped: the server reads nothing; after stallTimeoutMs the connection is replaced.
    const stopped = new World({ ...base, highWaterMarkBytes: 1024 }, () => 0, 0.5);
    stopped.write(100);
    stopped.accept();
    stopped.conn!.reads = false;
    for (let i = 0; i < 20; i++) stopped.write(100);
    stopped.advance(base.stallTimeoutMs + tickOf(base));
    const cause = (stopped.notices.find((n) => n.name === 'reconnecting')?.info as SessionNotices['reconnecting'] | undefined)?.cause;
    expect(cause?.message).toMatch(/^Connection dropped: the server read nothing for 3000 ms \(`stallTimeoutMs`\) while \d+ bytes waited to be sent$/);
  });

  it('SessionCore - drop-oldest on a slow link: the writer never waits; past the window the oldest unsent audio goes as one gap, and the times stay exact', () => {
    const world = new World({ ...base, overflow: 'drop-oldest', highWaterMarkBytes: 1024, windowSamples: 2000 }, () => 0, 0.2);
    world.write(100);
    world.accept();
    for (let i = 0; i < 59; i++) {
      world.write(100); // a live source: 100 ms of audio every 100 ms, over a link that carries a tenth of it
      expect(world.writing).toBe(false);
      world.advance(100);
    }
    world.serverFinal(Infinity);
    world.read(100);
    const gaps = world.events.filter((e) => e.type === 'gap');
    expect(gaps.length).toBeGreaterThan(0);
    expect(world.notices.find((n) => n.name === 'lag')?.info).toMatchObject({ behind: true });
    expect(world.core.stats.unsentSeconds).toBeGreaterThan(1);
    world.end();
    for (let t = 0; t < 400 && !world.core.done; t++) {
      world.advance(100);
      world.serverFinal(Infinity);
      world.read(100);
    }
    expect(world.error).toBeNull();
    expect(world.opens).toHaveLength(1);
    checkInvariants(world);
  });

  it('SessionCore - a listener that aborts from inside an event ends the stream after the step, with its reason', () => {
    const world = new World(base, () => 0);
    world.listener = 'abort';
    world.write(500); // the `open` notice comes once the server says session.started
    world.accept();
    expect(world.error).toMatchObject({ code: 'aborted', message: 'Aborted by the signal', cause: { message: 'a listener gave up' } });
    expect(world.core.heldBytes).toBe(0);
  });

  it('SessionCore - latency: a final 120 ms after its audio was sent reports 120 ms', () => {
    const world = new World(base, () => 0);
    world.accept(); // nothing pending: no connection yet
    world.write(1000);
    world.accept();
    world.advance(120);
    world.serverFinal(1000);
    const metrics = world.notices.find((n) => n.name === 'metrics')!.info as { latencyMs: number };
    expect(metrics.latencyMs).toBe(120);
    expect(world.core.stats.latency).toMatchObject({ count: 1, p50: 120, max: 120 });
  });
});
