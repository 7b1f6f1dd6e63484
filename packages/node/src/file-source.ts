/**
 * Audio files as `ReadableStream<PCMFrame>`: WAV decoded natively, every
 * other format through an `ffmpeg` subprocess.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  SttError,
  WavDecoder,
  createSttError,
  fileExtension,
  sniffAudioFormat,
  SNIFF_BYTES,
  type PCMFrame,
} from '@stt-stream/core';
import { lastLine, startSubprocess, type Subprocess } from './internal/subprocess.ts';

/** Options for {@link fileSource}. */
export interface FileSourceOptions {
  /**
   * Bytes read from the file (or from ffmpeg) per pull; each becomes about
   * one frame.
   * @defaultValue 65536
   */
  chunkBytes?: number;
  /**
   * The ffmpeg executable for formats other than WAV.
   * @defaultValue `ffmpeg` on the PATH
   */
  ffmpegPath?: string;
  /** ffmpeg only: resample to this rate. @defaultValue the file's own rate */
  sampleRate?: number;
  /** ffmpeg only: mix to this many channels. @defaultValue the file's own channels (at most 8) */
  channels?: number;
}

const DEFAULT_CHUNK = 64 * 1024;

/** Extensions ffmpeg handles that we hand to it even when the magic bytes say nothing. */
const FFMPEG_EXTENSIONS = new Set(['mp3', 'm4a', 'mp4', 'webm', 'ogg', 'opus', 'flac', 'aac', 'mkv', 'mov', 'oga', 'wma', 'aif', 'aiff', 'caf', 'amr']);

/**
 * How to get ffmpeg, as the `ffmpeg_not_found` message says it.
 *
 * @example
 * ```ts
 * if (!(await ffmpegAvailable())) console.error(`ffmpeg is missing. ${FFMPEG_INSTALL_HINT}.`);
 * ```
 */
export const FFMPEG_INSTALL_HINT =
  'Install it (Debian/Ubuntu: `apt-get install ffmpeg`, macOS: `brew install ffmpeg`, Windows: `winget install ffmpeg`) or pass `ffmpegPath`';

/**
 * Reads an audio file as a stream of {@link PCMFrame}s at the file's own
 * sample rate and channel count.
 *
 * WAV files (PCM 8–32-bit, float, µ-law, A-law, extensible, RF64, written to
 * a pipe) are decoded in-process, chunk by chunk as the consumer pulls: a
 * 2 GB file is never in memory. Every other format of the gateway's list
 * (mp3, m4a, mp4, webm, ogg, opus, flac; detected by magic bytes, not only
 * the extension), and WAV files in codecs we do not decode (ADPCM, …), go
 * through an `ffmpeg` subprocess that is killed when the stream is
 * cancelled.
 *
 * Errors go through the stream as `SttError`s that name the file:
 * `invalid_input` for a missing file, a file that is not audio or is cut
 * short, and `ffmpeg_not_found` when a format needs ffmpeg and there is
 * none.
 *
 * @param path - the file to read
 * @param options - chunk size, ffmpeg path, ffmpeg output rate and channels
 * @throws TypeError or RangeError naming a bad argument
 * @example Transcribe a file
 * ```ts
 * const events = fileSource('meeting.mp3').pipeThrough(createTranscriber({ model: 'whisper-1', apiKey }));
 * for await (const ev of events) if (ev.type === 'final') console.log(ev.text);
 * ```
 */
export function fileSource(path: string, options: FileSourceOptions = {}): ReadableStream<PCMFrame> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('Invalid argument `path`: expected a non-empty string');
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) {
    throw new RangeError(`Invalid option \`chunkBytes\`: expected a positive integer, got ${String(chunkBytes)}`);
  }
  if (options.sampleRate !== undefined && (!Number.isInteger(options.sampleRate) || options.sampleRate < 8000 || options.sampleRate > 192000)) {
    throw new RangeError(`Invalid option \`sampleRate\`: must be an integer from 8000 to 192000, got ${String(options.sampleRate)}`);
  }
  if (options.channels !== undefined && (!Number.isInteger(options.channels) || options.channels < 1 || options.channels > 8)) {
    throw new RangeError(`Invalid option \`channels\`: must be an integer from 1 to 8, got ${String(options.channels)}`);
  }
  if (options.ffmpegPath !== undefined && (typeof options.ffmpegPath !== 'string' || options.ffmpegPath === '')) {
    throw new TypeError('Invalid option `ffmpegPath`: expected a non-empty string');
  }

  let handle: FileHandle | undefined;
  let proc: Subprocess | undefined;
  let decoder = new WavDecoder();
  let mode: 'wav' | 'ffmpeg' | undefined;
  let closed = false;

  const release = async () => {
    closed = true;
    proc?.kill();
    const h = handle;
    handle = undefined;
    await h?.close().catch(() => {});
  };

  const named = (err: unknown): SttError => {
    if (err instanceof SttError) {
      const message = err.message.includes(path) ? err.message : `${path}: ${err.message}`;
      return createSttError(err.code, message, { retryable: err.retryable, cause: err });
    }
    return createSttError('invalid_input', `${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retryable: false });
  };

  const readChunk = async (): Promise<Uint8Array | null> => {
    const buffer = new Uint8Array(chunkBytes);
    const { bytesRead } = await handle!.read(buffer, 0, chunkBytes, null);
    return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
  };

  const startFfmpeg = () => {
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', path, '-map', '0:a:0', '-vn', '-sn', '-dn', '-c:a', 'pcm_s16le'];
    if (options.sampleRate !== undefined) args.push('-ar', String(options.sampleRate));
    if (options.channels !== undefined) args.push('-ac', String(options.channels));
    // WAV on the pipe: its header tells us the rate and channels, no ffprobe needed.
    args.push('-f', 'wav', 'pipe:1');
    proc = startSubprocess(options.ffmpegPath ?? 'ffmpeg', args);
    decoder = new WavDecoder();
    mode = 'ffmpeg';
  };

  /** Opens the file, sniffs it and decides how to decode it; returns the bytes read so far for the WAV path. */
  const begin = async (): Promise<Uint8Array | null> => {
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(cause);
      throw createSttError('invalid_input', `Cannot read ${path}: ${why}`, { cause, retryable: false });
    }
    const head = new Uint8Array(Math.max(chunkBytes, SNIFF_BYTES));
    const { bytesRead } = await handle.read(head, 0, head.length, null);
    const first = head.subarray(0, bytesRead);
    if (bytesRead === 0) throw createSttError('invalid_input', `${path}: the file is empty`, { retryable: false });
    const format = sniffAudioFormat(first);
    if (format === 'wav') {
      mode = 'wav';
      return first;
    }
    const ext = fileExtension(path);
    if (format === null && !FFMPEG_EXTENSIONS.has(ext)) {
      // Not something we recognise: let ffmpeg judge if it is there, but say plainly what we saw.
      if (!(await ffmpegAvailable(options.ffmpegPath))) {
        throw createSttError('invalid_input', `${path} is not a WAV file nor an audio format we recognise (it starts with ${describeBytes(first)})`, {
          retryable: false,
        });
      }
    }
    await handle.close();
    handle = undefined;
    startFfmpeg();
    return null;
  };

  const fail = (controller: ReadableStreamDefaultController<PCMFrame>, err: unknown) => {
    void release();
    controller.error(named(err));
  };

  const pullWav = async (controller: ReadableStreamDefaultController<PCMFrame>, pending: Uint8Array | null): Promise<void> => {
    let bytes = pending;
    for (;;) {
      if (bytes === null) bytes = await readChunk();
      if (closed) return;
      if (bytes === null) {
        decoder.end();
        await release();
        controller.close();
        return;
      }
      let frames: PCMFrame[];
      try {
        frames = decoder.push(bytes);
      } catch (err) {
        // A WAV codec we do not decode (ADPCM, MP3 in WAV): ffmpeg may.
        if (decoder.formatTag !== null && decoder.format === null && (await ffmpegAvailable(options.ffmpegPath))) {
          await handle?.close().catch(() => {});
          handle = undefined;
          startFfmpeg();
          return pullFfmpeg(controller);
        }
        throw err;
      }
      bytes = null;
      const frame = merge(frames);
      if (frame) {
        controller.enqueue(frame);
        return;
      }
    }
  };

  const pullFfmpeg = async (controller: ReadableStreamDefaultController<PCMFrame>): Promise<void> => {
    const p = proc!;
    for (;;) {
      const chunk = await p.read();
      if (closed) return;
      if (chunk === null) {
        const exit = await p.exited;
        if (closed) return;
        if (exit.error) {
          if (exit.error.code === 'ENOENT') {
            throw createSttError(
              'ffmpeg_not_found',
              `Cannot decode ${path}: it needs ffmpeg, and ${options.ffmpegPath ? `\`${options.ffmpegPath}\` does not exist` : 'there is none on the PATH'}. ${FFMPEG_INSTALL_HINT}.`,
              { retryable: false, cause: exit.error },
            );
          }
          throw createSttError('ffmpeg_not_found', `Cannot run ffmpeg to decode ${path}: ${exit.error.message}`, { retryable: false, cause: exit.error });
        }
        if (exit.code !== 0) {
          const why = lastLine(p.stderr()).replace(path, '').replace(/^:\s*/, '') || `ffmpeg exited with ${exit.code ?? exit.signal}`;
          throw createSttError('invalid_input', `Cannot decode ${path}: ${why}`, { retryable: false });
        }
        try {
          decoder.end();
        } catch (err) {
          // ffmpeg said nothing and wrote no audio (e.g. an empty stream).
          throw createSttError('invalid_input', `Cannot decode ${path}: ffmpeg produced no audio`, { retryable: false, cause: err });
        }
        await release();
        controller.close();
        return;
      }
      const frame = merge(decoder.push(chunk));
      if (frame) {
        controller.enqueue(frame);
        return;
      }
    }
  };

  let head: Uint8Array | null = null;
  return new ReadableStream<PCMFrame>(
    {
      async pull(controller) {
        try {
          if (mode === undefined) head = await begin();
          if (closed) return;
          if (mode === 'wav') {
            const pending = head;
            head = null;
            await pullWav(controller, pending);
          } else await pullFfmpeg(controller);
        } catch (err) {
          if (!closed) fail(controller, err);
        }
      },
      async cancel() {
        await release();
      },
    },
    { highWaterMark: 1 },
  );
}

/** Joins frames decoded from one chunk into one (they share rate and channels). */
function merge(frames: PCMFrame[]): PCMFrame | null {
  if (frames.length === 0) return null;
  if (frames.length === 1) return frames[0]!;
  const first = frames[0]!;
  const length = frames.reduce((n, f) => n + f.data.length, 0);
  const data = first.data instanceof Int16Array ? new Int16Array(length) : new Float32Array(length);
  let at = 0;
  for (const f of frames) {
    data.set(f.data as never, at);
    at += f.data.length;
  }
  return { data, sampleRate: first.sampleRate, channels: first.channels };
}

function describeBytes(b: Uint8Array): string {
  const head = b.subarray(0, 8);
  const text = Array.from(head, (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
  const hex = Array.from(head, (c) => c.toString(16).padStart(2, '0')).join(' ');
  return `${JSON.stringify(text)} (${hex})`;
}

const availability = new Map<string, Promise<boolean>>();

/**
 * Whether ffmpeg can be started (`ffmpeg -version` succeeds). A success is
 * remembered per path; a failure is asked again next time.
 *
 * @param ffmpegPath - the executable @defaultValue 'ffmpeg'
 * @example Decide whether to offer MP3 input
 * ```ts
 * const canDecode = await ffmpegAvailable();
 * ```
 */
export function ffmpegAvailable(ffmpegPath = 'ffmpeg'): Promise<boolean> {
  let known = availability.get(ffmpegPath);
  if (!known) {
    known = (async () => {
      const p = startSubprocess(ffmpegPath, ['-hide_banner', '-version']);
      while ((await p.read()) !== null);
      const exit = await p.exited;
      return !exit.error && exit.code === 0;
    })();
    availability.set(ffmpegPath, known);
    // A failed look-up is not remembered: ffmpeg may be installed meanwhile.
    void known.then((ok) => {
      if (!ok) availability.delete(ffmpegPath);
    });
  }
  return known;
}
