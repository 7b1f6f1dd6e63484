/**
 * The microphone on Node, through a recorder subprocess (`arecord`,
 * `rec`/`sox` or `ffmpeg`) that writes raw PCM to its stdout.
 *
 * @module
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import { createSttError, type PCMFrame } from '@stt-stream/core';
import { checkOptionNames, optionNames } from '@stt-stream/core/internal';
import { frameStream, processFrames } from './internal/decode-frames.ts';
import { lastLine, startSubprocess, type Exit } from './internal/subprocess.ts';
import { PcmBytesDecoder } from './node-readable.ts';

/** The recorders {@link microphone} knows how to drive. */
export type RecorderName = 'arecord' | 'rec' | 'sox' | 'ffmpeg';

/** Options for {@link microphone}. */
export interface MicrophoneOptions {
  /**
   * Which recorder to run: one of {@link RecorderName} (looked up on the
   * PATH), or a path to one of them (`/opt/homebrew/bin/rec`).
   * @defaultValue the first of arecord, rec, sox, ffmpeg on the PATH
   */
  recorder?: RecorderName | (string & {});
  /** The input device, in the recorder's own terms (`hw:1,0` for arecord and sox on Linux, `:1` for ffmpeg on macOS). @defaultValue the system default */
  device?: string;
  /** @defaultValue 16000 */
  sampleRate?: number;
  /** @defaultValue 1 */
  channels?: number;
  /**
   * Run this command instead, with `args` as given: it must write raw
   * signed 16-bit little-endian PCM at `sampleRate` and `channels` to
   * stdout. For recorders we do not know, and for tests.
   */
  command?: string;
  /** The arguments of `command` (or, with `recorder`, instead of the ones we would build). */
  args?: string[];
}

/** The option names {@link microphone} takes. */
export const MICROPHONE_OPTIONS: readonly string[] = optionNames<MicrophoneOptions>()(['recorder', 'device', 'sampleRate', 'channels', 'command', 'args']);

const RECORDERS: RecorderName[] = ['arecord', 'rec', 'sox', 'ffmpeg'];

/**
 * The end of the `recorder_not_found` message that names the options to
 * pass (the CLI says its flags instead). Not exported from the package.
 *
 * @example
 * ```ts
 * message.replace(RECORDER_FIX, 'pass --recorder');
 * ```
 */
export const RECORDER_FIX = 'pass `recorder`/`command`';

/**
 * The arguments that make each recorder write raw s16le to stdout.
 *
 * @example
 * ```ts
 * recorderArgs('arecord', 16000, 1); // ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', '16000', '-c', '1', '-']
 * ```
 */
export function recorderArgs(recorder: RecorderName, rate: number, channels: number, device?: string, platform: NodeJS.Platform = process.platform): string[] {
  const r = String(rate);
  const c = String(channels);
  switch (recorder) {
    case 'arecord':
      return ['-q', '-t', 'raw', '-f', 'S16_LE', '-r', r, '-c', c, ...(device ? ['-D', device] : []), '-'];
    case 'rec':
    case 'sox': {
      const driver = platform === 'darwin' ? 'coreaudio' : platform === 'win32' ? 'waveaudio' : 'alsa';
      const input = device ? ['-t', driver, device] : ['-d'];
      const out = ['-t', 'raw', '-r', r, '-c', c, '-b', '16', '-e', 'signed-integer', '-L', '-'];
      // `rec` is `sox -d`; spelling the input out works for both.
      return ['-q', ...input, ...out];
    }
    case 'ffmpeg': {
      const input =
        platform === 'darwin'
          ? ['-f', 'avfoundation', '-i', device ?? ':0']
          : platform === 'win32'
            ? ['-f', 'dshow', '-i', `audio=${device ?? 'default'}`]
            : ['-f', 'alsa', '-i', device ?? 'default'];
      return ['-nostdin', '-hide_banner', '-loglevel', 'error', ...input, '-ac', c, '-ar', r, '-f', 's16le', 'pipe:1'];
    }
  }
}

async function onPath(name: string): Promise<string | null> {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const exts = process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

async function resolveCommand(options: MicrophoneOptions, rate: number, channels: number): Promise<{ command: string; args: string[] }> {
  if (options.command !== undefined) {
    if (typeof options.command !== 'string' || options.command === '') throw new TypeError('Invalid option `command`: expected a non-empty string');
    return { command: options.command, args: options.args ?? [] };
  }
  if (options.recorder !== undefined) {
    if (typeof options.recorder !== 'string' || options.recorder === '') throw new TypeError('Invalid option `recorder`: expected a non-empty string');
    const kind = basename(options.recorder).replace(/\.exe$/i, '') as RecorderName;
    if (!RECORDERS.includes(kind)) {
      if (options.args) return { command: options.recorder, args: options.args };
      throw new TypeError(
        `Invalid option \`recorder\`: ${JSON.stringify(options.recorder)} is not one of ${RECORDERS.join(', ')}; for another recorder pass \`command\` and \`args\``,
      );
    }
    return { command: options.recorder, args: options.args ?? recorderArgs(kind, rate, channels, options.device) };
  }
  for (const kind of RECORDERS) {
    const found = await onPath(kind);
    if (found) return { command: found, args: options.args ?? recorderArgs(kind, rate, channels, options.device) };
  }
  throw createSttError(
    'recorder_not_found',
    'No audio recorder found on the PATH (looked for arecord, rec, sox, ffmpeg). Install one (Debian/Ubuntu: `apt-get install alsa-utils` or `apt-get install sox`, macOS: `brew install sox`) or ' +
      RECORDER_FIX,
    { retryable: false },
  );
}

/**
 * Captures the microphone as a stream of {@link PCMFrame}s (signed 16-bit),
 * by running a recorder subprocess that writes raw PCM to stdout:
 * `arecord`, `rec`/`sox` or `ffmpeg`, whichever is on the PATH, or the one
 * named by `recorder`, or any `command` with `args`. `cancel()` kills the
 * recorder and releases the device.
 *
 * Errors go through the stream: `recorder_not_found` when there is no
 * recorder, `recorder_failed` (with the recorder's last stderr line) when it
 * cannot be started or stops with an error.
 *
 * To send only speech, pass `voiceActivity: true` to `createTranscriber`:
 * the detector runs on the transcriber's side, on any source.
 *
 * @param options - recorder, device, rate and channels
 * @throws TypeError or RangeError naming a bad option
 * @example Live captions from the default microphone
 * ```ts
 * const mic = microphone({ sampleRate: 16000 });
 * const events = mic.pipeThrough(createTranscriber({ model: 'whisper-1', apiKey, overflow: 'drop-oldest' }));
 * for await (const ev of events) if (ev.type === 'final') console.log(ev.text);
 * ```
 * @example Only speech sent, and where it starts
 * ```ts
 * const transcriber = createTranscriber({ model: 'whisper-1', apiKey, overflow: 'drop-oldest', voiceActivity: true });
 * for await (const ev of microphone().pipeThrough(transcriber)) {
 *   if (ev.type === 'speech_started' && ev.source === 'client') console.error('speaking…');
 *   else if (ev.type === 'final') console.log(ev.text);
 * }
 * ```
 */
export function microphone(options: MicrophoneOptions = {}): ReadableStream<PCMFrame> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, MICROPHONE_OPTIONS, 'microphone()');
  const sampleRate = options.sampleRate ?? 16000;
  const channels = options.channels ?? 1;
  // Validates rate and channels (RangeError/TypeError naming the field).
  const decoder = new PcmBytesDecoder({ sampleRate, channels, encoding: 's16le' });
  if (options.args !== undefined && (!Array.isArray(options.args) || options.args.some((a) => typeof a !== 'string'))) {
    throw new TypeError('Invalid option `args`: expected an array of strings');
  }
  return frameStream(
    async () => {
      const { command, args } = await resolveCommand(options, sampleRate, channels);
      return processFrames(startSubprocess(command, args), decoder, (exit, stderr) => recorderExitError(command, exit, stderr));
    },
    undefined,
    // The recorder starts capturing when the stream is made, as a microphone does.
    { eager: true },
  );
}

/** The error a recorder's exit means, or `null` for a success (it ended its output). */
function recorderExitError(command: string, exit: Exit, stderr: string): Error | null {
  if (exit.error) {
    const missing = exit.error.code === 'ENOENT';
    return createSttError(missing ? 'recorder_not_found' : 'recorder_failed', `Cannot start the recorder ${JSON.stringify(command)}: ${missing ? 'not found' : exit.error.message}`, {
      retryable: false,
      cause: exit.error,
    });
  }
  if (exit.code === 0) return null;
  const why = lastLine(stderr) || `exited with ${exit.code ?? exit.signal}`;
  return createSttError('recorder_failed', `The recorder ${JSON.stringify(basename(command))} stopped: ${why}`, { retryable: false });
}
