/**
 * The streaming session as a pure state machine (the "sans-I/O" shape):
 * every decision of a transcriber's session is made here, and nothing here
 * touches a socket, a timer, a promise or a global. Inputs are method calls
 * that carry the time (`now`, in ms); outputs are calls on {@link SessionIO},
 * which the Web Streams wrapper (`transcriber.ts`) carries out.
 *
 * Its parts: {@link Framing} (where wire frames are cut), {@link ReplayWindow}
 * (commit points, the window, overflow, gaps), {@link ReconnectPolicy}
 * (close codes, backoff, the retry budget), {@link LatencyTracker}.
 *
 * @module
 */
import { SttError, createSttError } from '../errors.ts';
import { clientMessages, type ServerMessage, type WireTranscript } from '../protocol/gateway-dialect.ts';
import { Framing } from './framing.ts';
import { LatencyTracker } from './latency.ts';
import { Markers } from './markers.ts';
import { ReconnectPolicy, type DropCause } from './reconnect-policy.ts';
import { ReplayWindow } from './replay-window.ts';
import { retime, transcriptProblem } from './transcripts.ts';
import type { SessionIO, SessionSettings } from './session-io.ts';

export type { SessionIO, SessionNotices, SessionSettings, TranscriptMetrics } from './session-io.ts';
export { TIME_TOLERANCE_S } from './transcripts.ts';

type Phase = 'idle' | 'waiting' | 'connecting' | 'open' | 'done';

/** How long to wait for the close after `session.ended` before ending anyway. */
const ENDED_GRACE_MS = 2000;

/**
 * One streaming session (see the module doc; `session-core.test.ts` drives it with no network).
 *
 * @example
 * ```ts
 * const core = new SessionCore(settings, io);
 * if (core.admit(1600, now)) core.append(samples, now); // from the writer
 * core.opened(1, now);                                  // from the transport
 * core.message(1, parseServerMessage(text), now);
 * ```
 */
export class SessionCore {
  readonly #s: SessionSettings;
  readonly #io: SessionIO;
  readonly #framing: Framing;
  readonly #window: ReplayWindow;
  readonly #policy: ReconnectPolicy;
  readonly #latency = new LatencyTracker();
  readonly #tickMs: number;
  /** Whole frames in a message of audio that is ahead of the wire, and its samples per channel. */
  readonly #messageFrames: number;
  readonly #messageSamples: number;
  /** Bytes of one whole wire frame. */
  readonly #frameBytes: number;

  #phase: Phase = 'idle';
  #error: Error | null = null;
  readonly #markers = new Markers();
  #ending = false;
  #everStarted = false;
  #connections = 0;
  #replayedTotal = 0;

  // the current connection
  #id = 0;
  #base = 0;
  #sentUpTo = 0;
  #replayEnd = 0;
  #connectStartedAt = 0;
  #openedAt = 0;
  #reconnectAt = 0;
  #started = false;
  #sessionEnded = false;
  #sessionEndedAt = 0;
  #endSentAt = -1;
  #firstEndSentAt = -1;
  #lastSendAt = 0;
  #lastMessageAt = 0;
  #lastProgressAt = 0;
  #lastBuffered = 0;
  /**
   * At least what the socket holds: what it held when last asked plus what
   * was sent since. Below the mark, a send needs no look at the socket.
   */
  #bufferedBound = 0;
  #drainWait = false;
  #pacingUntil = 0;
  #serverError: Extract<ServerMessage, { type: 'error' }>['error'] | undefined;
  #lastFinalEnd: number[];
  #inUtterance: boolean[];

  constructor(settings: SessionSettings, io: SessionIO) {
    this.#s = settings;
    this.#io = io;
    this.#framing = new Framing(settings.frameSamples);
    this.#messageFrames = Math.max(1, settings.messageFrames ?? 1);
    this.#messageSamples = settings.frameSamples * this.#messageFrames;
    this.#frameBytes = 2 * settings.channels * settings.frameSamples;
    this.#window = new ReplayWindow(settings);
    this.#policy = new ReconnectPolicy(settings.reconnect, settings.random);
    this.#tickMs = Math.max(25, Math.min(settings.keepAliveMs, settings.stallTimeoutMs, settings.connectTimeoutMs, settings.endTimeoutMs) / 4);
    this.#lastFinalEnd = new Array<number>(settings.channels).fill(0);
    this.#inUtterance = new Array<boolean>(settings.channels).fill(false);
  }

  // ---- what the wrapper reads ----------------------------------------------

  /** The error the session failed with, or `null`. */
  get error(): Error | null { return this.#error; }

  get done(): boolean { return this.#phase === 'done'; }

  /** Whether `id` is the connection the session wants (late results of others are to be closed). */
  isCurrent(id: number): boolean {
    return id === this.#id && (this.#phase === 'connecting' || this.#phase === 'open');
  }

  /** Bytes of replay blocks the session holds (retained audio rounded up to blocks, and blocks the socket may still read). */
  get heldBytes(): number {
    return this.#window.heldBytes;
  }

  /** Samples per channel in one replay block (settled at the first write). */
  get blockSamples(): number {
    return this.#window.blockSamples;
  }

  /** Counters for `transcriber.stats`. */
  get stats() {
    const rate = this.#s.sampleRate;
    const phase = this.#phase;
    return {
      writtenSamples: this.#window.end,
      sentSamples: this.#sentUpTo,
      committedSamples: this.#window.committed(),
      retainedBytes: this.#window.byteLength,
      connections: this.#connections,
      reconnects: Math.max(0, this.#connections - 1),
      replayedSeconds: this.#replayedTotal / rate,
      gapSeconds: this.#window.gapSamples / rate,
      latency: this.#latency.summary(),
      state:
        phase === 'done' ? (this.#error ? 'failed' : 'closed')
        : phase === 'open' ? (this.#ending ? 'ending' : 'open')
        : phase === 'idle' ? 'idle'
        : this.#everStarted || this.#connections > 0 ? 'reconnecting' : 'connecting',
    } as const;
  }

  // ---- inputs from the writer ----------------------------------------------

  /**
   * Whether `samples` more may be appended now (socket back-pressure: every
   * whole message already in the socket; the replay window). Starts
   * connecting when idle. Throws the session's error once it is over.
   */
  admit(samples: number, now: number): boolean {
    this.#throwIfDone();
    if (this.#phase === 'idle') this.#connect(now);
    if (this.#phase === 'open') {
      if (this.#window.end - this.#sentUpTo >= this.#messageSamples) return false;
      const ok = this.#window.admit(samples, true, now);
      if (!ok) this.#io.wakeAt(this.#window.waitDeadline);
      return ok;
    }
    return this.#window.admit(samples, false, now);
  }

  /** Admitted wire samples (interleaved Int16); copied in, so the caller may reuse its array. */
  append(chunk: Int16Array, now: number): void {
    this.#window.store(chunk, this.#sentUpTo);
    if (this.#window.releasable) this.#release();
    if (this.#phase === 'open') this.#pump(now);
  }

  /** Asks the server for finals of everything appended so far. */
  finalize(now: number): void {
    if (this.done || this.#window.end === 0) return;
    this.#markers.add(this.#window.end, 'finalize');
    this.#kick(now);
  }

  /** No more audio: send what is left and `end`, then finish on `session.ended`. */
  end(now: number): void {
    if (this.done || this.#ending) return;
    this.#ending = true;
    if (this.#window.end === 0) {
      this.#finish(null); // nothing was ever written: no session to end
      return;
    }
    this.#markers.add(this.#window.end, 'end');
    this.#kick(now);
  }

  /** The reader or the caller gave up: end with `error`. */
  abort(error: Error): void {
    this.#finish(error);
  }

  // ---- inputs from the transport -------------------------------------------

  opened(id: number, now: number): void {
    if (id !== this.#id || this.#phase !== 'connecting') return;
    this.#phase = 'open';
    this.#connections++;
    this.#openedAt = this.#lastProgressAt = this.#lastSendAt = this.#lastMessageAt = now;
    this.#pacingUntil = 0;
    // While connecting, `drop-oldest` may have let go of audio this connection was to start with.
    if (this.#window.start > this.#base) this.#prepare();
    this.#replayedTotal += this.#replayEnd - this.#base;
    this.#pump(now);
    this.#io.wakeWriter();
    this.#io.wakeAt(now + this.#tickMs);
  }

  refused(id: number, error: unknown, now: number): void {
    if (id !== this.#id || this.#phase !== 'connecting') return;
    this.#drop({ kind: 'refused', error }, now);
  }

  closed(id: number, code: number, reason: string, now: number): void {
    if (id !== this.#id) return;
    if (this.#phase === 'connecting') {
      // A close that overtook the open: the connection lasted no time.
      this.#phase = 'open';
      this.#openedAt = now;
    }
    if (this.#phase !== 'open') return;
    this.#io.notice('close', { code, reason });
    this.#drop({ kind: 'closed', code, reason, serverError: this.#serverError }, now);
  }

  /** The socket drained (the `awaitDrain` asked for). */
  drained(id: number, now: number): void {
    if (id !== this.#id || this.#phase !== 'open') return;
    this.#drainWait = false;
    this.#lastProgressAt = now;
    this.#pump(now);
    this.#io.wakeWriter();
  }

  /** A server message that could not be parsed: reported, and the session goes on. */
  messageError(id: number, error: SttError, now: number): void {
    if (id !== this.#id || this.done) return;
    this.#lastMessageAt = now;
    this.#io.notice('error', error);
  }

  /** A parsed server message (credentials already redacted from its text). */
  message(id: number, msg: ServerMessage, now: number): void {
    if (id !== this.#id) return;
    if (this.#phase === 'connecting') this.opened(id, now);
    if (this.#phase !== 'open') return;
    this.#lastMessageAt = now;
    switch (msg.type) {
      case 'session.started':
        if (this.#started) {
          this.#protocolError('a second `session.started` on one connection');
          return;
        }
        this.#started = true;
        if (this.#everStarted) {
          this.#io.notice('reconnected', { sessionId: msg.sessionId, replayedSeconds: (this.#replayEnd - this.#base) / this.#s.sampleRate });
        } else this.#io.notice('open', { sessionId: msg.sessionId, model: msg.model });
        this.#everStarted = true;
        return;
      case 'transcript':
        this.#onTranscript(msg, now);
        return;
      case 'speech_started':
        this.#io.emit({ type: 'speech_started', timestamp: this.#base / this.#s.sampleRate + msg.timestamp });
        return;
      case 'session.ended':
        this.#sessionEnded = true;
        this.#sessionEndedAt = now;
        return;
      case 'error':
        this.#serverError = msg.error;
    }
  }

  // ---- the clock -----------------------------------------------------------

  /** Time passed: deadlines (backoff, connect, first message, stall, end, keep-alive, pacing, the window wait). */
  tick(now: number): void {
    const phase = this.#phase;
    if (phase === 'done' || phase === 'idle') return;
    const s = this.#s;
    // The end of the stream is bounded whatever the connection is doing.
    const endBy = this.#endBy();
    if (now >= endBy && !(phase === 'open' && this.#sessionEnded)) {
      this.#finish(createSttError('timeout', `No \`session.ended\` within ${s.endTimeoutMs} ms of the end of the audio`));
      return;
    }
    if (phase === 'waiting') {
      if (now >= this.#reconnectAt) this.#connect(now);
      else this.#io.wakeAt(Math.min(this.#reconnectAt, endBy));
      return;
    }
    if (phase === 'connecting') {
      if (now - this.#connectStartedAt >= s.connectTimeoutMs) {
        const error = createSttError('timeout', `No connection within ${s.connectTimeoutMs} ms (credentials and handshake)`);
        this.#drop({ kind: 'refused', error }, now);
      } else this.#io.wakeAt(Math.min(this.#connectStartedAt + s.connectTimeoutMs, endBy));
      return;
    }
    // open
    const buffered = this.#io.bufferedAmount();
    if (buffered === 0 || buffered < this.#lastBuffered) this.#lastProgressAt = now;
    this.#lastBuffered = this.#bufferedBound = buffered;
    const awaitingAnswer = this.#endSentAt >= 0 && !this.#sessionEnded;
    const silent = now - this.#lastMessageAt >= s.stallTimeoutMs;
    let stall = '';
    if (!this.#started && now - this.#openedAt >= s.connectTimeoutMs) stall = `no \`session.started\` within ${s.connectTimeoutMs} ms`;
    else if (buffered > 0 && now - this.#lastProgressAt >= s.stallTimeoutMs) stall = `the server read nothing for ${s.stallTimeoutMs} ms`;
    else if (awaitingAnswer && silent) stall = `no answer to \`end\` for ${s.stallTimeoutMs} ms`;
    if (stall) {
      this.#io.terminate();
      this.#io.notice('close', { code: 1006, reason: 'the connection stalled' });
      this.#drop({ kind: 'stalled', message: stall }, now);
      return;
    }
    if (this.#sessionEnded && now - this.#sessionEndedAt >= ENDED_GRACE_MS && this.#ending && this.#sentUpTo >= this.#window.end) {
      this.#finish(null); // session.ended came but the server did not close: done anyway
      return;
    }
    if (now - this.#lastSendAt >= s.keepAliveMs && buffered === 0) {
      this.#io.send(clientMessages.keepalive);
      this.#bufferedBound += clientMessages.keepalive.length;
      this.#lastSendAt = now;
    }
    this.#pump(now);
    this.#io.wakeWriter();
    this.#io.wakeAt(now + this.#tickMs);
  }

  // ---- connecting ------------------------------------------------------------

  #connect(now: number): void {
    this.#id++;
    this.#phase = 'connecting';
    this.#connectStartedAt = now;
    this.#prepare();
    this.#io.open(this.#id);
    // The connect timeout, or the end of the stream's bound if that comes first.
    if (this.#phase === 'connecting') this.#io.wakeAt(Math.min(now + this.#s.connectTimeoutMs, this.#endBy()));
  }

  /** When the stream must be over once `end` was sent (`endTimeoutMs` after the first), else `Infinity`. */
  #endBy(): number {
    return this.#firstEndSentAt >= 0 ? this.#firstEndSentAt + this.#s.endTimeoutMs : Infinity;
  }

  /** Where the next connection starts: the commit point (a replay), with a gap for what is gone. */
  #prepare(): void {
    const { from, gap } = this.#window.replayStart();
    if (gap) {
      const rate = this.#s.sampleRate;
      this.#io.emit({ type: 'gap', start: gap.start / rate, end: gap.end / rate, reason: 'replay_window_exceeded' });
    }
    this.#replayEnd = Math.max(from, Math.min(this.#sentUpTo, this.#window.end));
    this.#base = this.#sentUpTo = from;
    this.#framing.reset(from);
    this.#latency.reset();
    this.#started = this.#sessionEnded = this.#drainWait = false;
    this.#endSentAt = -1;
    this.#lastBuffered = 0;
    this.#bufferedBound = 0;
    this.#serverError = undefined;
    this.#lastFinalEnd.fill(0);
    this.#inUtterance.fill(false);
  }

  #drop(cause: DropCause, now: number): void {
    const wasOpen = this.#phase === 'open';
    this.#id++; // nothing more from that connection
    this.#phase = 'waiting';
    const end = this.#window.end;
    const decision = this.#policy.decide(cause, {
      now,
      sessionEnded: this.#sessionEnded,
      endedAndAllSent: this.#ending && this.#sentUpTo >= end,
      pending: this.#ending || this.#markers.size > 0 || end > this.#window.committed(),
      uptimeMs: wasOpen ? now - this.#openedAt : 0,
    });
    switch (decision.action) {
      case 'done':
        this.#finish(null);
        return;
      case 'fail':
        this.#finish(decision.error);
        return;
      case 'idle':
        this.#phase = 'idle';
        this.#io.wakeWriter();
        return;
      case 'reconnect':
        this.#io.notice('reconnecting', { attempt: decision.attempt, delayMs: decision.delayMs, cause: decision.error });
        if (this.done) return; // a listener aborted
        this.#reconnectAt = now + decision.delayMs;
        if (decision.delayMs === 0) this.#connect(now);
        else this.#io.wakeAt(this.#firstEndSentAt >= 0 ? Math.min(this.#reconnectAt, this.#firstEndSentAt + this.#s.endTimeoutMs) : this.#reconnectAt);
        this.#io.wakeWriter();
        return;
    }
  }

  // ---- sending ---------------------------------------------------------------

  #kick(now: number): void {
    if (this.#phase === 'idle') this.#connect(now);
    else if (this.#phase === 'open') this.#pump(now);
  }

  /** Sends what can go now: markers where they fall, wire frames, within back-pressure and pacing. */
  #pump(now: number): void {
    if (this.#drainWait || now < this.#pacingUntil) return;
    const s = this.#s;
    const io = this.#io;
    const window = this.#window;
    const id = this.#id;
    let sent = false;
    while (this.#phase === 'open') {
      let boundary = Infinity;
      const markers = this.#markers;
      if (markers.size > 0) {
        const due = markers.due(id, this.#sentUpTo);
        if (due) {
          const text = due === 'end' ? clientMessages.end : clientMessages.finalize;
          io.send(text);
          this.#bufferedBound += text.length;
          this.#lastSendAt = now;
          if (due === 'end') {
            this.#endSentAt = now;
            if (this.#firstEndSentAt < 0) this.#firstEndSentAt = now;
          }
          continue;
        }
        boundary = markers.boundary(id, this.#sentUpTo);
      }
      // New audio paced by realtimeFactor goes a frame at a time; other audio that is there in more than
      // one frame goes in messages of up to #messageFrames frames, and takes the socket at most one frame
      // past the high-water mark, as a single frame would. New audio written ahead of real time (a file)
      // waits for a whole message, at the latest until real time comes within one message of its end.
      const paced = s.realtimeFactor !== Infinity && this.#sentUpTo >= this.#replayEnd;
      let frames = paced ? 1 : this.#messageFrames;
      let flushAt = -Infinity;
      if (frames > 1) {
        const room = 1 + Math.floor((s.highWaterMarkBytes - this.#bufferedBound) / this.#frameBytes);
        if (room < frames) frames = Math.max(1, room);
        if (this.#sentUpTo >= this.#replayEnd) flushAt = this.#dueAt(window.end - this.#messageSamples, 1);
      }
      const until = this.#framing.next(this.#sentUpTo, window.end, boundary, frames, now < flushAt);
      if (until < 0) {
        if (now < flushAt) io.wakeAt(flushAt);
        break;
      }
      if (this.#bufferedBound >= s.highWaterMarkBytes && (this.#bufferedBound = io.bufferedAmount()) >= s.highWaterMarkBytes) {
        // Drain to half the mark, then send a burst: one wake-up per burst.
        this.#drainWait = true;
        io.awaitDrain(id, s.highWaterMarkBytes >> 1);
        break;
      }
      if (paced) {
        // New audio goes no faster than realtimeFactor × real time (a replay goes at once).
        const due = this.#dueAt(this.#sentUpTo, s.realtimeFactor);
        if (due - now > 1) {
          this.#pacingUntil = due;
          io.wakeAt(due);
          break;
        }
      }
      const data = window.readBytes(this.#sentUpTo, until);
      if (!data) {
        // Unreachable: sent audio is dropped only up to `sentUpTo`, unsent audio only while disconnected.
        this.#finish(new Error(`Internal error: audio at sample ${this.#sentUpTo} is no longer retained`));
        return;
      }
      io.send(data);
      this.#bufferedBound += data.byteLength;
      this.#sentUpTo += data.byteLength / (2 * s.channels);
      this.#lastSendAt = now;
      this.#latency.recordSend(this.#sentUpTo, now);
      sent = true;
    }
    if (sent) io.wakeWriter();
  }

  /** When new audio up to stream `position` is due at `factor` × real time since the connection opened (ms). */
  #dueAt(position: number, factor: number): number {
    return this.#openedAt + ((position - this.#replayEnd) / this.#s.sampleRate / factor) * 1000;
  }

  /**
   * Hands the blocks of audio no longer retained back to the shared pool;
   * connected, only those the socket has let go of (a send is a view of a
   * block, and the socket holds at most its `bufferedAmount` of the most
   * recent bytes).
   */
  #release(): void {
    if (this.#phase !== 'open') return this.#window.release(Infinity);
    const inSocket = Math.ceil(this.#io.bufferedAmount() / (2 * this.#s.channels));
    this.#window.release(this.#sentUpTo - inSocket);
  }

  // ---- receiving -------------------------------------------------------------

  #protocolError(message: string): void {
    this.#io.notice('error', createSttError('protocol_error', `Server message rejected: ${message}`, { retryable: false }));
  }

  /** Checks a transcript against the stream, re-times it and delivers it (finals once, in order). */
  #onTranscript(msg: WireTranscript, now: number): void {
    const s = this.#s;
    const ch = msg.channel;
    const rejected = transcriptProblem(msg, s.channels, (this.#sentUpTo - this.#base) / s.sampleRate, this.#lastFinalEnd[ch]);
    if (rejected) {
      this.#protocolError(rejected);
      return;
    }
    const endSample = Math.min(this.#sentUpTo, this.#base + Math.round(msg.end * s.sampleRate));
    const commit = this.#window.commitOf(ch);
    if (msg.isFinal) {
      this.#lastFinalEnd[ch] = msg.end;
      this.#inUtterance[ch] = false;
      // A final wholly before the commit point was delivered by an earlier connection.
      if (endSample <= commit && !(endSample === commit && commit === 0)) return;
      this.#window.commit(ch, endSample, this.#sentUpTo);
      if (this.#window.releasable) this.#release();
      this.#policy.progress();
      this.#markers.confirm(this.#window.committed());
      const event = retime(msg, this.#base / s.sampleRate);
      this.#io.emit(event);
      const latencyMs = this.#latency.final(endSample, now);
      this.#latency.forgetBefore(this.#window.committed());
      if (!this.#io.wants('metrics')) return this.#io.wakeWriter();
      const { latency, connections, reconnects, replayedSeconds, gapSeconds } = this.stats;
      this.#io.notice('metrics', { latencyMs, final: event, latency, connections, reconnects, replayedSeconds, gapSeconds });
      this.#io.wakeWriter();
      return;
    }
    if (endSample <= commit && msg.start !== msg.end) return; // an interim for audio that is already final
    if (!this.#inUtterance[ch]) {
      this.#inUtterance[ch] = true;
      this.#latency.firstInterim(endSample, now);
    }
    this.#io.emit(retime(msg, this.#base / s.sampleRate));
  }

  // ---- ending ----------------------------------------------------------------

  #throwIfDone(): void {
    if (this.#phase !== 'done') return;
    if (this.#error) throw this.#error;
    throw new TypeError('The transcriber has already ended');
  }

  #finish(error: Error | null): void {
    if (this.#phase === 'done') return;
    const wasConnected = this.#phase === 'open';
    this.#phase = 'done';
    this.#error = error;
    this.#id++;
    if (wasConnected) this.#io.close(1000, error ? 'client ended the stream' : 'done');
    this.#window.clear();
    this.#io.finish(error);
  }
}
