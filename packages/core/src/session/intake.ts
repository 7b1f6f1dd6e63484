/**
 * The writer's side of a session: audio taken in a second at a time (so
 * back-pressure and the window apply to long writes), admitted past a slow
 * reader, the socket and the window, and stored; the part of a write that
 * must wait is kept here until something changes, and a `finalize` asked
 * for during a write goes after it. Pure: the session core is its
 * {@link IntakeHost}.
 *
 * @module
 */
import { Op, type Outbox, type SessionSettings } from './commands.ts';
import type { Connection } from './connection.ts';
import type { Reader } from './reader.ts';
import type { Gap, ReplayWindow } from './replay-window.ts';
import type { SpeechEventKind, SpeechFilterFactory, SpeechFilterLike, SpeechSink } from './speech.ts';

/** What the intake asks of the session core. */
export interface IntakeHost {
  /** The open connection, or `null`. */
  conn(): Connection | null;
  /** Whether the session is over. */
  done(): boolean;
  /** Connects now if no connection is open or being opened. */
  connectIfIdle(now: number): void;
  /** Audio came in: send what can go. */
  appended(now: number): void;
  /** Unsent audio the window let go: report it (one span, once the dropping stopped). */
  lost(gap: Gap): void;
  /** A marker at `position`: a `finalize` (the end of what was written, or where speech ended), or a `cut` (where speech ended); sent by the next `appended`. */
  mark(position: number, kind: 'finalize' | 'cut'): void;
  /** A voice activity event of the client's detector. */
  speech(kind: SpeechEventKind, channel: number, position: number): void;
}

/**
 * The pending write of a session.
 *
 * @example
 * ```ts
 * if (!intake.write(wire, now)) awaitWriteDone(); // the rest waits for a `writeDone` command
 * ```
 */
export class Intake implements SpeechSink {
  readonly #s: SessionSettings;
  readonly #window: ReplayWindow;
  readonly #reader: Reader;
  readonly #out: Outbox;
  readonly #host: IntakeHost;
  readonly #messageSamples: number;
  /** The part of a write not yet taken in, and where in it; a finalize to send after it. */
  #pending: Int16Array | null = null;
  #pendingAt = 0;
  #finalizeAfter = false;
  /** Unsent audio dropped so far in one run of overflowing writes: reported as one gap when the run ends. */
  #gap: Gap | null = null;
  /** The client's voice activity detection, made at the first write when the session has a detector. */
  readonly #makeSpeech: SpeechFilterFactory | undefined;
  #speech: SpeechFilterLike | null = null;
  /** The stream position just past the audio written. */
  written = 0;

  constructor(s: SessionSettings, window: ReplayWindow, reader: Reader, out: Outbox, host: IntakeHost, makeSpeech?: SpeechFilterFactory) {
    this.#s = s;
    this.#window = window;
    this.#reader = reader;
    this.#out = out;
    this.#host = host;
    this.#messageSamples = s.frameSamples * Math.max(1, s.messageFrames ?? 1);
    this.#makeSpeech = s.speech ? makeSpeech : undefined;
  }

  /** Samples per channel of silence not sent (only speech is sent). */
  get skipped(): number {
    return this.#speech ? this.#speech.skipped : 0;
  }

  /** Where the kept audio ends (the replay window's end). */
  get keptEnd(): number {
    return this.#window.end;
  }

  /** A write is in progress. */
  get writing(): boolean {
    return this.#pending !== null;
  }

  /** Takes in `wire`; `true` when all of it is in, else the rest waits (a `writeDone` command follows). */
  write(wire: Int16Array, now: number): boolean {
    this.#pending = wire;
    this.#pendingAt = 0;
    return this.#take(now);
  }

  /** A finalize asked for now: `true` when it must wait for the write in progress. */
  deferFinalize(): boolean {
    if (this.#pending) this.#finalizeAfter = true;
    return this.#pending !== null;
  }

  /** Something changed that the waiting write may wait for. */
  resume(now: number): void {
    if (this.#pending && this.#take(now)) this.#out.push(Op.writeDone);
  }

  /** The stream is over: nothing more is taken in. */
  clear(): void {
    this.#pending = null;
    this.#gap = null;
  }

  /** Reports the gap of a run of dropped audio now (the connection ended, the writer ended). */
  flushGap(): void {
    const gap = this.#gap;
    this.#gap = null;
    if (gap) this.#host.lost(gap);
  }

  /** Takes in what it can of the pending write; `true` when all of it is in. */
  #take(now: number): boolean {
    const wire = this.#pending!;
    const channels = this.#s.channels;
    const step = this.#s.sampleRate * channels;
    for (let at = this.#pendingAt; at < wire.length; at += step) {
      const part = wire.length <= step ? wire : wire.subarray(at, at + step);
      if (!this.#admit(part.length / channels, now)) {
        this.#pendingAt = at;
        return false;
      }
      this.#append(part, now);
      if (this.#host.done()) return true;
    }
    this.#pending = null;
    if (this.#finalizeAfter) {
      this.#finalizeAfter = false;
      this.#host.mark(this.#window.end, 'finalize');
      this.#host.appended(now);
    }
    return true;
  }

  /** The writer ended: open speech ends, silence at the end is not sent. */
  finishSpeech(): void {
    this.#speech?.finish(this);
  }

  /** Whether `samples` more may be taken in now (a slow reader, the socket, the window). */
  #admit(samples: number, now: number): boolean {
    if (this.#reader.waiting > 0) return false;
    this.#host.connectIfIdle(now);
    const conn = this.#host.conn();
    const window = this.#window;
    if (!conn) return window.admit(samples, false, now);
    // `wait`: the socket's back-pressure reaches the writer. `drop-oldest` (live): unsent audio waits here, up to the window.
    if (this.#s.overflow === 'wait' && window.heldAfter(conn.sentUpTo) >= this.#messageSamples) return false;
    const ok = window.admit(samples, true, now);
    if (!ok) this.#out.push(Op.wakeAt, window.waitDeadline);
    return ok;
  }

  #append(part: Int16Array, now: number): void {
    const position = this.written;
    this.written += part.length / this.#s.channels;
    if (this.#makeSpeech) {
      this.#speech ??= this.#makeSpeech(this.#s.channels, this.#s.speech!);
      this.#speech.push(part, position, this);
    } else this.keep(part);
    const window = this.#window;
    if (window.releasable) window.release();
    this.#host.appended(now);
  }

  // ---- the speech filter's sink ----------------------------------------------

  /** Stores audio to send; past the window, what goes unsent is one gap per spell of dropping. */
  keep(samples: Int16Array): void {
    const window = this.#window;
    const conn = this.#host.conn();
    const dropped = window.store(samples, conn ? conn.sentUpTo : Infinity);
    if (conn && dropped.length > 0) {
      // A live source on a slow link: the oldest unsent audio went. The connection goes on from what is left.
      conn.jumpTo(window.start);
      for (const gap of dropped) {
        if (this.#gap?.end === gap.start) this.#gap.end = gap.end;
        else {
          this.flushGap();
          this.#gap = gap;
        }
      }
    } else this.flushGap();
  }

  jump(position: number): void {
    this.#window.jump(position);
  }

  event(kind: SpeechEventKind, channel: number, position: number): void {
    this.#host.speech(kind, channel, position);
  }

  silence(position: number): void {
    this.#host.mark(position, this.#s.speech?.finalizeOnSpeechEnd ? 'finalize' : 'cut');
  }
}
