// The simulated world the session core's tests drive it in: a clock, a link (a send buffer that fills as
// the core sends and drains at its own rate, or not at all while the server stops reading), a gateway, and
// a reader with a small buffer. Each sample's value is its stream position, so the simulated server knows
// exactly which audio it received. No network, no timer: time moves only when a test says so.
import { expect } from 'vitest';
import { createSttError } from '../errors.ts';
import { mulberry32 } from '../prng.ts';
import { parseServerMessage } from '../protocol/gateway-dialect.ts';
import type { TranscriptEvent, TranscriptSegmentEvent } from '../types.ts';
import { BlockPool } from './block-pool.ts';
import { Op, type SessionSettings } from './commands.ts';
import { SessionCore } from './session-core.ts';
import { SpeechFilter, type SpeechDetector, type SpeechDetectorFactory } from './speech.ts';

export const RATE = 1000;
export const base: SessionSettings = {
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
export const tickOf = (s: SessionSettings) => Math.max(25, Math.min(s.keepAliveMs, s.stallTimeoutMs, s.connectTimeoutMs, s.endTimeoutMs) / 4);


export interface ServerConn {
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

export type Final = TranscriptSegmentEvent;

/** Pre-roll and hangover of the fake detector, in samples (at 1000 Hz: 40 ms and 60 ms). */
export const PRE_ROLL = 40;
export const HANGOVER = 60;

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
export class World {
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
