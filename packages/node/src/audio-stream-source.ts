/**
 * Audio of any format from a Node byte stream (stdin, a socket, an HTTP
 * response) as `ReadableStream<PCMFrame>`: WAV decoded in-process, anything
 * else through an ffmpeg subprocess reading its stdin.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { SttError, WavDecoder, createSttError, sniffAudioFormat, type PCMFrame } from '@stt-stream/core';
import { FFMPEG_INSTALL_HINT } from './file-source.ts';
import { lastLine, startSubprocess, type Subprocess } from './internal/subprocess.ts';

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
 * @param input - the bytes, e.g. `process.stdin`
 * @param options - ffmpeg path, a name for messages
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
  const name = options.name ?? 'the input';
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let decoder = new WavDecoder();
  let proc: Subprocess | undefined;
  let mode: 'wav' | 'ffmpeg' | undefined;
  let head: Uint8Array | null = null;
  let cancelled = false;

  const named = (err: unknown): unknown =>
    err instanceof SttError && !err.message.includes(name) ? createSttError(err.code, `${name}: ${err.message}`, { retryable: err.retryable, cause: err }) : err;

  const begin = async () => {
    let bytes = new Uint8Array(0);
    while (bytes.length < 64) {
      const next = await iterator.next();
      if (next.done) break;
      const joined = new Uint8Array(bytes.length + next.value.length);
      joined.set(bytes);
      joined.set(next.value, bytes.length);
      bytes = joined;
    }
    if (bytes.length === 0) throw createSttError('invalid_input', `${name} is empty`, { retryable: false });
    if (sniffAudioFormat(bytes) === 'wav') {
      mode = 'wav';
      head = bytes;
      return;
    }
    mode = 'ffmpeg';
    const first = bytes;
    const rest: AsyncIterable<Uint8Array> = {
      async *[Symbol.asyncIterator]() {
        yield first;
        for (let n = await iterator.next(); !n.done; n = await iterator.next()) yield n.value;
      },
    };
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', 'pipe:0', '-map', '0:a:0', '-vn', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'];
    // `-nostdin` only stops ffmpeg reading keys from stdin; `pipe:0` still reads the audio.
    proc = startSubprocess(options.ffmpegPath ?? 'ffmpeg', args, rest);
  };

  return new ReadableStream<PCMFrame>(
    {
      async pull(controller) {
        try {
          if (mode === undefined) await begin();
          for (;;) {
            let chunk: Uint8Array | null;
            if (mode === 'wav') {
              if (head) {
                chunk = head;
                head = null;
              } else {
                const n = await iterator.next();
                chunk = n.done ? null : n.value;
              }
            } else chunk = await proc!.read();
            if (cancelled) return;
            if (chunk === null) {
              if (proc) {
                const exit = await proc.exited;
                if (exit.error) {
                  throw createSttError(
                    'ffmpeg_not_found',
                    `Cannot decode ${name}: it is not WAV, which needs ffmpeg, and ${options.ffmpegPath ? `\`${options.ffmpegPath}\` does not exist` : 'there is none on the PATH'}. ${FFMPEG_INSTALL_HINT}.`,
                    { retryable: false, cause: exit.error },
                  );
                }
                if (exit.code !== 0) {
                  throw createSttError('invalid_input', `Cannot decode ${name}: ${lastLine(proc.stderr()).replace(/^pipe:0:\s*/, '') || `ffmpeg exited with ${exit.code ?? exit.signal}`}`, {
                    retryable: false,
                  });
                }
              }
              decoder.end();
              controller.close();
              return;
            }
            const frames = decoder.push(chunk);
            if (frames.length > 0) {
              for (const f of frames) controller.enqueue(f);
              return;
            }
          }
        } catch (err) {
          proc?.kill();
          input.destroy();
          throw named(err);
        }
      },
      cancel() {
        cancelled = true;
        proc?.kill();
        input.destroy();
        decoder = new WavDecoder();
      },
    },
    { highWaterMark: 1 },
  );
}
