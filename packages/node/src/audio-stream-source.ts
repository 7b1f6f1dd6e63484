/**
 * Audio of any format from a Node byte stream (stdin, a socket, an HTTP
 * response) as `ReadableStream<PCMFrame>`: WAV decoded in-process, anything
 * else through an ffmpeg subprocess reading its stdin.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { SttError, WavDecoder, createSttError, type PCMFrame } from '@stt-stream/core';
import { sniffAudioFormat } from '@stt-stream/core/internal';
import { chunkFrames, frameStream, type FrameReader } from './internal/decode-frames.ts';
import { ffmpegFrames } from './internal/ffmpeg.ts';

/** Options for {@link audioStreamSource}. */
export interface AudioStreamSourceOptions {
  /** The ffmpeg for formats other than WAV. @defaultValue `ffmpeg` on the PATH */
  ffmpegPath?: string;
  /** What to call the input in error messages. @defaultValue 'the input' */
  name?: string;
}

/**
 * Decodes an audio file arriving as a byte stream, without knowing its
 * format in advance: the first bytes decide (WAV in-process, including
 * headers written to a pipe; every other format through `ffmpeg -i pipe:0`).
 * Reads only as fast as the consumer pulls; cancelling destroys the input
 * and kills ffmpeg.
 *
 * Errors go through the stream as `SttError`s that name the input:
 * `invalid_input` when it is empty or a WAV cut short, `decode_failed`
 * (with ffmpeg's reason) when ffmpeg cannot decode it, `ffmpeg_not_found`
 * (with how to install it) when it is not WAV and there is no ffmpeg.
 *
 * @param input - the bytes, e.g. `process.stdin`
 * @param options - ffmpeg path, a name for messages
 * @throws TypeError naming a bad argument
 * @example Transcribe whatever is piped in
 * ```ts
 * // curl -s https://example.com/talk.mp3 | node transcribe.js
 * const frames = audioStreamSource(process.stdin, { name: 'stdin' });
 * const result = await transcribeFrames(frames, { model: 'whisper-1', apiKey });
 * ```
 */
export function audioStreamSource(input: Readable, options: AudioStreamSourceOptions = {}): ReadableStream<PCMFrame> {
  if (typeof input !== 'object' || input === null || typeof input[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('Invalid argument `input`: expected a Node.js Readable stream');
  }
  if (options.ffmpegPath !== undefined && (typeof options.ffmpegPath !== 'string' || options.ffmpegPath === '')) {
    throw new TypeError('Invalid option `ffmpegPath`: expected a non-empty string');
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new TypeError('Invalid option `name`: expected a non-empty string');
  }
  const name = options.name ?? 'the input';
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  const next = async (): Promise<Uint8Array | null> => {
    const n = await iterator.next();
    return n.done ? null : n.value;
  };
  const destroy = () => {
    input.destroy();
  };

  /** Reads the first bytes and decides: WAV in-process, anything else through ffmpeg's stdin. */
  const begin = async (): Promise<FrameReader> => {
    let bytes = new Uint8Array(0);
    while (bytes.length < 64) {
      const chunk = await next();
      if (chunk === null) break;
      const joined = new Uint8Array(bytes.length + chunk.length);
      joined.set(bytes);
      joined.set(chunk, bytes.length);
      bytes = joined;
    }
    if (bytes.length === 0) throw createSttError('invalid_input', `${name} is empty`, { retryable: false });
    let first: Uint8Array | null = bytes;
    if (sniffAudioFormat(bytes) === 'wav') {
      const read = async () => {
        if (!first) return next();
        const b = first;
        first = null;
        return b;
      };
      return chunkFrames(read, new WavDecoder(), { close: destroy });
    }
    const head = bytes;
    const rest: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield head;
        for (let chunk = await next(); chunk !== null; chunk = await next()) yield chunk;
      },
    };
    const ffmpeg = ffmpegFrames('pipe:0', name, { ffmpegPath: options.ffmpegPath }, rest);
    return {
      next: () => ffmpeg.next(),
      async close() {
        await ffmpeg.close();
        destroy();
      },
    };
  };

  const named = (err: unknown): unknown =>
    err instanceof SttError && !err.message.includes(name) ? createSttError(err.code, `${name}: ${err.message}`, { retryable: err.retryable, cause: err }) : err;
  return frameStream(async () => {
    try {
      return await begin();
    } catch (err) {
      destroy();
      throw err;
    }
  }, named);
}
