/**
 * The streaming session as a pure state machine (the "sans-I/O" shape):
 * every decision of a transcriber's session is made here or in a part
 * beside it, and nothing here touches a socket, a timer, a promise or a
 * global. Inputs are method calls that carry the time (`now`, ms of a
 * monotonic clock) and what the open connection's socket holds
 * (`buffered`, bytes); outputs are commands queued in {@link SessionCore.out},
 * which the Web Streams wrapper (`transcriber.ts`) carries out after each
 * input. Memory comes from the given pool, randomness from the given source.
 *
 * Its parts: {@link Sender} (what goes now) with the cut of `framing.ts`,
 * {@link ReplayWindow} (commit points, the window, overflow, gaps),
 * {@link ReconnectPolicy} (close codes, the retry rule, the budget),
 * `bounds.ts` (when waiting has gone on too long), {@link Reader} (events
 * toward a slow reader), `transcripts.ts` (which server transcripts are
 * rejected, and their times), {@link LatencyTracker}; one
 * {@link Connection} record for the open connection.
 *
 * @module
 */
import { SttError, createSttError } from '../errors.ts';
import type { ServerMessage } from '../protocol/gateway-dialect.ts';
import type { TranscriptEvent } from '../types.ts';
import { connectTimeout, endDeadline, endTimeout, stallOf } from './bounds.ts';
import { Op, Outbox, type SessionDeps, type SessionSettings } from './commands.ts';
import { Connection } from './connection.ts';
import { Intake } from './intake.ts';
import { Lag } from './lag.ts';
import { LatencyTracker } from './latency.ts';
import { Markers } from './markers.ts';
import { Reader, slowReader } from './reader.ts';
import { ReconnectPolicy, type DropCause } from './reconnect-policy.ts';
import { ReplayWindow, gapEvent } from './replay-window.ts';
import { Received, receive, type ReceiverParts } from './receiver.ts';
import { Sender, Sent } from './sender.ts';

export type { LagInfo, SessionDeps, SessionNotices, SessionSettings, TranscriptMetrics } from './commands.ts';
export { TIME_TOLERANCE_S } from './transcripts.ts';

type Phase = 'idle' | 'waiting' | 'connecting' | 'open' | 'done';

/** Who ended the stream early: how {@link SessionCore.abort} names it. */
export type AbortSource = 'writable' | 'readable' | 'signal' | 'error';

/** What `stats.state` says of a session in `phase`. */
function stateOf(phase: Phase, failed: boolean, ending: boolean, wasOpen: boolean) {
  if (phase === 'done') return failed ? 'failed' : 'closed';
  if (phase === 'open') return ending ? 'ending' : 'open';
  if (phase === 'idle') return 'idle';
  return wasOpen ? 'reconnecting' : 'connecting';
}

/** How long to wait for the close after `session.ended` before ending anyway. */
const ENDED_GRACE_MS = 2000;

/**
 * The error a stream ends with when it is aborted: an `error` (bad input,
 * a transport that failed) and the writable's own errors (a source that
 * failed with an `SttError`, a `TypeError`) as they are; anything else
 * wrapped as `aborted`, with it as `cause`.
 */
export function abortError(source: AbortSource, reason: unknown): Error {
  const own = reason instanceof SttError || reason instanceof TypeError || reason instanceof RangeError;
  if (source === 'error' || (source === 'writable' && own)) return reason as Error;
  const message =
    source === 'signal' ? 'Aborted by the signal' : source === 'readable' ? 'The transcript stream was cancelled' : 'The audio stream was aborted';
  return createSttError('aborted', message, { cause: reason });
}

/**
 * One streaming session (see the module doc; `session-core.test.ts` drives it with no network).
 *
 * @example
 * ```ts
 * const core = new SessionCore(settings, { pool: new BlockPool(), random: Math.random });
 * core.pull(64, now);                // the reader has room
 * core.write(samples, now, 0);       // from the writer: queues `open`
 * core.opened(1, now);               // from the transport: queues the `send`s
 * for (let i = 0; i < core.out.list.length; i += 3) carryOut(core.out.list[i], core.out.list[i + 1], core.out.list[i + 2]);
 * core.out.settle();
 * ```
 */
export class SessionCore {
  /** The commands queued by the inputs so far. */
  readonly out: Outbox;
  readonly #s: SessionSettings;
  readonly #window: ReplayWindow;
  readonly #policy: ReconnectPolicy;
  readonly #latency = new LatencyTracker();
  readonly #markers = new Markers();
  readonly #sender: Sender;
  readonly #reader: Reader;
  readonly #parts: ReceiverParts;
  readonly #intake: Intake;
  readonly #tickMs: number;
  readonly #lagMeter: Lag;

  #phase: Phase = 'idle';
  #error: Error | null = null;
  #ending = false;
  #everStarted = false;
  #connections = 0;
  #replayed = 0;
  /** The last id given to a connection, and when the one being opened started. */
  #id = 0;
  #attemptAt = 0;
  #reconnectAt = 0;
  #conn: Connection | null = null;
  /** Where the stream has sent up to, between connections (the replay start). */
  #sentUpTo = 0;
  #firstEndSentAt = -1;
  #lastProgressAt = -1;
  #closeReader = false;

  constructor(settings: SessionSettings, deps: SessionDeps) {
    this.#s = settings;
    this.out = new Outbox(deps.pool);
    this.#window = new ReplayWindow(settings, deps.pool, (block) => this.out.retire(block));
    this.#policy = new ReconnectPolicy(settings.reconnect, deps.random);
    this.#sender = new Sender(settings, this.#window, this.#markers, this.#latency, this.out);
    this.#reader = new Reader(settings.maxBufferedEvents, this.out);
    this.#intake = new Intake(settings, this.#window, this.#reader, this.out, {
      conn: () => this.#conn,
      done: () => this.done,
      connectIfIdle: (now) => this.#phase === 'idle' && this.#connect(now),
      appended: (now) => (this.#conn ? this.#pump(this.#conn, now) : this.#lag()),
      lost: (gap) => this.#deliverEvent(gapEvent(gap, settings.sampleRate)),
      mark: (position, kind) => this.#markers.add(position, kind),
      speech: (kind, channel, position) => this.#deliverEvent({ type: kind, timestamp: position / settings.sampleRate, channel, source: 'client' }),
    }, deps.speech);
    this.#parts = { s: settings, window: this.#window, policy: this.#policy, latency: this.#latency, markers: this.#markers, reader: this.#reader, out: this.out };
    this.#lagMeter = new Lag(settings);
    this.#tickMs = Math.max(25, Math.min(settings.keepAliveMs, settings.stallTimeoutMs, settings.connectTimeoutMs, settings.endTimeoutMs) / 4);
  }

  // ---- what the wrapper reads ----------------------------------------------

  /** The error the session failed with, or `null`. */
  get error(): Error | null { return this.#error; }

  get done(): boolean { return this.#phase === 'done'; }

  /** The id of the open connection (whose socket `buffered` is about), or -1. */
  get currentId(): number { return this.#conn ? this.#conn.id : -1; }

  /** Bytes of replay blocks the session holds. */
  get heldBytes(): number { return this.#window.heldBytes; }

  /** Samples per channel in one replay block (settled at the first write). */
  get blockSamples(): number { return this.#window.blockSamples; }

  /** Counters for `transcriber.stats`. */
  get stats() {
    const rate = this.#s.sampleRate;
    const phase = this.#phase;
    const written = this.#intake.written;
    const sent = this.#conn ? this.#conn.sentUpTo : this.#sentUpTo;
    return {
      writtenSamples: written,
      sentSamples: sent,
      committedSamples: this.#window.committed(),
      retainedBytes: this.#window.byteLength,
      unsentSeconds: this.#window.heldAfter(sent) / rate,
      unconfirmedSeconds: this.#window.heldAfter(this.#window.committed()) / rate,
      sentSeconds: this.#sender.sentSamples / rate,
      skippedSeconds: this.#intake.skipped / rate,
      connections: this.#connections,
      reconnects: Math.max(0, this.#connections - 1),
      replayedSeconds: this.#replayed / rate,
      gapSeconds: this.#window.gapSamples / rate,
      latency: this.#latency.summary(),
      state: stateOf(phase, this.#error !== null, this.#ending, this.#everStarted || this.#connections > 0),
    } as const;
  }

  // ---- inputs from the writer and the reader -------------------------------

  /**
   * Wire samples (interleaved Int16) written. Taken in a second at a time
   * (so back-pressure and the window apply to long writes), copied, so the
   * caller may reuse its array once the write is done. Returns `true` when
   * all of it was taken; otherwise the rest waits here and a `writeDone`
   * command says when it is in. Connects when idle. Throws the session's
   * error once it is over.
   */
  write(wire: Int16Array, now: number, buffered: number): boolean {
    this.#throwIfDone();
    this.#conn?.observe(buffered, now);
    return this.#intake.write(wire, now);
  }

  /** Asks the server for finals of everything written so far (after the write in progress). */
  finalize(now: number, buffered: number): void {
    if (this.done || this.#intake.deferFinalize() || this.#window.end === 0) return;
    this.#conn?.observe(buffered, now);
    this.#markers.add(this.#window.end, 'finalize');
    this.#kick(now);
  }

  /** No more audio: send what is left and `end`, then finish on `session.ended`. */
  end(now: number, buffered: number): void {
    if (this.done || this.#ending) return;
    this.#ending = true;
    this.#intake.finishSpeech();
    if (this.#window.end === 0) return this.#finish(null); // nothing was ever written (or kept): no session to end
    this.#conn?.observe(buffered, now);
    this.#intake.flushGap();
    this.#markers.add(this.#window.end, 'end');
    this.#kick(now);
  }

  /** The stream ends early: `reason` from the writable's abort, the readable's cancel, the signal, or an error (bad input, a transport). */
  abort(reason: unknown, source: AbortSource): void {
    this.#finish(abortError(source, reason));
  }

  /** The readable has room for `desired` more events. */
  pull(desired: number, now: number): void {
    if (this.#phase === 'done' && this.#error) return;
    if (!this.#reader.pull(desired)) return;
    if (this.#closeReader) {
      this.#closeReader = false;
      this.out.push(Op.closeReader);
    }
    this.#intake.resume(now);
  }

  // ---- inputs from the transport -------------------------------------------

  opened(id: number, now: number): void {
    if (id !== this.#id || this.#phase !== 'connecting') {
      this.out.push(Op.close, id, { code: 1000, reason: 'done' }); // a late connection nobody wants
      return;
    }
    const { from, gaps } = this.#window.replayStart();
    for (const gap of gaps) this.#deliverEvent(gapEvent(gap, this.#s.sampleRate));
    const replayEnd = Math.max(from, Math.min(this.#sentUpTo, this.#window.end));
    const replaySamples = this.#window.heldAfter(from) - this.#window.heldAfter(replayEnd);
    const conn = (this.#conn = new Connection(id, now, from, replayEnd, replaySamples, this.#s.channels));
    this.#phase = 'open';
    this.#connections++;
    this.#replayed += replaySamples;
    this.#latency.reset();
    this.#pump(conn, now);
    this.#intake.resume(now);
    this.out.push(Op.wakeAt, now + this.#tickMs);
  }

  refused(id: number, error: unknown, now: number): void {
    if (id !== this.#id || this.#phase !== 'connecting') return;
    this.#drop({ kind: 'refused', error }, now);
  }

  closed(id: number, code: number, reason: string, now: number): void {
    if (id !== this.#id || this.#phase === 'done' || this.#phase === 'idle' || this.#phase === 'waiting') return;
    if (this.#phase === 'connecting') this.opened(id, now); // a close that overtook the open: the connection lasted no time
    const conn = this.#conn!;
    this.#conn = null;
    this.out.notice('close', { code, reason });
    this.#drop({ kind: 'closed', code, reason, serverError: conn.serverError }, now, conn);
  }

  /** The socket of connection `id` drained (the `awaitDrain` asked for). */
  drained(id: number, now: number, buffered: number): void {
    const conn = this.#conn;
    if (!conn || conn.id !== id) return;
    conn.drainWait = false;
    conn.observe(buffered, now);
    this.#pump(conn, now);
    this.#intake.resume(now);
  }

  /** A server message that could not be parsed: reported, and the session goes on. */
  messageError(id: number, error: SttError, now: number): void {
    const conn = this.#conn;
    if (!conn || conn.id !== id) return;
    conn.lastMessageAt = now;
    conn.chatter++;
    this.out.notice('error', error);
  }

  /** A parsed server message (credentials already redacted from its text). */
  message(id: number, msg: ServerMessage, now: number, buffered: number): void {
    if (id === this.#id && this.#phase === 'connecting') this.opened(id, now);
    const conn = this.#conn;
    if (!conn || conn.id !== id) return;
    conn.observe(buffered, now);
    // A gap still growing is told before a transcript that may span it.
    if (msg.type === 'transcript') this.#intake.flushGap();
    const r = receive(this.#parts, conn, msg, now, this.#everStarted);
    if (r & Received.started) this.#everStarted = true;
    if (r & Received.overflow) return this.#finish(slowReader(this.#reader.max));
    if (r & Received.progress) {
      this.#lastProgressAt = now;
      this.#lag();
      this.#intake.resume(now);
    }
  }

  // ---- the clock -----------------------------------------------------------

  /** Time passed: deadlines (backoff, connect, `session.started`, stalls, the end, keep-alive, pacing, the window wait). */
  tick(now: number, buffered: number): void {
    const phase = this.#phase;
    if (phase === 'done' || phase === 'idle') return;
    const s = this.#s;
    const conn = this.#conn;
    const endBy = endDeadline(this.#firstEndSentAt, this.#lastProgressAt, s);
    if (now >= endBy && !conn?.sessionEnded) return this.#finish(endTimeout(s, this.#policy, conn, buffered, now));
    if (phase === 'waiting') {
      if (now >= this.#reconnectAt) this.#connect(now);
      else this.out.push(Op.wakeAt, Math.min(this.#reconnectAt, endBy));
      return;
    }
    if (phase === 'connecting') {
      if (now - this.#attemptAt < s.connectTimeoutMs) return this.out.push(Op.wakeAt, Math.min(this.#attemptAt + s.connectTimeoutMs, endBy));
      return this.#drop({ kind: 'refused', error: connectTimeout(s) }, now);
    }
    conn!.observe(buffered, now);
    const stall = stallOf(conn!, buffered, s, now);
    if (stall) {
      this.#conn = null;
      this.out.push(Op.terminate, conn!.id);
      this.out.notice('close', { code: 1006, reason: 'the connection stalled' });
      return this.#drop({ kind: 'stalled', message: stall }, now, conn!);
    }
    if (conn!.sessionEnded && now - conn!.sessionEndedAt >= ENDED_GRACE_MS && this.#ending && conn!.sentUpTo >= this.#window.end) {
      return this.#finish(null); // session.ended came but the server did not close: done anyway
    }
    this.#sender.keepAlive(conn!, now, buffered);
    this.#pump(conn!, now);
    this.#intake.resume(now);
    this.out.push(Op.wakeAt, Math.min(now + this.#tickMs, endBy));
  }

  // ---- connecting ------------------------------------------------------------

  #connect(now: number): void {
    this.#phase = 'connecting';
    this.#attemptAt = now;
    this.out.push(Op.open, ++this.#id);
    // The connect timeout, or the end of the stream's bound if that comes first.
    this.out.push(Op.wakeAt, Math.min(now + this.#s.connectTimeoutMs, endDeadline(this.#firstEndSentAt, this.#lastProgressAt, this.#s)));
  }

  #drop(cause: DropCause, now: number, conn: Connection | null = null): void {
    this.#id++; // nothing more from that connection
    this.#intake.flushGap();
    this.#phase = 'waiting';
    if (conn) this.#sentUpTo = conn.sentUpTo;
    const end = this.#window.end;
    const decision = this.#policy.decide(cause, {
      now,
      sessionEnded: conn?.sessionEnded ?? false,
      endedAndAllSent: this.#ending && (conn?.sentUpTo ?? this.#sentUpTo) >= end,
      pending: this.#ending || this.#markers.size > 0 || end > this.#window.committed(),
      uptimeMs: conn ? now - conn.openedAt : 0,
    });
    switch (decision.action) {
      case 'done':
        // An `error` the server sent and then ended normally after: told, not lost.
        if (decision.error) this.out.notice('error', decision.error);
        return this.#finish(null);
      case 'fail':
        return this.#finish(decision.error);
      case 'idle':
        this.#phase = 'idle';
        return this.#intake.resume(now);
      case 'reconnect':
        this.out.notice('reconnecting', { attempt: decision.attempt, delayMs: decision.delayMs, cause: decision.error });
        this.#reconnectAt = now + decision.delayMs;
        if (decision.delayMs === 0) this.#connect(now);
        else this.out.push(Op.wakeAt, Math.min(this.#reconnectAt, endDeadline(this.#firstEndSentAt, this.#lastProgressAt, this.#s)));
        return this.#intake.resume(now);
    }
  }

  // ---- sending ---------------------------------------------------------------

  #kick(now: number): void {
    if (this.#phase === 'idle') this.#connect(now);
    else if (this.#conn) this.#pump(this.#conn, now);
  }

  #pump(conn: Connection, now: number): void {
    const done = this.#sender.pump(conn, now);
    if (done & Sent.end && this.#firstEndSentAt < 0) this.#firstEndSentAt = now;
    if (done & Sent.lost) return this.#finish(new Error(`Internal error: audio at sample ${conn.sentUpTo} is no longer retained`));
    this.#lag();
  }

  #lag(): void {
    this.#lagMeter.check(this.#window, this.#conn ? this.#conn.sentUpTo : this.#sentUpTo, this.out);
  }

  // ---- delivering ------------------------------------------------------------

  #deliverEvent(event: TranscriptEvent): void {
    if (!this.done && !this.#reader.deliver(event)) this.#finish(slowReader(this.#reader.max));
  }

  // ---- ending ----------------------------------------------------------------

  #throwIfDone(): void {
    if (this.#phase !== 'done') return;
    if (this.#error) throw this.#error;
    throw new TypeError('The transcriber has already ended');
  }

  #finish(error: Error | null): void {
    if (this.#phase === 'done') return;
    this.#phase = 'done';
    this.#error = error;
    this.#id++;
    const conn = this.#conn;
    this.#conn = null;
    if (conn) {
      // A peer that reads nothing cannot answer a closing handshake: drop it at once.
      if (error && conn.unflushed > 0 && conn.bufferedBound > 0) this.out.push(Op.terminate, conn.id);
      else this.out.push(Op.close, conn.id, { code: 1000, reason: error ? 'client ended the stream' : 'done' });
    }
    this.#window.clear();
    this.#intake.clear();
    this.out.push(Op.finish, error);
    this.out.push(Op.writeDone);
    if (error) this.#reader.clear();
    else if (this.#reader.waiting === 0) this.out.push(Op.closeReader);
    else this.#closeReader = true;
  }
}
