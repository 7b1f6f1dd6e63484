/**
 * `transcribeFile`: a file on disk to a {@link Transcription}, uploaded to
 * the batch endpoint (streamed from disk) or, beyond its 25 MB limit,
 * streamed through the real-time endpoint.
 *
 * @module
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  BATCH_OPTIONS,
  GATEWAY_AUDIO_EXTENSIONS,
  assertCredentialsFor,
  batchUrl,
  checkOptionNames,
  fileExtension,
  gatewayOption,
  optionNames,
  streamUrl,
} from '@stt-stream/core/internal';
import {
  DEFAULT_BASE_URL,
  MAX_BATCH_BYTES,
  SttError,
  createSttError,
  createTranscriber,
  transcribe,
  type BatchOptions,
  type PCMFrame,
  type SttTransport,
  type Transcriber,
  type TranscriptSegmentEvent,
  type TranscriptWord,
  type Transcription,
} from '@stt-stream/core';
import { fileSource } from './file-source.ts';
import { createWsTransport } from './ws-transport.ts';

/** Options of {@link transcribeFile}. */
export interface TranscribeFileOptions extends BatchOptions {
  /**
   * `batch` uploads the file (at most 25 MB); `stream` sends it through the
   * streaming endpoint; `auto` uploads files up to 25 MB and streams larger
   * ones. In stream mode, `retries`, `minRetryDelayMs`, `maxRetryDelayMs`
   * and `maxRetryTimeMs` are the transcriber's reconnect settings (for
   * failed connections; the defaults are the stream's), and `onRetry` is
   * not called: the transcriber's `reconnecting` events tell of its retries
   * (see `onTranscriber`).
   * @defaultValue 'auto'
   */
  mode?: 'auto' | 'batch' | 'stream';
  /**
   * The streaming endpoint, when it is not the one `url` names (a proxy with
   * a path of its own): what `createTranscriber`'s `url` takes (an `http(s)`
   * gateway origin, or a `ws(s)` URL).
   * @defaultValue `url` (or `baseUrl`) with a ws:/wss: scheme and the path `/v1/stt/stream`
   */
  streamUrl?: string;
  /** Stream mode: the transport. @defaultValue {@link createWsTransport}() */
  transport?: SttTransport;
  /** Stream mode: the ffmpeg for formats other than WAV. @defaultValue `ffmpeg` on the PATH */
  ffmpegPath?: string;
  /**
   * Stream mode: called as audio is sent, with the seconds of the file read
   * so far (for a progress bar).
   */
  onProgress?: (progress: { seconds: number }) => void;
  /** Stream mode: called with each final as it arrives. */
  onFinal?: (event: TranscriptSegmentEvent) => void;
  /**
   * Stream mode: called with the transcriber before any audio is written,
   * to watch its `events` (`open`, `reconnecting`) and `stats` (audio sent
   * and confirmed), e.g. for a status line or a progress bar.
   */
  onTranscriber?: (transcriber: Transcriber) => void;
}

/** The option names {@link transcribeFile} takes. */
export const TRANSCRIBE_FILE_OPTIONS: readonly string[] = optionNames<TranscribeFileOptions>()([
  ...(BATCH_OPTIONS as readonly (keyof BatchOptions)[]),
  'mode', 'streamUrl', 'transport', 'ffmpegPath', 'onProgress', 'onFinal', 'onTranscriber',
] as const);

/**
 * The streaming URL that belongs to a gateway base URL (core's one
 * http↔ws mapping): an `http(s)` origin (its path a prefix) or the `ws(s)`
 * streaming URL itself; the query is dropped.
 *
 * @param option - the option named in errors
 * @throws TypeError naming the option for a non-URL, another scheme, or a credential in the URL
 * @example
 * ```ts
 * streamUrlFor('http://127.0.0.1:8080'); // 'ws://127.0.0.1:8080/v1/stt/stream'
 * ```
 */
export function streamUrlFor(baseUrl: string = DEFAULT_BASE_URL, option = 'baseUrl'): string {
  const url = streamUrl(baseUrl, option);
  url.search = '';
  return url.toString();
}

/**
 * Transcribes an audio file.
 *
 * Up to 25 MB (or with `mode: 'batch'`), the file is uploaded to
 * `POST /v1/stt/transcribe`, read lazily from disk as the upload goes
 * (`fs.openAsBlob`), with {@link transcribe}'s checks and retries. Larger
 * files (or `mode: 'stream'`) are decoded by {@link fileSource} and sent
 * through the streaming endpoint; the finals are collected into the same
 * {@link Transcription} shape: text joined, words and times concatenated,
 * duration of the audio.
 *
 * @param path - the audio file
 * @param options - {@link BatchOptions} plus the mode and stream settings
 * @returns the transcription
 * @example Transcribe a long recording
 * ```ts
 * const result = await transcribeFile('board-meeting.m4a', { model: 'whisper-1', apiKey: process.env.STT_STREAM_API_KEY });
 * console.log(result.text);
 * ```
 */
export async function transcribeFile(path: string, options: TranscribeFileOptions): Promise<Transcription> {
  if (typeof path !== 'string' || path === '') throw new TypeError('Invalid argument `path`: expected a non-empty string');
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object with at least `model`');
  checkOptionNames(options, TRANSCRIBE_FILE_OPTIONS, 'transcribeFile()');
  const gateway = gatewayOption(options);
  // Before anything is read or sent: no key for the hosted gateway fails here, in both modes.
  assertCredentialsFor(batchUrl(gateway.value ?? DEFAULT_BASE_URL, gateway.option), options, 'transcribe');
  const mode = options.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'batch' && mode !== 'stream') {
    throw new TypeError(`Invalid option \`mode\`: expected 'auto', 'batch' or 'stream', got ${JSON.stringify(mode)}`);
  }
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw createSttError('invalid_input', `Cannot read ${path}: ${info.isDirectory() ? 'is a directory' : 'not a file'}`, { retryable: false });
    size = info.size;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw createSttError('invalid_input', `Cannot read ${path}: no such file`, { cause, retryable: false });
    }
    throw cause;
  }
  if (mode === 'stream' || (mode === 'auto' && size > MAX_BATCH_BYTES)) return transcribeByStream(path, options);
  // openAsBlob reads the file as the upload goes; nothing is read before.
  const blob = await openAsBlob(path);
  const name = basename(path);
  const fileName = options.fileName ?? (GATEWAY_AUDIO_EXTENSIONS.includes(fileExtension(name)) ? name : undefined);
  // transcribe() takes the batch options only (the stream ones are unknown to it).
  const given = options as unknown as Record<string, unknown>;
  const batch: Record<string, unknown> = {};
  for (const key of BATCH_OPTIONS) if (given[key] !== undefined) batch[key] = given[key];
  try {
    return await transcribe(blob, { ...(batch as unknown as BatchOptions), ...(fileName !== undefined ? { fileName } : {}) });
  } catch (err) {
    // Say which file; keep the code, status, param and request id.
    if (err instanceof SttError && !err.message.includes(path)) {
      const e = err;
      throw createSttError(e.code, `${path}: ${e.message}`, {
        cause: err,
        retryable: e.retryable,
        ...(e.status !== undefined ? { status: e.status } : {}),
        ...(e.param !== undefined ? { param: e.param } : {}),
        ...(e.requestId !== undefined ? { requestId: e.requestId } : {}),
        ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
      });
    }
    throw err;
  }
}

async function transcribeByStream(path: string, options: TranscribeFileOptions): Promise<Transcription> {
  const { mode: _mode, fileName: _fileName, ffmpegPath, onRetry: _onRetry, ...streamOptions } = options;
  const source = fileSource(path, ffmpegPath !== undefined ? { ffmpegPath } : {});
  return transcribeFrames(source, streamOptions);
}

/** Options of {@link transcribeFrames}: {@link TranscribeFileOptions} without the batch-only ones. */
export type TranscribeFramesOptions = Omit<TranscribeFileOptions, 'mode' | 'fileName' | 'ffmpegPath' | 'onRetry'>;

/** The option names {@link transcribeFrames} takes. */
export const TRANSCRIBE_FRAMES_OPTIONS: readonly string[] = optionNames<TranscribeFramesOptions>()(
  TRANSCRIBE_FILE_OPTIONS.filter((k) => k !== 'mode' && k !== 'fileName' && k !== 'ffmpegPath' && k !== 'onRetry') as unknown as readonly (keyof TranscribeFramesOptions)[],
);

/**
 * Transcribes a finite stream of frames through the streaming endpoint and
 * returns the batch-shaped {@link Transcription} (see {@link collectFinals}):
 * the streaming half of {@link transcribeFile}, for audio that is not a file
 * (stdin, a socket, a generated signal).
 *
 * @param frames - the audio; it is read to its end
 * @param options - model, key, URLs, transport, progress and final callbacks
 * @example Transcribe raw PCM from stdin
 * ```ts
 * const frames = fromNodeReadable(process.stdin, { sampleRate: 16000, channels: 1, encoding: 's16le' });
 * const result = await transcribeFrames(frames, { model: 'whisper-1', apiKey });
 * ```
 */
export async function transcribeFrames(frames: ReadableStream<PCMFrame>, options: TranscribeFramesOptions): Promise<Transcription> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object with at least `model`');
  checkOptionNames(options, TRANSCRIBE_FRAMES_OPTIONS, 'transcribeFrames()');
  const gateway = gatewayOption(options);
  const transcriber = createTranscriber({
    model: options.model,
    url: options.streamUrl !== undefined ? streamUrl(options.streamUrl, 'streamUrl').toString() : streamUrlFor(gateway.value, gateway.option),
    transport: options.transport ?? createWsTransport(),
    interimResults: false,
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
    ...(options.language !== undefined ? { language: options.language } : {}),
    ...(options.providerId !== undefined ? { providerId: options.providerId } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { connectTimeoutMs: Math.min(options.timeoutMs, 60_000) } : {}),
    ...(options.retries !== undefined || options.minRetryDelayMs !== undefined || options.maxRetryDelayMs !== undefined || options.maxRetryTimeMs !== undefined
      ? {
          reconnect: {
            ...(options.retries !== undefined ? { retries: options.retries } : {}),
            ...(options.minRetryDelayMs !== undefined ? { minDelayMs: options.minRetryDelayMs } : {}),
            ...(options.maxRetryDelayMs !== undefined ? { maxDelayMs: options.maxRetryDelayMs } : {}),
            ...(options.maxRetryTimeMs !== undefined ? { maxRetryTimeMs: options.maxRetryTimeMs } : {}),
          },
        }
      : {}),
  });
  options.onTranscriber?.(transcriber);
  let model: string | null = null;
  transcriber.events.on('open', (info) => {
    model ??= info.model;
  });
  let seconds = 0;
  const counter = new TransformStream<PCMFrame, PCMFrame>({
    transform(frame, controller) {
      seconds += frame.data.length / frame.channels / frame.sampleRate;
      options.onProgress?.({ seconds });
      controller.enqueue(frame);
    },
  });
  const finals: TranscriptSegmentEvent[] = [];
  const reader = frames.pipeThrough(counter).pipeThrough(transcriber).getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (r.value.type === 'final') {
      finals.push(r.value);
      options.onFinal?.(r.value);
    }
  }
  // A sum of frame lengths in floating point (4.200000000000001): to the microsecond.
  return collectFinals(finals, Math.round(seconds * 1e6) / 1e6, model ?? options.model);
}

/**
 * Folds a stream's finals into a batch-shaped {@link Transcription}: texts
 * joined with spaces, words concatenated (`null` when no final had any),
 * confidence averaged over the finals' durations, the first language.
 *
 * @example Batch-shaped result from a live stream
 * ```ts
 * const finals = [];
 * for await (const ev of fileSource('a.wav').pipeThrough(createTranscriber({ model: 'whisper-1', apiKey }))) if (ev.type === 'final') finals.push(ev);
 * const result = collectFinals(finals, 12.5, 'whisper-1');
 * ```
 */
export function collectFinals(finals: TranscriptSegmentEvent[], duration: number, model: string): Transcription {
  const texts: string[] = [];
  let words: TranscriptWord[] | null = null;
  let weighted = 0;
  let weight = 0;
  let language: string | null = null;
  for (const f of finals) {
    const t = f.text.trim();
    if (t) texts.push(t);
    if (f.words) (words ??= []).push(...f.words);
    if (f.confidence !== null) {
      const w = Math.max(f.end - f.start, 1e-3);
      weighted += f.confidence * w;
      weight += w;
    }
    language ??= f.language;
  }
  return { text: texts.join(' '), duration, language, confidence: weight > 0 ? weighted / weight : null, words, model };
}
