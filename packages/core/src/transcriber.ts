/**
 * The streaming transcriber: PCM frames in, transcript events out, one whole
 * stream across reconnects (PROTOCOL.md, "Reconnecting without losing or
 * repeating audio").
 *
 * This file is the Web Streams wrapper: it converts the audio, feeds the
 * pure session core (`session/session-core.ts`, where every decision is
 * made) and carries out its commands with a transport and the clock.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { WireConverter } from './audio/wire-converter.ts';
import { SttError, createSttError, redactSecrets } from './errors.ts';
import { resolveStreamCredentials, assertSubprotocolToken } from './protocol/credentials.ts';
import { DEFAULT_STREAM_URL, buildStreamUrl, parseServerMessage, type ServerMessage } from './protocol/gateway-dialect.ts';
import { EventQueue } from './session/event-queue.ts';
import { resolveOptions } from './session/options.ts';
import { SessionCore, type SessionIO } from './session/session-core.ts';
import type { SttTransport, TransportConnection } from './transport.ts';
import type { PCMFrame, TranscriptEvent } from './types.ts';
import { createWebSocketTransport } from './websocket-transport.ts';

import type { Transcriber, TranscriberEvents, TranscriberOptions, TranscriberStats } from './transcriber-options.ts';

export type {
  LatencySummary,
  ReconnectOptions,
  Transcriber,
  TranscriberEvents,
  TranscriberOptions,
  TranscriberStats,
  TranscriptMetrics,
} from './transcriber-options.ts';

/** For transports without `drain`: polls until the socket drained or the connection is gone. */
function pollDrain(conn: TransportConnection, bytes: number, gone: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (conn.bufferedAmount < bytes || gone() ? resolve() : setTimeout(check, 4));
    check();
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

const isOwnError = (e: unknown): e is Error => e instanceof SttError || e instanceof TypeError || e instanceof RangeError;

class TranscriberSession implements Transcriber {
  readonly readable: ReadableStream<TranscriptEvent>;
  readonly writable: WritableStream<PCMFrame>;
  readonly events = new EventEmitter<TranscriberEvents>();

  readonly #options: TranscriberOptions;
  readonly #transport: SttTransport;
  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #step: number;
  readonly #channels: number;
  readonly #converter: WireConverter;
  readonly #core: SessionCore;
  readonly #queue: EventQueue;
  readonly #changed = new Notifier();
  readonly #abort = new AbortController();
  readonly #onSignalAbort: (() => void) | undefined;
  #readableController!: ReadableStreamDefaultController<TranscriptEvent>;
  #writableController!: WritableStreamDefaultController;
  #conn: TransportConnection | null = null;
  #secrets: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #writing = false;
  #finalizeRequested = false;
  #closeWhenDrained = false;
  #first = true;

  constructor(options: TranscriberOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('createTranscriber: expected an options object');
    if (typeof options.model !== 'string' || options.model.trim() === '') {
      throw new TypeError('Invalid option `model`: expected a model id such as "whisper-1"');
    }
    const resolved = resolveOptions(options);
    const settings = resolved.session;
    if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
      throw new TypeError('Invalid option `apiKey`: expected a non-empty string');
    }
    if (typeof options.token === 'string') assertSubprotocolToken(options.token);
    else if (options.token !== undefined && typeof options.token !== 'function') {
      throw new TypeError('Invalid option `token`: expected a string or a function returning one');
    }
    this.#options = options;
    this.#transport = options.transport ?? createWebSocketTransport();
    this.#url = buildStreamUrl(options.url ?? DEFAULT_STREAM_URL, {
      model: options.model,
      language: options.language,
      providerId: options.providerId,
      sampleRate: settings.sampleRate,
      channels: settings.channels,
      interimResults: options.interimResults ?? true,
    });
    this.#connectTimeoutMs = settings.connectTimeoutMs;
    this.#step = settings.sampleRate * settings.channels;
    this.#channels = settings.channels;
    this.#converter = new WireConverter({
      sampleRate: settings.sampleRate,
      channels: settings.channels as 1 | 2,
      onWarning: (w) => this.events.emit('warning', w),
    });
    this.#queue = new EventQueue(resolved.maxBufferedEvents);
    this.#core = new SessionCore(settings, this.#io());

    this.readable = new ReadableStream<TranscriptEvent>(
      {
        start: (controller) => {
          this.#readableController = controller;
        },
        pull: () => this.#flush(),
        cancel: (reason) => this.#core.abort(createSttError('aborted', 'The transcript stream was cancelled', { cause: reason })),
      },
      new CountQueuingStrategy({ highWaterMark: resolved.readableHighWaterMark }),
    );
    this.writable = new WritableStream<PCMFrame>({
      start: (controller) => {
        this.#writableController = controller;
      },
      write: (frame) => this.#write(frame),
      close: () => this.#end(),
      // A source that failed under pipeThrough aborts us with its own error: that is the stream's error.
      abort: (reason) => this.#core.abort(isOwnError(reason) ? reason : createSttError('aborted', 'The audio stream was aborted', { cause: reason })),
    });

    const signal = options.signal;
    if (signal) {
      this.#onSignalAbort = () => this.#core.abort(createSttError('aborted', 'Aborted by the signal', { cause: signal.reason }));
      if (signal.aborted) this.#onSignalAbort();
      else signal.addEventListener('abort', this.#onSignalAbort, { once: true });
    }
  }

  get stats(): TranscriberStats {
    return { ...this.#core.stats, socketBufferedBytes: this.#conn?.bufferedAmount ?? 0 };
  }

  finalize(): void {
    // A write in progress still has audio to hand over; finalize after it.
    if (this.#writing) this.#finalizeRequested = true;
    else this.#core.finalize(Date.now());
  }

  // ---- the writable side ---------------------------------------------------

  /**
   * Converts one frame and hands it to the core, at most a second at a time
   * (so back-pressure and the window apply to long frames). The usual case
   * completes synchronously, with no promise per frame.
   */
  #write(frame: PCMFrame): Promise<void> | undefined {
    const core = this.#core;
    if (core.done) throw this.#doneError();
    if (this.#first) {
      this.#first = false;
      const loading = this.#converter.ready(frame);
      if (loading) return loading.then(() => this.#write(frame));
    }
    let wire: Int16Array;
    try {
      wire = this.#converter.convert(frame);
    } catch (err) {
      core.abort(err as Error); // bad input ends the stream: the reader sees the same error
      throw err;
    }
    const step = this.#step;
    const now = Date.now();
    for (let at = 0; at < wire.length; at += step) {
      const part = wire.length <= step ? wire : wire.subarray(at, at + step);
      // `wire` stays as it is while the rest waits: the converter's next call comes with the next write.
      if (!this.#admit(part.length, now)) return this.#writeRest(wire, at);
      core.append(part, now);
    }
    return undefined;
  }

  async #writeRest(wire: Int16Array, from: number): Promise<void> {
    this.#writing = true;
    try {
      for (let at = from; at < wire.length; at += this.#step) await this.#accept(wire.subarray(at, at + this.#step));
    } finally {
      this.#writing = false;
    }
    if (this.#finalizeRequested) {
      this.#finalizeRequested = false;
      this.#core.finalize(Date.now());
    }
  }

  async #accept(part: Int16Array): Promise<void> {
    while (!this.#admit(part.length, Date.now())) await this.#changed.wait();
    this.#core.append(part, Date.now());
  }

  /** Whether `length` wire values may go in now; a slow reader of transcripts pauses the audio. */
  #admit(length: number, now: number): boolean {
    const core = this.#core;
    if (core.done) throw this.#doneError();
    if (this.#queue.length > 0) return false;
    return core.admit(length / this.#channels, now);
  }

  async #end(): Promise<void> {
    if (this.#core.done) throw this.#doneError();
    const tail = this.#converter.convertTail();
    for (let at = 0; at < tail.length; at += this.#step) await this.#accept(tail.subarray(at, at + this.#step));
    this.#core.end(Date.now());
    while (!this.#core.done) await this.#changed.wait();
    const error = this.#core.error;
    if (error) throw error;
  }

  #doneError(): Error {
    return this.#core.error ?? new TypeError('The transcriber has already ended');
  }

  // ---- the readable side ---------------------------------------------------

  #deliver(event: TranscriptEvent): void {
    const rc = this.#readableController;
    if (this.#queue.length === 0 && (rc.desiredSize ?? 0) > 0) {
      rc.enqueue(event);
      return;
    }
    if (!this.#queue.push(event)) {
      this.#core.abort(
        createSttError('slow_reader', `More than ${this.#queue.max} transcript events waited for the reader; read faster or raise \`maxBufferedEvents\``),
      );
    }
  }

  #flush(): void {
    const rc = this.#readableController;
    const queue = this.#queue;
    while (queue.length > 0 && (rc.desiredSize ?? 0) > 0) rc.enqueue(queue.shift()!);
    if (queue.length === 0) {
      if (this.#closeWhenDrained) {
        this.#closeWhenDrained = false;
        rc.close();
      }
      this.#changed.notify();
    }
  }

  // ---- carrying out the core's commands -------------------------------------

  #io(): SessionIO {
    return {
      open: (id) => void this.#open(id),
      send: (data) => this.#conn?.send(data),
      bufferedAmount: () => this.#conn?.bufferedAmount ?? 0,
      awaitDrain: (id, bytes) => {
        const conn = this.#conn;
        if (!conn) return;
        const drained = conn.drain ? conn.drain(bytes) : pollDrain(conn, bytes, () => this.#conn !== conn);
        drained.then(() => this.#core.drained(id, Date.now()), (err: unknown) => this.#core.abort(err as Error));
      },
      close: (code, reason) => {
        const conn = this.#conn;
        this.#conn = null;
        try {
          conn?.close(code, reason);
        } catch {
          /* closing anyway */
        }
      },
      terminate: () => {
        const conn = this.#conn;
        this.#conn = null;
        if (conn?.terminate) conn.terminate();
        else conn?.close(1000, 'stalled');
      },
      emit: (event) => this.#deliver(event),
      notice: (name, info) => (this.events.emit as (n: string, i: unknown) => boolean)(name, info),
      wants: (name) => this.events.listenerCount(name) > 0,
      wakeAt: (at) => this.#wakeAt(at),
      wakeWriter: () => this.#changed.notify(),
      finish: (error) => this.#finish(error),
    };
  }

  async #open(id: number): Promise<void> {
    const core = this.#core;
    let ready = false;
    const early: (() => void)[] = [];
    try {
      const credentials = await resolveStreamCredentials(this.#options, this.#transport.supportsHeaders);
      this.#secrets = credentials.secrets;
      if (!core.isCurrent(id)) return;
      const conn = await this.#transport.connect(
        { url: this.#url, headers: credentials.headers, protocols: credentials.protocols, timeoutMs: this.#connectTimeoutMs, signal: this.#abort.signal },
        {
          message: (data) => (ready ? this.#onMessage(id, data) : early.push(() => this.#onMessage(id, data))),
          close: (code, reason) => {
            const closed = () => {
              if (this.#core.isCurrent(id)) this.#conn = null;
              this.#core.closed(id, code, this.#redact(reason), Date.now());
            };
            if (ready) closed();
            else early.push(closed);
          },
        },
      );
      if (!core.isCurrent(id)) {
        conn.close(1000, 'done');
        return;
      }
      this.#conn = conn;
      core.opened(id, Date.now());
      ready = true;
      for (const f of early) f();
    } catch (err) {
      core.refused(id, err, Date.now());
    }
  }

  #redact(text: string): string {
    return this.#secrets.length === 0 || text === '' ? text : redactSecrets(text, this.#secrets);
  }

  #onMessage(id: number, data: string | ArrayBuffer | Uint8Array): void {
    let msg: ServerMessage;
    try {
      msg = parseServerMessage(data);
    } catch (err) {
      this.#core.messageError(id, err as SttError, Date.now());
      return;
    }
    if (msg.type === 'error' && this.#secrets.length > 0) {
      // Everything the server said goes into the SttError: its message, code and param.
      const { code, message, param } = msg.error;
      const error = { ...msg.error, code: this.#redact(code), message: this.#redact(message) };
      if (param !== undefined) error.param = this.#redact(param);
      msg = { type: 'error', error };
    }
    this.#core.message(id, msg, Date.now());
  }

  /** One timer per session, re-armed only for an earlier deadline (a tick that comes early is harmless). */
  #wakeAt(at: number): void {
    if (at >= this.#timerAt || this.#core.done) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#core.tick(Date.now());
    }, Math.max(0, at - Date.now()));
  }

  #finish(error: Error | null): void {
    this.#abort.abort(createSttError('aborted', 'The transcriber ended'));
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#conn = null;
    if (this.#onSignalAbort) this.#options.signal?.removeEventListener('abort', this.#onSignalAbort);
    const rc = this.#readableController;
    try {
      if (error) rc.error(error);
      else if (this.#queue.length > 0) this.#closeWhenDrained = true;
      else rc.close();
    } catch {
      /* already closed or cancelled by the reader */
    }
    if (error) {
      try {
        this.#writableController.error(error);
      } catch {
        /* already errored */
      }
    }
    this.#changed.notify();
  }
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
