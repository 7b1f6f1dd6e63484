// ffmpeg as a decoder: its arguments (built here only), the decoding
// subprocess as frames, and what its exit means. Not public, except what
// file-source.ts re-exports (FFMPEG_INSTALL_HINT, ffmpegAvailable).
import { WavDecoder, createSttError, type SttError } from '@stt-stream/core';
import { processFrames, type FrameReader } from './decode-frames.ts';
import { lastLine, startSubprocess, type Exit } from './subprocess.ts';

/** The end of {@link FFMPEG_INSTALL_HINT} that names the API option (the CLI says its flag instead). */
export const FFMPEG_PATH_FIX = 'pass `ffmpegPath`';

/**
 * What a `decode_failed` for data ffmpeg cannot read adds: raw PCM has no
 * header to say its rate, channels and sample format (the CLI says it in
 * its own terms).
 */
export const RAW_PCM_FIX = 'read it with fromNodeReadable(stream, { sampleRate, channels, encoding })';

/** Where ffmpeg could not make sense of the data. */
const rawHint = ` (if it is raw PCM, which has no header to say its rate and format: ${RAW_PCM_FIX})`;

/**
 * How to get ffmpeg, as the `ffmpeg_not_found` message says it.
 *
 * @example
 * ```ts
 * if (!(await ffmpegAvailable())) console.error(`ffmpeg is missing. ${FFMPEG_INSTALL_HINT}.`);
 * ```
 */
export const FFMPEG_INSTALL_HINT =
  `Install it (Debian/Ubuntu: \`apt-get install ffmpeg\`, macOS: \`brew install ffmpeg\`, Windows: \`winget install ffmpeg\`) or ${FFMPEG_PATH_FIX}`;

/** What to decode and how. */
export interface FfmpegDecodeOptions {
  /** The executable. @defaultValue `ffmpeg` on the PATH */
  ffmpegPath?: string | undefined;
  /** Resample to this rate. @defaultValue the input's own */
  sampleRate?: number | undefined;
  /** Mix to this many channels. @defaultValue the input's own */
  channels?: number | undefined;
}

/**
 * ffmpeg's arguments to decode the first audio stream of `input` (a path,
 * or `pipe:0` for stdin) to 16-bit WAV on stdout: the header tells the rate
 * and channels, so no ffprobe is needed. `-nostdin` only stops ffmpeg
 * reading keys; `pipe:0` still reads the audio.
 */
export function ffmpegDecodeArgs(input: string, options: FfmpegDecodeOptions = {}): string[] {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', input, '-map', '0:a:0', '-vn', '-sn', '-dn', '-c:a', 'pcm_s16le'];
  if (options.sampleRate !== undefined) args.push('-ar', String(options.sampleRate));
  if (options.channels !== undefined) args.push('-ac', String(options.channels));
  args.push('-f', 'wav', 'pipe:1');
  return args;
}

/**
 * Decodes `input` with an ffmpeg subprocess, as frames. `what` names the
 * audio in messages (a path, "stdin"); `stdin` feeds `pipe:0`.
 *
 * Errors: `ffmpeg_not_found` (with {@link FFMPEG_INSTALL_HINT}) when ffmpeg
 * cannot be started, `decode_failed` with ffmpeg's last stderr line when it
 * fails, or when it ends without audio.
 */
export function ffmpegFrames(input: string, what: string, options: FfmpegDecodeOptions = {}, stdin?: AsyncIterable<Uint8Array>): FrameReader {
  const proc = startSubprocess(options.ffmpegPath ?? 'ffmpeg', ffmpegDecodeArgs(input, options), stdin);
  return processFrames(
    proc,
    new WavDecoder(),
    (exit, stderr) => ffmpegExitError(exit, stderr, input, what, options.ffmpegPath),
    (cause) => createSttError('decode_failed', `Cannot decode ${what}: ffmpeg produced no audio`, { retryable: false, cause }),
  );
}

/** The error an ffmpeg exit means, or `null` for a success. */
function ffmpegExitError(exit: Exit, stderr: string, input: string, what: string, ffmpegPath: string | undefined): SttError | null {
  if (exit.error) {
    if (exit.error.code === 'ENOENT') {
      const missing = ffmpegPath ? `\`${ffmpegPath}\` does not exist` : 'there is none on the PATH';
      return createSttError('ffmpeg_not_found', `Cannot decode ${what}: it needs ffmpeg, and ${missing}. ${FFMPEG_INSTALL_HINT}.`, {
        retryable: false,
        cause: exit.error,
      });
    }
    return createSttError('ffmpeg_not_found', `Cannot run ffmpeg to decode ${what}: ${exit.error.message}`, { retryable: false, cause: exit.error });
  }
  if (exit.code === 0) return null;
  // "Stream map '0:a:0' matches no streams." (then a hint about `?`): the input has no audio stream.
  if (/Stream map '0:a:0' matches no streams/.test(stderr)) {
    return createSttError('decode_failed', `Cannot decode ${what}: ffmpeg finds no audio stream in it${rawHint}`, { retryable: false });
  }
  // ffmpeg starts its line with the input ("a.txt: Invalid data found…"): the message names it already.
  const line = lastLine(stderr);
  const why = (line.startsWith(`${input}:`) ? line.slice(input.length + 1).trim() : line) || `ffmpeg exited with ${exit.code ?? exit.signal}`;
  const raw = /^Invalid data found/.test(why) ? rawHint : '';
  return createSttError('decode_failed', `Cannot decode ${what}: ${why}${raw}`, { retryable: false });
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
