/**
 * The streaming transcriber: PCM frames in, transcript events out, one whole
 * stream across reconnects (PROTOCOL.md, "Reconnecting without losing or
 * repeating audio").
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import pRetry, { AbortError } from 'p-retry';
import { WireConverter } from './audio/audio-pipeline.ts';
import {
  SttError,
  createSttError,
  describeCloseCode,
  errorFromClose,
  isRetryable,
  type ErrorEnvelope,
} from './errors.ts';
import {
  DEFAULT_STREAM_URL,
  assertSubprotocolToken,
  buildStreamUrl,
  clientMessages,
  credentialHeaders,
  credentialProtocols,
  parseServerMessage,
  type ServerMessage,
  type WireTranscript,
} from './protocol/gateway-dialect.ts';
import { ReplayBuffer } from './replay-buffer.ts';
import type { SttTransport, TransportConnection, TransportRequest } from './transport.ts';
import type { PCMFrame, TranscriptEvent, TranscriptSegmentEvent } from './types.ts';
import { createWebSocketTransport, redactUrl } from './websocket-transport.ts';

/** Reconnect settings. */
export interface ReconnectOptions {
  /**
   * Attempts after a failure before the stream fails with `connection_failed`.
   * The count starts again once a connection has delivered a final or stayed
   * up for 10 s.
   * @defaultValue 8
   */
  retries?: number;
  /** @defaultValue 500 */
  minDelayMs?: number;
  /** @defaultValue 10000 */
  maxDelayMs?: number;
}

/** Options of {@link createTranscriber}. */
export interface TranscriberOptions {
  /** The gateway's `model_id`, e.g. `whisper-1`. */
  model: string;
  /** @defaultValue `wss://gateway.llm-stats.com/v1/stt/stream` */
  url?: string;
  /** Sent as `Authorization: Bearer …` where the transport can send headers (Node, Deno, Bun). */
  apiKey?: string;
  /**
   * A credential sent as the subprotocol pair `bearer`, `<token>` (what
   * browsers can do). A function is called again for every connection, so
   * short-lived tokens stay fresh.
   */
  token?: string | (() => string | Promise<string>);
  language?: string;
  providerId?: string;
  /** Sample rate on the wire; input is resampled to it. @defaultValue 16000 */
  sampleRate?: number;
  /** Channels on the wire; input is down-mixed to it. @defaultValue 1 */
  channels?: 1 | 2;
  /** @defaultValue true */
  interimResults?: boolean;
  /** Length of each audio message. @defaultValue 100 */
  frameMs?: number;
  /** `false` fails the stream on the first drop. */
  reconnect?: false | ReconnectOptions;
  /** How much unconfirmed audio is kept for a replay. @defaultValue 30 */
  replayWindowSeconds?: number;
  /**
   * What happens when the replay window is full while disconnected: `wait`
   * makes the writer wait (nothing is lost), `drop-oldest` drops the oldest
   * audio (for live sources that cannot wait; the loss is reported as a `gap`).
   * @defaultValue 'wait'
   */
  overflow?: 'wait' | 'drop-oldest';
  /**
   * With `overflow: 'wait'`, how long the writer waits, while connected and
   * with a full window, for a final to confirm the oldest audio. After that
   * the oldest audio already sent is let go (a replay that needs it later
   * reports a `gap`), so a server that sends no finals cannot stop the stream.
   * @defaultValue 5000
   */
  windowWaitMs?: number;
  /** Aborting ends the stream with `SttError` code `aborted` and closes the socket. */
  signal?: AbortSignal;
  /** How to open WebSockets. @defaultValue the standard `WebSocket` ({@link createWebSocketTransport}) */
  transport?: SttTransport;
  /** Most bytes queued in the socket before the writer waits; sending resumes once half of it has drained. @defaultValue 65536 */
  highWaterMarkBytes?: number;
  /** Send no faster than this many times real time (by the audio's sample clock). @defaultValue Infinity */
  realtimeFactor?: number;
  /** Send a keep-alive when nothing was sent for this long. @defaultValue 5000 */
  keepAliveMs?: number;
  /** A connection with no server message and a send buffer that does not drain for this long is dropped. @defaultValue 15000 */
  stallTimeoutMs?: number;
  /** @defaultValue 10000 */
  connectTimeoutMs?: number;
  /** How long to wait for `session.ended` after `end`. @defaultValue 15000 */
  endTimeoutMs?: number;
  /** Transcript events buffered for a slow reader before the audio pauses. @defaultValue 64 */
  readableHighWaterMark?: number;
}

/** Lifecycle events of a {@link Transcriber} (fatal errors go through the stream). */
export interface TranscriberEvents {
  open: (info: { sessionId: string; model: string | null }) => void;
  reconnecting: (info: { attempt: number; delayMs: number; cause: SttError }) => void;
  reconnected: (info: { sessionId: string; replayedSeconds: number }) => void;
  close: (info: { code: number; reason: string }) => void;
  /** Non-fatal problems (`protocol_error`, …): the stream goes on. */
  error: (error: SttError) => void;
  /** Input problems that were repaired (`non_finite_samples`, `clipped_samples`). */
  warning: (warning: { code: string; message: string }) => void;
}

/** Counters of a running transcriber. */
export interface TranscriberStats {
  /** Samples per channel written on the wire side (after resampling). */
  writtenSamples: number;
  /** Samples per channel handed to the socket (the stream position sent up to; it moves back on a replay). */
  sentSamples: number;
  /** Samples per channel up to the commit point (covered by finals). */
  committedSamples: number;
  /** Bytes of audio retained for a replay (what was not yet confirmed by a final). */
  retainedBytes: number;
  /** Bytes queued in the current socket. */
  socketBufferedBytes: number;
  /** Connections opened so far. */
  connections: number;
  /** Where the stream is. */
  state: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'ending' | 'closed' | 'failed';
}

/**
 * A `TransformStream<PCMFrame, TranscriptEvent>` with lifecycle events.
 * Pipe audio into `writable`, read events from `readable`.
 */
export interface Transcriber extends TransformStream<PCMFrame, TranscriptEvent> {
  readonly events: EventEmitter<TranscriberEvents>;
  /** Asks the server to emit finals for everything written so far. */
  finalize(): void;
  readonly stats: TranscriberStats;
}

interface Marker {
  at: number;
  kind: 'finalize' | 'end';
  sentOn: number;
}

const MIN_UPTIME_MS = 10_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise that any change of state resolves; waiters loop and re-check. */
class Notifier {
  #waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  notify(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

function intOption(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`Invalid option \`${name}\`: expected an integer, got ${typeof value === 'number' ? value : typeof value}`);
  }
  if (value < min || value > max) throw new RangeError(`Invalid option \`${name}\`: must be from ${min} to ${max}, got ${value}`);
  return value;
}

function numberOption(value: unknown, name: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`Invalid option \`${name}\`: expected a number`);
  if (value < min) throw new RangeError(`Invalid option \`${name}\`: must be at least ${min}, got ${value}`);
  return value;
}

class TranscriberSession implements Transcriber {
  readonly readable: ReadableStream<TranscriptEvent>;
  readonly writable: WritableStream<PCMFrame>;
  readonly events = new EventEmitter<TranscriberEvents>();

  // settings
  readonly #options: TranscriberOptions;
  readonly #transport: SttTransport;
  readonly #url: string;
  readonly #rate: number;
  readonly #channels: number;
  readonly #windowSamples: number;
  readonly #hwm: number;
  readonly #realtimeFactor: number;
  readonly #keepAliveMs: number;
  readonly #stallTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #endTimeoutMs: number;
  readonly #reconnect: Required<ReconnectOptions> | false;
  readonly #overflow: 'wait' | 'drop-oldest';
  readonly #windowWaitMs: number;

  // audio
  readonly #pipeline: WireConverter;
  readonly #frameSamples: number;
  readonly #buffer: ReplayBuffer;
  #commits: number[];
  #markers: Marker[] = [];

  // connection
  #state: TranscriberStats['state'] = 'idle';
  #conn: TransportConnection | null = null;
  #connId = 0;
  #connections = 0;
  #connBase = 0;
  #sentUpTo = 0;
  /** Where the wire frame being sent ends. */
  #frameEnd = 0;
  #openedAt = 0;
  #lastServerError: ErrorEnvelope['error'] | undefined;
  #sessionEnded = false;
  #sessionEndedAt = 0;
  #endSentAt = 0;
  #lastSendAt = 0;
  #lastServerMessageAt = 0;
  #lastProgressAt = 0;
  #lastBuffered = 0;
  #pacingStart = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #failures = 0;
  #everConnected = false;
  #replayedSamples = 0;
  #pumping = false;
  #writing = false;
  #windowFullSince = 0;
  #windowTimer: ReturnType<typeof setTimeout> | undefined;
  #finalizeRequested = false;

  // streams
  #readableController!: ReadableStreamDefaultController<TranscriptEvent>;
  #writableController!: WritableStreamDefaultController;
  #fatal: SttError | null = null;
  #finished = false;
  readonly #changed = new Notifier();
  readonly #abort = new AbortController();
  #onSignalAbort: (() => void) | undefined;

  constructor(options: TranscriberOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('createTranscriber: expected an options object');
    if (typeof options.model !== 'string' || options.model.trim() === '') {
      throw new TypeError('Invalid option `model`: expected a model id such as "whisper-1"');
    }
    this.#options = options;
    this.#rate = intOption(options.sampleRate, 'sampleRate', 8000, 48000, 16000);
    this.#channels = intOption(options.channels, 'channels', 1, 2, 1);
    const frameMs = intOption(options.frameMs, 'frameMs', 10, 1000, 100);
    const windowSeconds = numberOption(options.replayWindowSeconds, 'replayWindowSeconds', 1, 30);
    this.#windowSamples = Math.round(windowSeconds * this.#rate);
    this.#hwm = intOption(options.highWaterMarkBytes, 'highWaterMarkBytes', 1024, 1 << 30, 65536);
    this.#realtimeFactor = numberOption(options.realtimeFactor, 'realtimeFactor', 0.1, Infinity);
    this.#keepAliveMs = intOption(options.keepAliveMs, 'keepAliveMs', 100, 3_600_000, 5000);
    this.#stallTimeoutMs = intOption(options.stallTimeoutMs, 'stallTimeoutMs', 100, 3_600_000, 15000);
    this.#connectTimeoutMs = intOption(options.connectTimeoutMs, 'connectTimeoutMs', 100, 600_000, 10000);
    this.#endTimeoutMs = intOption(options.endTimeoutMs, 'endTimeoutMs', 100, 3_600_000, 15000);
    if (options.overflow !== undefined && options.overflow !== 'wait' && options.overflow !== 'drop-oldest') {
      throw new TypeError(`Invalid option \`overflow\`: expected 'wait' or 'drop-oldest', got ${String(options.overflow)}`);
    }
    this.#overflow = options.overflow ?? 'wait';
    this.#windowWaitMs = intOption(options.windowWaitMs, 'windowWaitMs', 0, 3_600_000, 5000);
    if (options.reconnect === false) this.#reconnect = false;
    else {
      const r = options.reconnect ?? {};
      this.#reconnect = {
        retries: intOption(r.retries, 'reconnect.retries', 0, 1000, 8),
        minDelayMs: intOption(r.minDelayMs, 'reconnect.minDelayMs', 0, 600_000, 500),
        maxDelayMs: intOption(r.maxDelayMs, 'reconnect.maxDelayMs', 0, 600_000, 10_000),
      };
    }
    if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
      throw new TypeError('Invalid option `apiKey`: expected a non-empty string');
    }
    if (typeof options.token === 'string') assertSubprotocolToken(options.token);
    else if (options.token !== undefined && typeof options.token !== 'function') {
      throw new TypeError('Invalid option `token`: expected a string or a function returning one');
    }
    this.#transport = options.transport ?? createWebSocketTransport();
    this.#url = buildStreamUrl(options.url ?? DEFAULT_STREAM_URL, {
      model: options.model,
      language: options.language,
      providerId: options.providerId,
      sampleRate: this.#rate,
      channels: this.#channels,
      interimResults: options.interimResults ?? true,
    });
    this.#commits = new Array<number>(this.#channels).fill(0);
    this.#pipeline = new WireConverter({
      sampleRate: this.#rate,
      channels: this.#channels as 1 | 2,
      frameMs,
      onWarning: (w) => this.events.emit('warning', w),
    });
    this.#frameSamples = this.#pipeline.samplesPerFrame;
    // One ring for the stream, allocated at the first write. It starts with
    // room for one admitted part (a second), a few frames and what the socket
    // may hold (so a send is overwritten only after the socket took it: at
    // least this much was sent after it), and grows to the whole window (in
    // one step) only when finals do not keep up.
    const slack = this.#rate + 4 * this.#frameSamples + Math.ceil(this.#hwm / 2 / this.#channels);
    this.#buffer = new ReplayBuffer(this.#channels, {
      capacity: slack,
      maxCapacity: this.#windowSamples + slack,
      align: this.#frameSamples,
    });

    this.readable = new ReadableStream<TranscriptEvent>(
      {
        start: (controller) => {
          this.#readableController = controller;
        },
        pull: () => this.#changed.notify(),
        cancel: (reason) => {
          this.#fail(createSttError('aborted', 'The transcript stream was cancelled', { cause: reason }), false);
        },
      },
      new CountQueuingStrategy({ highWaterMark: intOption(options.readableHighWaterMark, 'readableHighWaterMark', 1, 1 << 20, 64) }),
    );
    this.writable = new WritableStream<PCMFrame>({
      start: (controller) => {
        this.#writableController = controller;
      },
      write: (frame) => this.#write(frame),
      close: () => this.#end(),
      abort: (reason) => {
        // A source that failed under pipeThrough aborts us with its own error: that is the stream's error.
        const own = reason instanceof SttError || reason instanceof TypeError || reason instanceof RangeError;
        this.#fail(own ? reason : createSttError('aborted', 'The audio stream was aborted', { cause: reason }), false);
      },
    });

    const signal = options.signal;
    if (signal) {
      this.#onSignalAbort = () => this.#fail(createSttError('aborted', 'Aborted by the signal', { cause: signal.reason }));
      if (signal.aborted) this.#onSignalAbort();
      else signal.addEventListener('abort', this.#onSignalAbort, { once: true });
    }
  }

  get stats(): TranscriberStats {
    return {
      writtenSamples: this.#buffer.end,
      sentSamples: this.#sentUpTo,
      committedSamples: this.#committed(),
      retainedBytes: this.#buffer.byteLength,
      socketBufferedBytes: this.#conn?.bufferedAmount ?? 0,
      connections: this.#connections,
      state: this.#state,
    };
  }

  /** The commit point of the stream: the lowest of the channels'. */
  #committed(): number {
    let min = this.#commits[0]!;
    for (let c = 1; c < this.#commits.length; c++) min = Math.min(min, this.#commits[c]!);
    return min;
  }

  finalize(): void {
    if (this.#done) return;
    // A write in progress still has frames to hand over; finalize after them.
    if (this.#writing) this.#finalizeRequested = true;
    else this.#finalizeNow();
  }

  #finalizeNow(): void {
    this.#finalizeRequested = false;
    // The marker makes the partial frame written so far go now.
    if (this.#buffer.end === 0) return;
    if (this.#state === 'idle') this.#startConnecting(undefined);
    this.#markers.push({ at: this.#buffer.end, kind: 'finalize', sentOn: 0 });
    this.#kick();
  }

  get #done(): boolean {
    return this.#fatal !== null || this.#finished;
  }

  // ---- writer side ----------------------------------------------------------

  /**
   * Takes one frame: converts it to wire samples and copies them into the
   * replay buffer, at most a second at a time (a long frame is admitted in
   * parts, so that back-pressure and the window apply to it). The usual case
   * (connected and the socket has room, or a window that can simply grow)
   * completes synchronously, with no promise per frame; otherwise the rest
   * waits in {@link TranscriberSession.#writeRest}.
   */
  #write(frame: PCMFrame): Promise<void> | undefined {
    this.#throwIfDone();
    let wire: Int16Array;
    try {
      wire = this.#pipeline.convert(frame);
    } catch (err) {
      // Bad input ends the stream: the reader sees the same TypeError.
      this.#fail(err as Error);
      throw err;
    }
    const step = this.#rate * this.#channels;
    for (let at = 0; at < wire.length; at += step) {
      const part = wire.length <= step ? wire : wire.subarray(at, at + step);
      if (this.#state === 'idle') this.#startConnecting(undefined);
      // `wire` stays as it is while the rest waits: the pipeline's next call comes with the next write.
      if (!this.#admit(part.length / this.#channels)) return this.#writeRest(wire, at);
      this.#store(part);
    }
    if (this.#finalizeRequested && !this.#done) this.#finalizeNow();
    return undefined;
  }

  async #writeRest(wire: Int16Array, from: number): Promise<void> {
    this.#writing = true;
    try {
      const step = this.#rate * this.#channels;
      for (let at = from; at < wire.length; at += step) await this.#accept(wire.subarray(at, at + step));
    } finally {
      this.#writing = false;
    }
    if (this.#finalizeRequested && !this.#done) this.#finalizeNow();
  }

  async #end(): Promise<void> {
    this.#throwIfDone();
    const tail = this.#pipeline.convertTail();
    const step = this.#rate * this.#channels;
    for (let at = 0; at < tail.length; at += step) await this.#accept(tail.subarray(at, at + step));
    if (this.#buffer.end === 0) {
      // Nothing was ever written: no connection to end.
      this.#finish();
      return;
    }
    this.#markers.push({ at: this.#buffer.end, kind: 'end', sentOn: 0 });
    if (this.#state === 'idle') this.#startConnecting(undefined);
    this.#state = this.#state === 'open' ? 'ending' : this.#state;
    this.#kick();
    while (!this.#done) await this.#changed.wait();
    if (this.#fatal) throw this.#fatal;
  }

  #throwIfDone(): void {
    if (this.#fatal) throw this.#fatal;
    if (this.#finished) throw new TypeError('The transcriber has already ended');
  }

  async #accept(chunk: Int16Array): Promise<void> {
    if (this.#state === 'idle') this.#startConnecting(undefined);
    const samples = chunk.length / this.#channels;
    while (!this.#admit(samples)) await this.#changed.wait();
    this.#store(chunk);
  }

  /**
   * Whether `samples` more may go into the replay buffer now (in
   * `drop-oldest` mode while disconnected, it makes room by dropping the
   * oldest audio). Throws the stream's error once it has ended.
   */
  #admit(samples: number): boolean {
    this.#throwIfDone();
    const desired = this.#readableController.desiredSize;
    // A slow reader of transcripts pauses the audio.
    if (desired !== null && desired <= 0) return false;
    const full = this.#buffer.length + samples > this.#windowSamples;
    if (this.#state === 'open' || this.#state === 'ending') {
      // Socket back-pressure first: every whole frame must be in the socket.
      return !this.#unsentFrame() && (!full || this.#overflow === 'drop-oldest' || this.#windowWaitOver());
    }
    if (!full) return true;
    if (this.#overflow === 'drop-oldest') {
      this.#buffer.dropBefore(this.#buffer.end + samples - this.#windowSamples);
      return true;
    }
    return false;
  }

  /** Whether a whole wire frame waits to be sent (a partial one waits for the rest of it, or for a marker). */
  #unsentFrame(): boolean {
    return this.#buffer.end - this.#sentUpTo >= this.#frameSamples;
  }

  #store(chunk: Int16Array): void {
    this.#buffer.append(chunk);
    // Past the window, sent audio that no final has confirmed yet goes (only
    // after `windowWaitMs` in `wait` mode); a later replay that needs it
    // reports it as a gap.
    const overflow = this.#buffer.length - this.#windowSamples;
    if (overflow > 0) this.#buffer.dropBefore(Math.min(this.#buffer.start + overflow, this.#sentUpTo));
    this.#kick();
  }

  /**
   * In `wait` mode with a full window while connected, the writer waits for
   * a final to free it, but not forever: a server that sends no finals (long
   * silence, a silent engine) would stop the stream. After `windowWaitMs`
   * without a final the oldest sent audio is let go.
   */
  #windowWaitOver(): boolean {
    const now = Date.now();
    if (this.#windowFullSince === 0) this.#windowFullSince = now;
    const left = this.#windowFullSince + this.#windowWaitMs - now;
    if (left <= 0) return true;
    // Wake the writer when the wait is over: one timer for the whole wait, not
    // one per check (a timer that fires a little early is armed again then).
    this.#windowTimer ??= setTimeout(() => {
      this.#windowTimer = undefined;
      this.#changed.notify();
    }, left);
    return false;
  }

  // ---- sending --------------------------------------------------------------

  #kick(): void {
    this.#changed.notify();
    if (!this.#pumping) this.#pump();
  }

  /**
   * Sends what can be sent now, synchronously (the common case costs no
   * promise per frame). When the socket is full or pacing says wait, it
   * schedules itself to go on later and `#pumping` stays set until then.
   */
  #pump(): void {
    try {
      while (!this.#done && this.#conn && (this.#state === 'open' || this.#state === 'ending')) {
        const conn = this.#conn;
        const id = this.#connId;
        let nextMarker = Infinity;
        if (this.#markers.length > 0) {
          const marker = this.#markers.find((m) => m.sentOn !== id && m.at <= this.#sentUpTo);
          if (marker) {
            marker.sentOn = id;
            conn.send(marker.kind === 'end' ? clientMessages.end : clientMessages.finalize);
            this.#lastSendAt = Date.now();
            if (marker.kind === 'end') {
              this.#endSentAt = this.#lastSendAt;
              this.#state = 'ending';
            }
            continue;
          }
          for (const m of this.#markers) if (m.sentOn !== id && m.at > this.#sentUpTo && m.at < nextMarker) nextMarker = m.at;
        }
        // One wire frame per message; a partial frame only up to a marker.
        const limit = Math.min(nextMarker, this.#buffer.end);
        if (this.#sentUpTo >= limit) break;
        // Frame boundaries stay put when a read stops early at the ring's wrap.
        if (this.#sentUpTo >= this.#frameEnd) this.#frameEnd = this.#sentUpTo + this.#frameSamples;
        let until = this.#frameEnd;
        if (until > limit) {
          if (nextMarker > this.#buffer.end) break; // the rest of the frame is still to come
          until = limit;
        }
        if (conn.bufferedAmount >= this.#hwm) {
          // Wait for the socket to drain to half the mark, then send a burst:
          // one wake-up per burst, not per frame. `drain` also resolves when
          // the connection closes (the transport contract).
          const low = this.#hwm >> 1;
          this.#resumeAfter(conn.drain ? conn.drain(low) : pollDrain(conn, low, () => this.#conn !== conn || this.#done));
          return;
        }
        if (this.#realtimeFactor !== Infinity) {
          const due = this.#pacingStart + ((this.#sentUpTo - this.#connBase) / this.#rate / this.#realtimeFactor) * 1000;
          const wait = due - Date.now();
          if (wait > 1) {
            this.#resumeAfter(sleep(wait, this.#abort.signal).catch(() => undefined));
            return;
          }
        }
        // (A read stops early where the ring wraps; the rest goes next.)
        const data = this.#buffer.read(this.#sentUpTo, until);
        if (!data) {
          // Unreachable: sent audio is dropped only up to `sentUpTo`, unsent audio only while disconnected.
          throw new Error(`Internal error: audio at sample ${this.#sentUpTo} is no longer retained`);
        }
        conn.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        this.#sentUpTo += data.length / this.#channels;
        this.#lastSendAt = Date.now();
        this.#changed.notify();
      }
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #resumeAfter(wait: Promise<unknown>): void {
    this.#pumping = true;
    wait.then(
      () => {
        this.#pumping = false;
        this.#pump();
      },
      (err: unknown) => this.#fail(err as Error),
    );
  }

  // ---- connecting -----------------------------------------------------------

  #startConnecting(cause: SttError | undefined, delayMs = 0): void {
    this.#state = this.#everConnected ? 'reconnecting' : 'connecting';
    this.#connectEpisode(cause, delayMs).catch((err: unknown) => this.#fail(err as Error));
  }

  async #connectEpisode(cause: SttError | undefined, delayMs: number): Promise<void> {
    const signal = this.#abort.signal;
    if (cause && this.#reconnect) {
      this.events.emit('reconnecting', { attempt: this.#failures, delayMs, cause });
      if (delayMs > 0) await sleep(delayMs, signal);
    }
    const retryOpts = this.#reconnect || { retries: 0, minDelayMs: 0, maxDelayMs: 0 };
    let lastError: unknown;
    try {
      await pRetry(() => this.#openOnce(), {
        retries: Math.max(0, retryOpts.retries - this.#failures),
        minTimeout: retryOpts.minDelayMs,
        maxTimeout: retryOpts.maxDelayMs,
        factor: 2,
        randomize: true,
        signal,
        shouldRetry: ({ error }) => isRetryable(error),
        onFailedAttempt: async ({ error, attemptNumber }) => {
          lastError = error;
          this.#failures++;
          if (!isRetryable(error)) return;
          const retryAfter = error instanceof SttError ? error.retryAfterMs : undefined;
          const err = error instanceof SttError ? error : createSttError('connection_failed', String(error.message), { cause: error });
          this.events.emit('reconnecting', { attempt: attemptNumber, delayMs: retryAfter ?? retryOpts.minDelayMs, cause: err });
          if (retryAfter) await sleep(retryAfter, signal);
        },
      });
    } catch (err) {
      if (this.#done) return;
      const last = lastError ?? err;
      if (last instanceof SttError && !last.retryable) throw last;
      if (last instanceof TypeError) throw last;
      throw createSttError(
        'connection_failed',
        `Could not connect to ${redactUrl(this.#url)} after ${this.#failures} attempt(s): ${(last as Error)?.message ?? String(last)}`,
        { cause: last, retryable: false },
      );
    }
  }

  async #resolveCredentials(): Promise<Pick<TransportRequest, 'headers' | 'protocols'>> {
    const { apiKey, token } = this.#options;
    if (token !== undefined) {
      let value: string;
      try {
        value = typeof token === 'function' ? await token() : token;
      } catch (cause) {
        throw new AbortError(createSttError('unauthenticated', 'The `token` function failed', { cause, retryable: false }));
      }
      assertSubprotocolToken(value);
      return { headers: {}, protocols: credentialProtocols(value) };
    }
    if (apiKey !== undefined) {
      if (this.#transport.supportsHeaders) return { headers: credentialHeaders(apiKey), protocols: [] };
      assertSubprotocolToken(apiKey, 'apiKey');
      return { headers: {}, protocols: credentialProtocols(apiKey) };
    }
    return { headers: {}, protocols: [] };
  }

  async #openOnce(): Promise<void> {
    if (this.#done) throw new AbortError('finished');
    const credentials = await this.#resolveCredentials();
    const id = ++this.#connId;
    // Set up the connection's state before connecting: a runtime may deliver
    // the first messages (even the close) before `connect` resolves.
    this.#prepareConnection();
    const conn = await this.#transport.connect(
      { url: this.#url, ...credentials, timeoutMs: this.#connectTimeoutMs, signal: this.#abort.signal },
      {
        message: (data) => this.#onMessage(id, data),
        close: (code, reason) => this.#onClose(id, code, reason),
      },
    );
    if (this.#done || id !== this.#connId) {
      conn.close(1000, 'done');
      return;
    }
    // While connecting, `drop-oldest` may have dropped audio this connection was to start with.
    if (this.#buffer.start > this.#connBase) this.#connBase = this.#sentUpTo = this.#replayStart();
    this.#connections++;
    this.#conn = conn;
    this.#openedAt = this.#lastProgressAt = this.#lastSendAt = this.#pacingStart = Date.now();
    this.#state = this.#markers.some((m) => m.kind === 'end') ? 'ending' : 'open';
    const tick = Math.max(25, Math.min(this.#keepAliveMs, this.#stallTimeoutMs) / 4);
    this.#timer = setInterval(() => this.#onTick(id), tick);
    this.#kick();
  }

  /** Where the next connection starts: the commit point (replay), with a gap for what is gone. */
  #prepareConnection(): void {
    this.#lastServerMessageAt = Date.now();
    this.#lastBuffered = 0;
    this.#sessionEnded = false;
    this.#lastServerError = undefined;
    this.#endSentAt = 0;
    const from = this.#replayStart();
    this.#replayedSamples = Math.max(0, Math.min(this.#sentUpTo, this.#buffer.end) - from);
    this.#connBase = from;
    this.#sentUpTo = from;
    this.#frameEnd = from;
  }

  /**
   * The first sample the next connection gets: the commit point, or the
   * oldest retained sample when the window dropped audio after the commit
   * point (reported as one `gap`, never lost in silence).
   */
  #replayStart(): number {
    const commit = this.#committed();
    const from = Math.max(commit, this.#buffer.start);
    if (from > commit) {
      this.#emit({ type: 'gap', start: commit / this.#rate, end: from / this.#rate, reason: 'replay_window_exceeded' });
      this.#commits = this.#commits.map((c) => Math.max(c, from));
    }
    return from;
  }

  #onTick(id: number): void {
    const conn = this.#conn;
    if (id !== this.#connId || !conn) return;
    const now = Date.now();
    const buffered = conn.bufferedAmount;
    // Progress: the send buffer drains. Once `end` is sent we wait for an
    // answer instead (the kernel may have taken every byte, so an empty send
    // buffer says nothing about a server that stopped reading).
    const awaitingAnswer = this.#endSentAt > 0 && !this.#sessionEnded;
    if ((buffered === 0 && !awaitingAnswer) || buffered < this.#lastBuffered) this.#lastProgressAt = now;
    this.#lastBuffered = buffered;
    if (now - this.#lastProgressAt >= this.#stallTimeoutMs && now - this.#lastServerMessageAt >= this.#stallTimeoutMs) {
      // No server message and nothing drains: treat it as a drop, also where the runtime has no ping.
      if (conn.terminate) conn.terminate();
      else conn.close(1000, 'stalled');
      this.#onClose(id, 1006, 'the connection stalled');
      return;
    }
    if (this.#sessionEnded && now - this.#sessionEndedAt >= 2000 && this.#sentUpTo >= this.#buffer.end) {
      // session.ended came but the server did not close: we are done anyway.
      this.#finish();
      return;
    }
    if (this.#endSentAt > 0 && !this.#sessionEnded && now - this.#endSentAt >= this.#endTimeoutMs) {
      this.#fail(createSttError('timeout', `No session.ended within ${this.#endTimeoutMs} ms of the end of the audio`));
      return;
    }
    if (now - this.#lastSendAt >= this.#keepAliveMs && buffered === 0) {
      conn.send(clientMessages.keepalive);
      this.#lastSendAt = now;
    }
  }

  // ---- receiving ------------------------------------------------------------

  #onMessage(id: number, data: string | ArrayBuffer | Uint8Array): void {
    if (id !== this.#connId || this.#done) return;
    this.#lastServerMessageAt = Date.now();
    let msg: ServerMessage;
    try {
      msg = parseServerMessage(data);
    } catch (err) {
      this.events.emit('error', err as SttError);
      return;
    }
    switch (msg.type) {
      case 'session.started':
        if (!this.#everConnected) {
          this.#everConnected = true;
          this.events.emit('open', { sessionId: msg.sessionId, model: msg.model });
        } else {
          this.events.emit('reconnected', { sessionId: msg.sessionId, replayedSeconds: this.#replayedSamples / this.#rate });
        }
        break;
      case 'transcript':
        this.#onTranscript(msg);
        break;
      case 'speech_started':
        this.#emit({ type: 'speech_started', timestamp: this.#toStream(msg.timestamp) });
        break;
      case 'session.ended':
        this.#sessionEnded = true;
        this.#sessionEndedAt = Date.now();
        break;
      case 'error':
        this.#lastServerError = msg.error;
        break;
      default:
        break;
    }
  }

  #toStream(connSeconds: number): number {
    return this.#connBase / this.#rate + connSeconds;
  }

  #onTranscript(msg: WireTranscript): void {
    const channel = msg.channel < this.#channels ? msg.channel : 0;
    const event: TranscriptSegmentEvent = {
      type: msg.isFinal ? 'final' : 'interim',
      text: msg.text,
      start: this.#toStream(msg.start),
      end: this.#toStream(msg.end),
      confidence: msg.confidence,
      language: msg.language,
      channel,
      words: msg.words ? msg.words.map((w) => ({ ...w, start: this.#toStream(w.start), end: this.#toStream(w.end) })) : null,
    };
    const endSample = this.#connBase + Math.round(msg.end * this.#rate);
    if (msg.isFinal) {
      const commit = this.#commits[channel]!;
      // A final wholly before the commit point was already delivered by an earlier connection.
      if (endSample <= commit && !(endSample === commit && commit === 0)) return;
      this.#commits[channel] = endSample;
      this.#failures = 0;
      this.#windowFullSince = 0;
      clearTimeout(this.#windowTimer);
      this.#windowTimer = undefined;
      const committed = this.#committed();
      this.#buffer.dropBefore(Math.min(committed, this.#sentUpTo));
      if (this.#markers.length > 0) this.#markers = this.#markers.filter((m) => m.kind === 'end' || m.at > committed);
    } else if (endSample <= this.#commits[channel]! && msg.start !== msg.end) {
      return; // an interim for audio that is already final
    }
    this.#emit(event);
  }

  #emit(event: TranscriptEvent): void {
    if (this.#done) return;
    this.#readableController.enqueue(event);
  }

  #onClose(id: number, code: number, reason: string): void {
    if (id !== this.#connId) return;
    this.#connId++; // ignore anything more from this connection
    const conn = this.#conn;
    this.#conn = null;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (conn && Date.now() - this.#openedAt >= MIN_UPTIME_MS) this.#failures = 0;
    this.events.emit('close', { code, reason });
    if (this.#done) return;
    const ending = this.#markers.some((m) => m.kind === 'end');
    if (this.#sessionEnded && ending && this.#sentUpTo >= this.#buffer.end) {
      this.#finish();
      return;
    }
    const info = describeCloseCode(code);
    const err = errorFromClose(code, reason, this.#lastServerError);
    if (info.action === 'fail' || this.#reconnect === false) {
      this.#fail(err);
      return;
    }
    if (info.action === 'reconnect_when_audio' && !ending && !this.#unsentFrame() && this.#markers.length === 0) {
      // Idle timeout with nothing pending: reconnect when audio comes again.
      this.#state = 'idle';
      this.#changed.notify();
      return;
    }
    let delay = 0;
    if (info.action === 'reconnect') {
      this.#failures++;
      const base = Math.min(this.#reconnect.maxDelayMs, this.#reconnect.minDelayMs * 2 ** Math.max(0, this.#failures - 1));
      delay = err.retryAfterMs ?? Math.round(base * (1 + Math.random()));
      if (this.#failures > this.#reconnect.retries) {
        this.#fail(createSttError('connection_failed', `Gave up after ${this.#failures - 1} reconnect(s): ${err.message}`, { cause: err, retryable: false }));
        return;
      }
    }
    this.#startConnecting(err, delay);
    this.#changed.notify();
  }

  // ---- ending ---------------------------------------------------------------

  #finish(): void {
    if (this.#done) return;
    this.#finished = true;
    this.#state = 'closed';
    this.#teardown(1000, 'done');
    try {
      this.#readableController.close();
    } catch {
      /* already closed by the reader */
    }
    this.#changed.notify();
  }

  #fail(err: Error, reportToWriter = true): void {
    if (this.#done) return;
    const error =
      err instanceof SttError || err instanceof TypeError || err instanceof RangeError
        ? err
        : createSttError('connection_failed', err?.message ?? String(err), { cause: err });
    this.#fatal = error as SttError;
    this.#state = 'failed';
    this.#teardown(1000, 'client ended the stream');
    try {
      this.#readableController.error(error);
    } catch {
      /* already errored */
    }
    if (reportToWriter) {
      try {
        this.#writableController.error(error);
      } catch {
        /* already errored */
      }
    }
    this.#changed.notify();
  }

  #teardown(code: number, reason: string): void {
    this.#abort.abort(createSttError('aborted', 'The transcriber ended'));
    clearTimeout(this.#windowTimer);
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#connId++;
    const conn = this.#conn;
    this.#conn = null;
    if (conn) {
      try {
        conn.close(code, reason);
      } catch {
        /* closing anyway */
      }
    }
    if (this.#onSignalAbort) this.#options.signal?.removeEventListener('abort', this.#onSignalAbort);
  }
}

/** For transports without `drain`: polls until the socket drained or `gone()` says the connection was replaced. */
function pollDrain(conn: TransportConnection, bytes: number, gone: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (conn.bufferedAmount < bytes || gone() ? resolve() : setTimeout(check, 4));
    check();
  });
}

/**
 * Creates a streaming transcriber: a `TransformStream` from {@link PCMFrame}s
 * to {@link TranscriptEvent}s. It connects when the first frame arrives,
 * reconnects and replays on drops, and ends the session when the writable
 * side closes.
 *
 * @example Transcribe a stream of frames
 * ```ts
 * const transcriber = createTranscriber({ model: 'whisper-1', apiKey: process.env.STT_STREAM_API_KEY });
 * transcriber.events.on('reconnecting', ({ attempt }) => console.error('reconnecting', attempt));
 * for await (const ev of frames.pipeThrough(transcriber)) {
 *   if (ev.type === 'final') console.log(`[${ev.start.toFixed(2)}] ${ev.text}`);
 * }
 * ```
 */
export function createTranscriber(options: TranscriberOptions): Transcriber {
  return new TranscriberSession(options);
}
