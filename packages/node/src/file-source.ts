/**
 * Audio files as `ReadableStream<PCMFrame>`: WAV decoded natively, every
 * other format through an `ffmpeg` subprocess.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { SttError, WavDecoder, createSttError, type PCMFrame } from '@stt-stream/core';
import { checkOptionNames, fileExtension, optionNames, sniffAudioFormat, SNIFF_BYTES } from '@stt-stream/core/internal';
import { chunkFrames, frameStream, type FrameReader } from './internal/decode-frames.ts';
import { ffmpegAvailable, ffmpegFrames } from './internal/ffmpeg.ts';

export { FFMPEG_INSTALL_HINT, ffmpegAvailable } from './internal/ffmpeg.ts';

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

/** The option names {@link fileSource} takes. */
export const FILE_SOURCE_OPTIONS: readonly string[] = optionNames<FileSourceOptions>()(['chunkBytes', 'ffmpegPath', 'sampleRate', 'channels']);

const DEFAULT_CHUNK = 64 * 1024;

/** Extensions ffmpeg handles that we hand to it even when the magic bytes say nothing. */
const FFMPEG_EXTENSIONS = new Set(['mp3', 'm4a', 'mp4', 'webm', 'ogg', 'opus', 'flac', 'aac', 'mkv', 'mov', 'oga', 'wma', 'aif', 'aiff', 'caf', 'amr']);

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
 * `invalid_input` for a missing or empty file, a WAV file cut short, or a
 * file that is not audio when there is no ffmpeg to judge it;
 * `decode_failed` (with ffmpeg's reason) when ffmpeg cannot decode it; and
 * `ffmpeg_not_found` (with how to install it) when a format needs ffmpeg
 * and there is none.
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
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, FILE_SOURCE_OPTIONS, 'fileSource()');
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

  const ffmpeg = { ffmpegPath: options.ffmpegPath, sampleRate: options.sampleRate, channels: options.channels };

  /** Opens the file, sniffs it and decides how to decode it. */
  const begin = async (): Promise<FrameReader> => {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(cause);
      throw createSttError('invalid_input', `Cannot read ${path}: ${why}`, { cause, retryable: false });
    }
    try {
      const head = new Uint8Array(Math.max(chunkBytes, SNIFF_BYTES));
      const { bytesRead } = await handle.read(head, 0, head.length, null);
      const first = head.subarray(0, bytesRead);
      if (bytesRead === 0) throw createSttError('invalid_input', `${path}: the file is empty`, { retryable: false });
      const format = sniffAudioFormat(first);
      if (format === 'wav') return wavFrames(handle, first);
      if (format === null && !FFMPEG_EXTENSIONS.has(fileExtension(path)) && !(await ffmpegAvailable(options.ffmpegPath))) {
        // Not something we recognise, and no ffmpeg to judge: say plainly what we saw.
        throw createSttError('invalid_input', `${path} is not a WAV file nor an audio format we recognise (it starts with ${describeBytes(first)})`, {
          retryable: false,
        });
      }
      await handle.close();
      return ffmpegFrames(path, path, ffmpeg);
    } catch (err) {
      await handle.close().catch(() => {});
      throw err;
    }
  };

  /** The WAV path, in-process; a WAV codec we do not decode (ADPCM, MP3 in WAV) goes to ffmpeg if there is one. */
  const wavFrames = (handle: FileHandle, first: Uint8Array): FrameReader => {
    const decoder = new WavDecoder();
    let pending: Uint8Array | null = first;
    const read = async (): Promise<Uint8Array | null> => {
      if (pending) {
        const bytes = pending;
        pending = null;
        return bytes;
      }
      const buffer = new Uint8Array(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
    };
    // A header we read whose codec the decoder does not decode fails a push, before any audio.
    let unknownCodec = false;
    const push = (bytes: Uint8Array) => {
      try {
        return decoder.push(bytes);
      } catch (err) {
        unknownCodec = decoder.formatTag !== null && decoder.format === null;
        throw err;
      }
    };
    const wav = chunkFrames(read, { push, end: () => decoder.end() }, { close: () => handle.close().catch(() => {}) });
    let current = wav;
    return {
      async next() {
        try {
          return await current.next();
        } catch (err) {
          if (current !== wav || !unknownCodec || !(await ffmpegAvailable(options.ffmpegPath))) throw err;
          await wav.close();
          current = ffmpegFrames(path, path, ffmpeg);
          return current.next();
        }
      },
      close: () => current.close(),
    };
  };

  return frameStream(begin, (err) => named(path, err));
}

/** The error with the file's name in its message (a WAV decoder's message does not have it); other errors become `invalid_input`. */
function named(path: string, err: unknown): SttError {
  if (err instanceof SttError) {
    if (err.message.includes(path)) return err;
    return createSttError(err.code, `${path}: ${err.message}`, { retryable: err.retryable, cause: err });
  }
  return createSttError('invalid_input', `${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retryable: false });
}

function describeBytes(b: Uint8Array): string {
  const head = b.subarray(0, 8);
  const text = Array.from(head, (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
  const hex = Array.from(head, (c) => c.toString(16).padStart(2, '0')).join(' ');
  return `${JSON.stringify(text)} (${hex})`;
}
