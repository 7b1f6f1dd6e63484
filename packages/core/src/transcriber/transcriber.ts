/**
 * The streaming transcriber: PCM frames in, transcript events out, one whole
 * stream across reconnects (docs/protocol.md, "Reconnecting without losing
 * or repeating audio").
 *
 * This file is the Web Streams wrapper, and decides nothing: it converts the
 * audio, feeds the pure session core (`session/session-core.ts`) its inputs
 * (with a monotonic clock and what the open socket holds), carries out the
 * commands the core queued once each input is over, and owns the two
 * stream controllers.
 *
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { WireConverter } from '../audio/wire-converter.ts';
import { createSttError } from '../errors.ts';
import { DEFAULT_STREAM_URL, buildStreamUrl } from '../protocol/gateway-dialect.ts';
import { BlockPool } from '../session/block-pool.ts';
import { Op } from '../session/commands.ts';
import { SessionCore } from '../session/session-core.ts';
import { dropConnection, pollDrain, type SttTransport, type TransportConnection } from '../transport.ts';
import type { PCMFrame, TranscriptEvent } from '../types.ts';
import { createWebSocketTransport } from '../websocket-transport.ts';
import type { SpeechFilterFactory } from '../session/speech.ts';
import { Connector, type ConnectionSink } from './connect.ts';
import { resolveOptions, type ResolvedVoiceActivity } from './options.ts';
import type { Transcriber, TranscriberEvents, TranscriberOptions, TranscriberStats } from './types.ts';

export type {
  LagInfo,
  LatencySummary,
  ReconnectOptions,
  Transcriber,
  TranscriberEvents,
  TranscriberOptions,
  TranscriberStats,
  TranscriberVoiceActivityOptions,
  TranscriptMetrics,
} from './types.ts';

/** The replay blocks of every transcriber of the process: one pool, so that memory one stream let go is the next one's. */
const sharedPool = new BlockPool();

/** The session's clock: monotonic, so that a wall-clock step (NTP, a laptop waking) moves no bound. */
const now = (): number => performance.now();

type Waiter = { resolve: () => void; reject: (error: Error) => void };

class TranscriberSession implements Transcriber {
  readonly readable: ReadableStream<TranscriptEvent>;
  readonly writable: WritableStream<PCMFrame>;
  readonly events = new EventEmitter<TranscriberEvents>();

  readonly #options: TranscriberOptions;
  readonly #voiceActivity: ResolvedVoiceActivity | null;
  readonly #core: SessionCore;
  readonly #converter: WireConverter;
  readonly #connector: Connector;
  readonly #abort = new AbortController();
  readonly #onSignalAbort: (() => void) | undefined;
  readonly #conns = new Map<number, TransportConnection>();
  #readable!: ReadableStreamDefaultController<TranscriptEvent>;
  #writable!: WritableStreamDefaultController;
  /** The open connection as last looked up (by the core's `currentId`). */
  #curId = -1;
  #cur: TransportConnection | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #running = false;
  #pullAgain = false;
  #first = true;
  /** The speech filter and its detector, loaded on demand when the option is on. */
  #speechChunk: typeof import('./speech-chunk.ts') | null = null;
  #writeWaiter: Waiter | null = null;
  #endWaiter: Waiter | null = null;

  constructor(options: TranscriberOptions) {
    const resolved = resolveOptions(options);
    const settings = resolved.session;
    this.#options = options;
    this.#voiceActivity = resolved.voiceActivity;
    const transport: SttTransport = options.transport ?? createWebSocketTransport();
    const url = buildStreamUrl(options.url ?? DEFAULT_STREAM_URL, {
      model: options.model,
      language: options.language,
      providerId: options.providerId,
      sampleRate: settings.sampleRate,
      channels: settings.channels,
      interimResults: options.interimResults ?? true,
    });
    this.#connector = new Connector({ transport, url, credentials: options, connectTimeoutMs: settings.connectTimeoutMs, signal: this.#abort.signal });
    this.#converter = new WireConverter({
      sampleRate: settings.sampleRate,
      channels: settings.channels as 1 | 2,
      onWarning: (w) => this.events.emit('warning', w),
    });
    const va = resolved.voiceActivity;
    this.#core = new SessionCore(settings, { pool: sharedPool, random: Math.random, ...(va ? { speech: this.#speechFilters(va, settings.sampleRate) } : {}) });

    this.readable = new ReadableStream<TranscriptEvent>(
      {
        start: (controller) => {
          this.#readable = controller;
        },
        pull: () => {
          if (this.#running) this.#pullAgain = true;
          else this.#input(() => this.#core.pull(this.#readable.desiredSize ?? 0, now()));
        },
        cancel: (reason) => this.#input(() => this.#core.abort(reason, 'readable')),
      },
      new CountQueuingStrategy({ highWaterMark: resolved.readableHighWaterMark }),
    );
    this.writable = new WritableStream<PCMFrame>({
      start: (controller) => {
        this.#writable = controller;
      },
      write: (frame) => this.#write(frame),
      close: () => this.#end(),
      // A source that failed under pipeThrough aborts us with its own error: that is the stream's error.
      abort: (reason) => this.#input(() => this.#core.abort(reason, 'writable')),
    });

    const signal = options.signal;
    if (signal) {
      this.#onSignalAbort = () => this.#input(() => this.#core.abort(signal.reason, 'signal'));
      if (signal.aborted) this.#onSignalAbort();
      else signal.addEventListener('abort', this.#onSignalAbort, { once: true });
    }
  }

  get stats(): TranscriberStats {
    return { ...this.#core.stats, socketBufferedBytes: this.#buffered() };
  }

  finalize(): void {
    this.#input(() => this.#core.finalize(now(), this.#buffered()));
  }

  // ---- the writable side ---------------------------------------------------

  /** Converts one frame and hands it to the core. The usual case completes synchronously, with no promise per frame. */
  #write(frame: PCMFrame): Promise<void> | undefined {
    const core = this.#core;
    if (core.done) throw this.#doneError();
    if (this.#first) {
      this.#first = false;
      // The resampler (a rate to convert) and the voice activity detector (the option) load on demand, in chunks of their own.
      const resampler = this.#converter.ready(frame);
      const vad = this.#speechOn && !this.#speechChunk ? import('./speech-chunk.ts').then((m) => void (this.#speechChunk = m)) : undefined;
      if (resampler || vad) {
        // A chunk that does not load (a page offline, a bundler's mistake) ends the stream with its error.
        const fail = (err: unknown) => {
          this.#input(() => core.abort(err, 'error'));
          throw err;
        };
        return Promise.all([resampler, vad]).then(() => this.#write(frame), fail);
      }
    }
    let wire: Int16Array;
    try {
      wire = this.#converter.convert(frame);
    } catch (err) {
      this.#input(() => core.abort(err, 'error')); // bad input ends the stream: the reader sees the same error
      throw err;
    }
    return this.#take(wire);
  }

  /** Hands wire samples to the core; a promise only when some must wait (`writeDone`). */
  #take(wire: Int16Array): Promise<void> | undefined {
    // `wire` stays as it is while the rest waits: the converter's next call comes with the next write.
    const taken = this.#core.write(wire, now(), this.#buffered());
    const waiting = taken ? undefined : new Promise<void>((resolve, reject) => (this.#writeWaiter = { resolve, reject }));
    this.#run();
    return waiting;
  }

  async #end(): Promise<void> {
    if (this.#core.done) throw this.#doneError();
    const tail = this.#converter.convertTail();
    if (tail.length > 0) await this.#take(tail);
    const ended = new Promise<void>((resolve, reject) => (this.#endWaiter = { resolve, reject }));
    this.#input(() => this.#core.end(now(), this.#buffered()));
    return ended;
  }

  get #speechOn(): boolean {
    return this.#voiceActivity !== null;
  }

  /** Makes the session's speech filter (once its chunk is in: the first write waits for it). */
  #speechFilters(va: ResolvedVoiceActivity, sampleRate: number): SpeechFilterFactory {
    return (channels, settings) => this.#speechChunk!.speechFilters({ sampleRate, gate: va.gate, detector: va.detector })(channels, settings);
  }

  #doneError(): Error {
    return this.#core.error ?? new TypeError('The transcriber has already ended');
  }

  // ---- inputs and commands -------------------------------------------------

  /** Connection `id` (the last one looked up is kept at hand: the open one, on the per-frame path). */
  #connOf(id: number): TransportConnection | undefined {
    if (id !== this.#curId) {
      this.#curId = id;
      this.#cur = this.#conns.get(id);
    }
    return this.#cur;
  }

  #forget(id: number): void {
    this.#conns.delete(id);
    if (id === this.#curId) this.#cur = undefined;
  }

  /** What the open connection's socket holds now. */
  #buffered(): number {
    const conn = this.#connOf(this.#core.currentId);
    return conn ? conn.bufferedAmount : 0;
  }

  /** One input to the core, then its commands. */
  #input(feed: () => void): void {
    feed();
    this.#run();
  }

  /**
   * Carries out the queued commands, in order, after the input that queued
   * them. An input made meanwhile (a listener calling `finalize()`, the
   * readable pulling) queues more, carried out in the same loop.
   */
  #run(): void {
    if (this.#running) return;
    this.#running = true;
    const out = this.#core.out;
    const list = out.list;
    try {
      for (;;) {
        for (let i = 0; i < list.length; i += 3) this.#carryOut(list[i] as number, list[i + 1], list[i + 2]);
        out.settle();
        if (!this.#pullAgain) break;
        this.#pullAgain = false;
        this.#core.pull(this.#readable.desiredSize ?? 0, now());
      }
    } finally {
      this.#running = false;
    }
  }

  #carryOut(op: number, a: unknown, b: unknown): void {
    switch (op) {
      case Op.send:
        this.#connOf(b as number)?.send(a as string | Uint8Array);
        return;
      case Op.open:
        void this.#connector.open(a as number, this.#sink);
        return;
      case Op.awaitDrain: {
        const id = a as number;
        const conn = this.#conns.get(id);
        if (!conn) return;
        const drained = conn.drain ? conn.drain(b as number) : pollDrain(() => conn.bufferedAmount, b as number, () => this.#conns.get(id) !== conn);
        drained.then(
          () => this.#input(() => this.#core.drained(id, now(), this.#buffered())),
          (err: unknown) => this.#input(() => this.#core.abort(err, 'error')),
        );
        return;
      }
      case Op.close:
      case Op.terminate: {
        const conn = this.#connOf(a as number);
        if (!conn) return;
        this.#forget(a as number);
        if (op === Op.terminate) return dropConnection(conn);
        const { code, reason } = b as { code: number; reason: string };
        try {
          conn.close(code, reason);
        } catch {
          /* closing anyway */
        }
        return;
      }
      case Op.emit:
        try {
          this.#readable.enqueue(a as TranscriptEvent);
        } catch {
          /* the reader cancelled: the core hears of it through `cancel` */
        }
        return;
      case Op.notice:
        return this.#notice(a as keyof TranscriberEvents, b);
      case Op.metrics:
        if (this.events.listenerCount('metrics') === 0) return;
        {
          const { latency, connections, reconnects, replayedSeconds, gapSeconds } = this.#core.stats;
          const info = { latencyMs: b as number | null, final: a as Extract<TranscriptEvent, { type: 'final' }>, latency, connections, reconnects, replayedSeconds, gapSeconds };
          return this.#notice('metrics', info);
        }
      case Op.wakeAt:
        return this.#wakeAt(a as number);
      case Op.writeDone: {
        const waiter = this.#writeWaiter;
        this.#writeWaiter = null;
        const error = this.#core.error;
        if (error) waiter?.reject(error);
        else waiter?.resolve();
        return;
      }
      case Op.finish:
        return this.#finish(a as Error | null);
      case Op.closeReader:
        try {
          this.#readable.close();
        } catch {
          /* cancelled by the reader */
        }
        return;
    }
  }

  /**
   * A listener's exception is reported as any event listener's is (thrown
   * on its own, not into the stream): the session goes on.
   */
  #notice(name: keyof TranscriberEvents, info: unknown): void {
    try {
      (this.events.emit as (n: string, i: unknown) => boolean)(name, info);
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** One timer per session, re-armed only for an earlier deadline (a tick that comes early is harmless). */
  #wakeAt(at: number): void {
    if (at >= this.#timerAt || this.#core.done) return;
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#input(() => this.#core.tick(now(), this.#buffered()));
    }, Math.max(0, at - now()));
  }

  #finish(error: Error | null): void {
    this.#abort.abort(createSttError('aborted', 'The transcriber ended'));
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#onSignalAbort) this.#options.signal?.removeEventListener('abort', this.#onSignalAbort);
    const ended = this.#endWaiter;
    this.#endWaiter = null;
    if (!error) return ended?.resolve();
    try {
      this.#readable.error(error);
    } catch {
      /* already closed or cancelled by the reader */
    }
    try {
      this.#writable.error(error);
    } catch {
      /* already errored */
    }
    ended?.reject(error);
  }

  /** Where the connector reports each connection's events. */
  readonly #sink: ConnectionSink = {
    opened: (id, conn) => {
      this.#conns.set(id, conn);
      if (id === this.#curId) this.#cur = conn;
      this.#input(() => this.#core.opened(id, now()));
    },
    refused: (id, error) => this.#input(() => this.#core.refused(id, error, now())),
    message: (id, msg) => this.#input(() => this.#core.message(id, msg, now(), this.#buffered())),
    messageError: (id, error) => this.#input(() => this.#core.messageError(id, error, now())),
    closed: (id, code, reason) => {
      this.#forget(id);
      this.#input(() => this.#core.closed(id, code, reason, now()));
    },
  };
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
