/**
 * What the `stt-stream` commands share: exit codes, the streams and
 * environment they run with, the gateway address and key, and the status
 * lines a command writes on stderr while it connects.
 *
 * @module
 */
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { SttError, type BatchRetryInfo, type Transcriber } from '@stt-stream/core';
import { URL_CREDENTIAL_PARAMS } from '@stt-stream/core/internal';

/**
 * Exit codes of `stt-stream`.
 *
 * @example In a shell script
 * ```sh
 * stt-stream transcribe a.wav || [ $? -eq 3 ] && echo "check STT_STREAM_API_KEY"
 * ```
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3, interrupted: 130 } as const;

/** The default gateway, used when neither `--url` nor `STT_STREAM_URL` is given. */
export const DEFAULT_GATEWAY = 'https://gateway.llm-stats.com';

/** Where {@link runCli} reads and writes. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
  env: Record<string, string | undefined>;
  /** Registers a Ctrl-C handler, called on every Ctrl-C (the bin exits after the second); returns its removal. */
  onInterrupt?: (handler: () => void) => () => void;
}

/** `--format`. */
export type Format = 'text' | 'json' | 'srt' | 'vtt';

/** The options every command that transcribes takes. */
export interface CommonOptions {
  model: string;
  language?: string;
  provider?: string;
  url?: string;
  /** `-f`; when not given, {@link outputFormat} takes it from `--output`'s extension. */
  format?: Format;
  output?: string;
}

/** The formats an `--output` file's extension says. */
const FORMAT_OF_EXTENSION: Readonly<Record<string, Format>> = { srt: 'srt', vtt: 'vtt', json: 'json', jsonl: 'json', txt: 'text' };

/**
 * The output format: `-f` when given, else what `--output`'s extension says
 * (`.srt`, `.vtt`, `.json`, `.txt`), else text. A `-f` that contradicts the
 * file's extension (`-f text -o a.vtt`) is a usage error rather than a file
 * whose name lies about its content.
 *
 * @throws UsageError naming both
 */
export function outputFormat(opts: { format?: Format; output?: string }): Format {
  const ext = opts.output ? extname(opts.output).slice(1).toLowerCase() : '';
  const implied = FORMAT_OF_EXTENSION[ext];
  if (opts.format === undefined) return implied ?? 'text';
  if (implied !== undefined && implied !== opts.format && ext !== 'txt') {
    throw new UsageError(`-f ${opts.format} does not match the extension of ${opts.output} (${implied}): drop -f to write ${implied}, or name the file for ${opts.format}`);
  }
  return opts.format;
}

/** A time in seconds rounded to the millisecond (`4.200000000000001` → `4.2`), for JSON output. */
export const roundTime = (seconds: number): number => Math.round(seconds * 1000) / 1000;

/** A transcript's times rounded to the millisecond: `start`, `end`, `duration` and its words'. */
export function roundTimes<T extends { start?: number; end?: number; duration?: number; words?: { start: number; end: number }[] | null }>(t: T): T {
  const out = { ...t };
  for (const k of ['start', 'end', 'duration'] as const) if (typeof out[k] === 'number') out[k] = roundTime(out[k]!);
  if (out.words) out.words = out.words.map((w) => ({ ...w, start: roundTime(w.start), end: roundTime(w.end) }));
  return out;
}

/**
 * What an empty transcript from a server other than the hosted gateway may
 * mean: the local emulator hears DTMF tones, not speech.
 */
export function emptyTranscriptHint(gateway: { hosted: boolean }): string {
  return gateway.hosted ? '' : ' (if this is the stt-stream emulator: it hears only DTMF tones, not speech; set STT_STREAM_API_KEY and drop --url for the hosted gateway)';
}

/** A mistake in the command line: printed as it is, exit 2. */
export class UsageError extends Error {}

/** The streaming endpoint's samples per second (the transcriber's default wire rate, which the CLI keeps). */
export const WIRE_RATE = 16_000;

/** Writes a line on stderr, prefixed `stt-stream: ` (in a terminal, over whatever a progress bar drew on that line). */
export function say(io: CliIo, line: string): void {
  io.stderr.write(`${io.stderr.isTTY ? '\r\x1b[2K' : ''}stt-stream: ${line}\n`);
}

/** Writes text and waits until it is handed off. */
export function writeTo(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(text, (err) => (err ? reject(err) : resolve())));
}

/** A missing key, with what to do about it. */
function noKeyMessage(): string {
  return [
    'No API key. Set STT_STREAM_API_KEY (or LLM_STATS_API_KEY) in the environment:',
    '  export STT_STREAM_API_KEY=…',
    'To try stt-stream without a key, run the local emulator in another terminal:',
    '  stt-stream emulator --port 8080',
    'and point at it:',
    '  stt-stream transcribe audio.wav --url http://127.0.0.1:8080',
  ].join('\n');
}

/** The gateway a command talks to, and the key for it. */
export interface Gateway {
  /** What was given (`--url`, `STT_STREAM_URL` or the default): an http(s) origin or a ws(s) URL. */
  url: string;
  /** Its origin, for status lines. */
  origin: string;
  /** Whether it is the hosted gateway. */
  hosted: boolean;
  apiKey?: string;
}

/**
 * The gateway from `--url`, `STT_STREAM_URL` or the default, checked in CLI
 * terms: a URL of one of the four schemes, with no credential in it (the
 * key comes from the environment only), and a key when the hosted gateway
 * is meant.
 *
 * @throws UsageError naming `--url` (or `STT_STREAM_URL`); SttError `unauthenticated` with how to set a key
 */
export function gatewayFrom(opts: { url?: string }, io: CliIo): Gateway {
  const source = opts.url !== undefined ? '--url' : io.env.STT_STREAM_URL ? 'STT_STREAM_URL' : undefined;
  const value = opts.url ?? (io.env.STT_STREAM_URL || DEFAULT_GATEWAY);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not echoed: a key pasted into the wrong place must not reach a terminal log.
    throw new UsageError(`${source} is not a URL (expected the gateway's address, e.g. http://127.0.0.1:8080 or ${DEFAULT_GATEWAY})`);
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    throw new UsageError(`${source} must be an http(s) or ws(s) URL, not ${url.protocol}`);
  }
  const names = [...url.searchParams.keys()].map((k) => k.toLowerCase());
  const found = url.username || url.password ? 'a user name or password' : names.find((n) => URL_CREDENTIAL_PARAMS.includes(n));
  if (found) {
    throw new UsageError(
      `${source} must not hold a credential (found ${found.startsWith('a ') ? found : `\`${found}\``}): the key goes in the environment, export STT_STREAM_API_KEY=…`,
    );
  }
  const raw = io.env.STT_STREAM_API_KEY || io.env.LLM_STATS_API_KEY;
  const apiKey = raw && raw.trim() ? raw.trim() : undefined;
  const hosted = url.hostname.toLowerCase() === new URL(DEFAULT_GATEWAY).hostname;
  if (!apiKey && hosted) throw new SttError('unauthenticated', noKeyMessage(), { retryable: false });
  return { url: value, origin: url.origin, hosted, ...(apiKey ? { apiKey } : {}) };
}

/** "0.5 s", "12 s". */
const seconds = (ms: number) => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

/** Whether `why` is what the line before said (then a line says "the same error"); `null` forgets. */
function sameAsBefore(): (why: string | null) => boolean {
  let lastWhy = '';
  return (why) => {
    const told = why !== null && why === lastWhy;
    lastWhy = why ?? '';
    return told;
  };
}

/**
 * Says on stderr what a transcriber's connection is doing: "connecting to
 * <origin>…" when it starts (in a terminal), and, in a terminal or not (a
 * log should show why a stream was slow), every failed attempt or lost
 * connection with the cause (once: a cause the line before gave is "the
 * same error"), the number of the next attempt and the wait before it, and
 * each reconnection.
 */
export function reportConnection(io: CliIo, transcriber: Transcriber, origin: string): void {
  if (io.stderr.isTTY) say(io, `connecting to ${origin}…`);
  let opened = false;
  const same = sameAsBefore();
  transcriber.events.on('open', () => {
    opened = true;
  });
  transcriber.events.on('reconnecting', ({ attempt, delayMs, cause }) => {
    const why = `${cause.code}: ${cause.message}`;
    const told = same(why);
    // `attempt` counts the failures so far (0: a routine reconnect, e.g. at the session's length limit).
    if (!opened) say(io, `${told ? 'still cannot connect (the same error)' : `cannot connect to ${origin} (${why})`}; attempt ${attempt + 1} in ${seconds(delayMs)}…`);
    else say(io, `connection lost (${told ? 'the same error' : why}); reconnecting${attempt > 0 ? ` (attempt ${attempt})` : ''} in ${seconds(delayMs)}…`);
  });
  transcriber.events.on('reconnected', ({ replayedSeconds }) => {
    same(null);
    say(io, `reconnected${replayedSeconds > 0 ? `, replaying ${replayedSeconds.toFixed(1)} s of unconfirmed audio` : ''}`);
  });
}

/**
 * Says on stderr, in a terminal or not, why an upload is tried again and
 * after how long: each failed attempt with its cause (once: a cause the line
 * before gave is "the same error"), the number of the next attempt and the
 * wait, which is the server's `Retry-After` when it sent one. The callback
 * is the batch client's `onRetry`.
 */
export function reportRetries(io: CliIo): (info: BatchRetryInfo) => void {
  const same = sameAsBefore();
  return ({ attempt, delayMs, error }) => {
    const why = `${error.code}: ${error.message}`;
    const told = same(why);
    const asked = error.retryAfterMs !== undefined ? ', as the server asked' : '';
    say(io, `${told ? 'the upload failed again (the same error)' : `the upload failed (${why})`}; attempt ${attempt} in ${seconds(delayMs)}${asked}…`);
  };
}

