/**
 * The capture pipeline shared by {@link microphone} and
 * {@link mediaStreamSource}: a MediaStream into an AudioWorklet, frames out
 * through a bounded queue as a `ReadableStream<PCMFrame>`.
 *
 * @module
 */
import { createSttError, type PCMFrame } from '@stt-stream/core';
import { FRAME_MS, checkOptionNames, frameMsOption, frameSamples, optionNames } from '@stt-stream/core/internal';
import { BoundedFrameQueue, type DroppedAudio } from './internal/bounded-frame-queue.ts';
import { PCM_CAPTURE_PROCESSOR, addPcmCaptureWorklet } from './pcm-capture-worklet.ts';

export type { DroppedAudio };

/**
 * Options of every capture source ({@link microphone}, {@link mediaStreamSource}).
 *
 * @example 16 kHz frames of 50 ms, at most half a second queued
 * ```ts
 * const mic = microphone({ sampleRate: 16000, frameMs: 50, maxQueuedMs: 500, onDrop: (d) => report(d) });
 * ```
 */
export interface AudioCaptureOptions {
  /**
   * The AudioContext to capture in. When given, it is yours: cancelling the
   * stream disconnects our nodes but leaves the context open.
   * @defaultValue a new `AudioContext`, closed when the stream is cancelled or ends
   */
  audioContext?: AudioContext;
  /**
   * The sample rate of the AudioContext we create (the browser resamples the
   * device to it). Ignored with `audioContext`: frames come at its rate.
   * @defaultValue the device's rate (often 48000)
   */
  sampleRate?: number;
  /**
   * Channels per frame: the input is down-mixed (or up-mixed) to this count.
   * @defaultValue 1
   */
  channels?: 1 | 2;
  /**
   * Duration of each frame in milliseconds, 10 to 1000: the same range and
   * default as every `frameMs` of the packages (the transcriber's included).
   * @defaultValue 100
   */
  frameMs?: number;
  /**
   * How much audio may wait for a slow reader, in milliseconds (at least
   * `frameMs`). Beyond it the oldest frames are dropped and reported through
   * `onDrop` and `droppedMs`: the queue is never unbounded and never drops in
   * silence.
   * @defaultValue 2000
   */
  maxQueuedMs?: number;
  /** Called each time audio is dropped because the reader fell behind. */
  onDrop?: (dropped: DroppedAudio) => void;
  /**
   * Where to load the capture worklet from, for pages whose
   * Content-Security-Policy forbids `blob:` scripts (serve
   * `PCM_CAPTURE_WORKLET_SOURCE` there).
   * @defaultValue a Blob URL made from the source shipped in this package
   */
  workletUrl?: string;
}

/** The option names every capture source takes. */
export const AUDIO_CAPTURE_OPTIONS = optionNames<AudioCaptureOptions>()(['audioContext', 'sampleRate', 'channels', 'frameMs', 'maxQueuedMs', 'onDrop', 'workletUrl']);

/**
 * A capture source: a `ReadableStream<PCMFrame>` of interleaved Float32
 * frames at the AudioContext's rate. `cancel()` releases what the source
 * opened (tracks, AudioContext).
 *
 * @example Read ten frames from the microphone, then release it
 * ```ts
 * const mic = microphone();
 * const reader = mic.getReader();
 * for (let i = 0; i < 10; i++) console.log((await reader.read()).value?.data.length);
 * await reader.cancel(); // stops the tracks, closes the AudioContext
 * ```
 */
export interface AudioCapture extends ReadableStream<PCMFrame> {
  /** The context frames are captured in (`undefined` only where the browser has no AudioContext). */
  readonly audioContext: AudioContext | undefined;
  /** The captured MediaStream, once there is one (for the microphone: after permission). */
  readonly mediaStream: MediaStream | undefined;
  /**
   * Resolves once the MediaStream is connected to the capture worklet (for
   * the microphone: after permission); rejects with the error the stream
   * errors with (a denied permission, say), or `aborted` if cancelled first.
   * Awaiting it is optional.
   */
  readonly started: Promise<void>;
  /** Milliseconds of audio dropped so far because the reader fell behind. */
  readonly droppedMs: number;
  /**
   * Ends the capture gracefully, even while the stream is piped (locked):
   * the tracks we opened stop at once, the partial last frame is flushed,
   * and the stream closes once the frames already captured are read. A
   * transcriber it is piped into then ends normally and delivers its last
   * finals. (`cancel()`, by contrast, drops what is queued.)
   */
  stop(): void;
}

/**
 * What {@link createAudioCapture} needs besides the options. Not public.
 *
 * @example The caller's own stream, left running on cancel
 * ```ts
 * const source: AudioCaptureSource = { name: 'mediaStreamSource', ownsTracks: false, acquire: async () => stream };
 * ```
 */
export interface AudioCaptureSource {
  /** Opens the MediaStream (getUserMedia, or the caller's stream). Rejects with an SttError. */
  acquire(): Promise<MediaStream>;
  /** Whether cancelling stops the stream's tracks (true when we opened them). */
  ownsTracks: boolean;
  /** For messages: `microphone`, `mediaStreamSource`. */
  name: string;
  /** The option names the source function takes. @defaultValue {@link AUDIO_CAPTURE_OPTIONS} */
  options?: readonly string[];
}

/**
 * The error for a bad option of the source function `fn`, naming both:
 * "Invalid option `frameMs` of microphone(): expected …".
 *
 * @example
 * ```ts
 * throw invalidOption('microphone', 'deviceId', 'a non-empty string');
 * ```
 */
export function invalidOption(fn: string, option: string, expected: string, Ctor: typeof TypeError | typeof RangeError = TypeError): Error {
  return new Ctor(`Invalid option \`${option}\` of ${fn}(): expected ${expected}`);
}

/**
 * Checks the capture options (throws TypeError or RangeError naming the field).
 *
 * @example A frame length out of range
 * ```ts
 * validateAudioCaptureOptions({ frameMs: 5 }, 'microphone'); // RangeError: Invalid option `frameMs` …
 * ```
 */
export function validateAudioCaptureOptions(options: AudioCaptureOptions, name: string, known: readonly string[] = AUDIO_CAPTURE_OPTIONS): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Invalid options of ${name}(): expected an object`);
  }
  checkOptionNames(options, known, `${name}()`);
  const { audioContext, sampleRate, channels, frameMs, maxQueuedMs, onDrop, workletUrl } = options;
  if (audioContext !== undefined && (typeof audioContext !== 'object' || audioContext === null || typeof audioContext.createMediaStreamSource !== 'function')) {
    throw invalidOption(name, 'audioContext', 'an AudioContext');
  }
  if (sampleRate !== undefined && !(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 192_000)) {
    throw invalidOption(name, 'sampleRate', `an integer from 8000 to 192000, got ${String(sampleRate)}`, RangeError);
  }
  if (channels !== undefined && channels !== 1 && channels !== 2) {
    throw invalidOption(name, 'channels', `1 or 2, got ${String(channels)}`, RangeError);
  }
  const frame = frameMsOption(frameMs);
  if (maxQueuedMs !== undefined && !(typeof maxQueuedMs === 'number' && Number.isFinite(maxQueuedMs) && maxQueuedMs >= frame)) {
    throw invalidOption(name, 'maxQueuedMs', `a finite number of ms, at least frameMs (${frame}), got ${String(maxQueuedMs)}`, RangeError);
  }
  if (onDrop !== undefined && typeof onDrop !== 'function') {
    throw invalidOption(name, 'onDrop', 'a function');
  }
  if (workletUrl !== undefined && typeof workletUrl !== 'string') {
    throw invalidOption(name, 'workletUrl', 'a string');
  }
}

/**
 * Builds a capture stream. Not public: use {@link microphone} or
 * {@link mediaStreamSource}.
 *
 * @example A capture of a stream the caller owns
 * ```ts
 * const capture = createAudioCapture({ acquire: async () => stream, ownsTracks: false, name: 'mediaStreamSource' }, {});
 * ```
 */
export function createAudioCapture(source: AudioCaptureSource, options: AudioCaptureOptions): AudioCapture {
  validateAudioCaptureOptions(options, source.name, source.options);
  const channels = options.channels ?? 1;
  const frameMs = options.frameMs ?? FRAME_MS.default;
  const maxQueuedMs = options.maxQueuedMs ?? 2000;
  const ownsContext = options.audioContext === undefined;

  let context: AudioContext | undefined;
  let mediaStream: MediaStream | undefined;
  let sourceNode: MediaStreamAudioSourceNode | undefined;
  let node: AudioWorkletNode | undefined;
  let queue: BoundedFrameQueue | undefined;
  let controller!: ReadableStreamDefaultController<PCMFrame>;
  let waiter: ((frame: PCMFrame | undefined) => void) | undefined;
  let droppedMs = 0;
  let stopped = false; // cancelled, errored or ended: release everything once
  let draining = false; // no more audio: the worklet was asked for its partial frame
  let ending = false; // the last audio is in the queue: deliver it, then close
  let resolveStarted!: () => void;
  let rejectStarted!: (err: unknown) => void;
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  // Awaiting `started` is optional: do not report it as unhandled.
  started.catch(() => {});

  const listeners: (() => void)[] = [];
  const release = async (): Promise<void> => {
    queue?.clear();
    for (const remove of listeners.splice(0)) remove();
    if (node) {
      node.port.onmessage = null;
      try { node.port.postMessage('stop'); } catch { /* the port is gone */ }
      node.port.close();
      node.disconnect();
    }
    sourceNode?.disconnect();
    if (source.ownsTracks) for (const track of mediaStream?.getTracks() ?? []) track.stop();
    if (ownsContext && context && context.state !== 'closed') {
      await context.close().catch(() => {});
    }
  };

  const fail = (err: unknown): void => {
    if (stopped) return;
    stopped = true;
    rejectStarted(err);
    try { controller.error(err); } catch { /* already closed */ }
    const w = waiter;
    waiter = undefined;
    w?.(undefined);
    void release();
  };

  const finish = (canFlush = true): void => {
    // No more audio will come (tracks ended, stop(), context closed): the
    // worklet's partial frame and the queue are still read, then the stream closes.
    if (stopped || ending) return;
    if (node && canFlush && !draining) {
      draining = true;
      node.port.postMessage('flush'); // answered by the remainder, then 'flushed'
      return;
    }
    ending = true;
    closeIfDrained();
  };

  const closeIfDrained = (): void => {
    if (stopped || !ending || (queue && queue.length > 0)) return;
    stopped = true;
    resolveStarted();
    try { controller.close(); } catch { /* already closed */ }
    const w = waiter;
    waiter = undefined;
    w?.(undefined);
    void release();
  };

  const deliver = (data: Float32Array): void => {
    if (stopped || !context || !queue) return;
    const frame: PCMFrame = { data, sampleRate: context.sampleRate, channels };
    if (waiter) {
      queue.pass(data);
      const w = waiter;
      waiter = undefined;
      w(frame);
      return;
    }
    const dropped = queue.push(data);
    if (dropped) {
      droppedMs += dropped.droppedMs;
      try {
        options.onDrop?.(dropped);
      } catch (err) {
        fail(err);
      }
    }
  };

  const onMessage = (event: MessageEvent): void => {
    if (event.data instanceof ArrayBuffer) deliver(new Float32Array(event.data));
    else if (event.data === 'flushed') finish(false);
  };

  const begin = async (): Promise<void> => {
    try {
      context = options.audioContext ?? createContext(options.sampleRate);
    } catch (cause) {
      throw createSttError('unsupported', `Cannot capture audio in ${source.name}(): this browser cannot create an AudioContext`, { cause });
    }
    if (!context.audioWorklet) {
      throw createSttError('unsupported', `Cannot capture audio in ${source.name}(): AudioWorklet is missing (it needs a secure context: https:// or http://localhost)`);
    }
    const ctx = context;
    // Load the worklet while the permission prompt is up.
    const worklet = addPcmCaptureWorklet(ctx, options.workletUrl);
    worklet.catch(() => {});
    const stream = await source.acquire();
    mediaStream = stream;
    if (stopped) return void (await release());
    if (ending) return closeIfDrained();
    try {
      await worklet;
    } catch (cause) {
      throw createSttError('unsupported', `Cannot load the capture worklet in ${source.name}(): ${String(cause)}`, { cause });
    }
    if (stopped) return void (await release());
    const frameSize = frameSamples(ctx.sampleRate, frameMs);
    queue = new BoundedFrameQueue({ maxSampleFrames: Math.ceil((ctx.sampleRate * maxQueuedMs) / 1000), sampleRate: ctx.sampleRate, channels });
    node = new AudioWorkletNode(ctx, PCM_CAPTURE_PROCESSOR, {
      numberOfInputs: 1,
      // No output: nothing reaches the speakers, and Chromium still pulls the node.
      numberOfOutputs: 0,
      channelCount: channels,
      channelCountMode: 'explicit',
      channelInterpretation: 'speakers',
      processorOptions: { channels, frameSize },
    });
    node.port.onmessage = onMessage;
    sourceNode = ctx.createMediaStreamSource(stream);
    sourceNode.connect(node);
    const tracks = stream.getAudioTracks();
    const onEnded = () => {
      if (tracks.every((t) => t.readyState === 'ended')) finish();
    };
    const onStateChange = () => {
      if (ctx.state === 'closed') finish(false);
    };
    for (const track of tracks) track.addEventListener('ended', onEnded);
    ctx.addEventListener('statechange', onStateChange);
    listeners.push(() => {
      for (const track of tracks) track.removeEventListener('ended', onEnded);
      ctx.removeEventListener('statechange', onStateChange);
    });
    // Created outside a user gesture, a context starts suspended; this resumes it once the page may play.
    if (ctx.state === 'suspended') void ctx.resume().catch(() => {});
    resolveStarted();
  };

  const stream = new ReadableStream<PCMFrame>(
    {
      start(c) {
        controller = c;
        // Runs synchronously up to the first await, so a context created here is
        // created inside the caller's click handler (no autoplay block).
        begin().catch(fail);
      },
      pull(c) {
        const data = queue?.shift();
        if (data && context) {
          c.enqueue({ data, sampleRate: context.sampleRate, channels });
          if (ending) closeIfDrained();
          return;
        }
        if (stopped) return;
        if (ending) return closeIfDrained();
        return new Promise<void>((resolve) => {
          waiter = (frame) => {
            if (frame) c.enqueue(frame);
            resolve();
          };
        });
      },
      async cancel() {
        if (stopped) return;
        stopped = true;
        rejectStarted(createSttError('aborted', `${source.name}() was cancelled before it started`));
        const w = waiter;
        waiter = undefined;
        w?.(undefined);
        await release();
      },
    },
    { highWaterMark: 0 },
  ) as AudioCapture;

  const stop = (): void => {
    if (stopped || ending || draining) return;
    if (source.ownsTracks) for (const track of mediaStream?.getTracks() ?? []) track.stop();
    finish();
  };

  Object.defineProperties(stream, {
    stop: { value: stop, enumerable: true },
    audioContext: { get: () => context, enumerable: true },
    mediaStream: { get: () => mediaStream, enumerable: true },
    started: { value: started, enumerable: true },
    droppedMs: { get: () => droppedMs, enumerable: true },
  });
  return stream;
}

function createContext(sampleRate: number | undefined): AudioContext {
  const Ctor = (globalThis as { AudioContext?: typeof AudioContext }).AudioContext;
  if (typeof Ctor !== 'function') throw new TypeError('AudioContext is not defined');
  return new Ctor(sampleRate === undefined ? { latencyHint: 'interactive' } : { latencyHint: 'interactive', sampleRate });
}
