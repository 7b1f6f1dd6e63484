/**
 * The `stt-stream` command line: `transcribe`, `listen` and `emulator`.
 * {@link runCli} is the whole program, with its streams and environment
 * passed in; `cli.ts` is the executable that calls it.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import {
  MAX_BATCH_BYTES,
  SttError,
  transcribe,
  type TranscriptSegmentEvent,
  type Transcription,
} from '@stt-stream/core';
import { audioStreamSource } from './audio-stream-source.ts';
import { createTranscriber } from './index.ts';
import { microphone } from './microphone.ts';
import { toSrt } from './srt-writer.ts';
import { collectFinals, streamUrlFor, transcribeFile, transcribeFrames } from './transcribe-file.ts';
import { toWebVtt } from './webvtt-writer.ts';
import { createWsTransport } from './ws-transport.ts';

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
const DEFAULT_GATEWAY = 'https://gateway.llm-stats.com';

/** Where {@link runCli} reads and writes. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
  env: Record<string, string | undefined>;
  /** Registers a Ctrl-C handler; returns its removal. */
  onInterrupt?: (handler: () => void) => () => void;
}

type Format = 'text' | 'json' | 'srt' | 'vtt';

interface CommonOptions {
  model: string;
  language?: string;
  provider?: string;
  url?: string;
  format: Format;
  output?: string;
}

class UsageError extends Error {}

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

function apiKeyFrom(env: CliIo['env']): string | undefined {
  const key = env.STT_STREAM_API_KEY || env.LLM_STATS_API_KEY;
  return key && key.trim() ? key.trim() : undefined;
}

/** Whether a URL points at the hosted gateway (where a key is always needed). */
function isHostedGateway(url: string): boolean {
  try {
    return new URL(url).hostname === new URL(DEFAULT_GATEWAY).hostname;
  } catch {
    return false;
  }
}

function formatResult(result: Transcription, format: Format, finals: TranscriptSegmentEvent[] | null): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(result, null, 2)}\n`;
    case 'srt':
      return toSrt(finals && finals.length > 0 ? finals : result);
    case 'vtt':
      return toWebVtt(finals && finals.length > 0 ? finals : result);
    default:
      return result.text ? `${result.text}\n` : '';
  }
}

async function emit(io: CliIo, text: string, output: string | undefined): Promise<void> {
  if (output) await writeFile(output, text);
  else await new Promise<void>((resolve, reject) => io.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

/** The duration of a media file by ffprobe, or `null` when it cannot tell. */
function probeDuration(path: string, ffmpegPath: string | undefined): Promise<number | null> {
  const ffprobe = ffmpegPath ? ffmpegPath.replace(/ffmpeg(\.exe)?$/i, 'ffprobe$1') : 'ffprobe';
  return new Promise((resolve) => {
    execFile(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', path], { timeout: 10_000 }, (err, out) => {
      const d = err ? NaN : Number(String(out).trim());
      resolve(Number.isFinite(d) && d > 0 ? d : null);
    });
  });
}

/** A progress bar on stderr (TTY only): seconds of audio sent, and speed against real time. */
function progressBar(io: CliIo, total: number | null) {
  if (!io.stderr.isTTY) return { update: (_s: number) => {}, stop: () => {} };
  const started = Date.now();
  const format = total
    ? 'sending |{bar}| {percentage}% | {value}/{total} s | {speed}× real time'
    : 'sending {value} s | {speed}× real time';
  const bar = new cliProgress.SingleBar(
    { format, stream: io.stderr as unknown as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, etaBuffer: 20 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ? Math.round(total * 10) / 10 : 0, 0, { speed: '0.0' });
  return {
    update(seconds: number) {
      const speed = seconds / Math.max((Date.now() - started) / 1000, 1e-3);
      bar.update(Math.round(seconds * 10) / 10, { speed: speed.toFixed(1) });
    },
    stop: () => bar.stop(),
  };
}

async function readAll(stream: Readable, limit: number): Promise<{ chunks: Buffer[]; size: number; ended: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(b);
    size += b.length;
    if (size > limit) return { chunks, size, ended: false };
  }
  return { chunks, size, ended: true };
}

interface TranscribeOptions extends CommonOptions {
  stream?: boolean;
  batch?: boolean;
  ffmpeg?: string;
  progress: boolean;
  retries?: number;
}

async function commandTranscribe(file: string, opts: TranscribeOptions, io: CliIo): Promise<void> {
  if (opts.stream && opts.batch) throw new UsageError('--stream and --batch exclude each other');
  const baseUrl = opts.url ?? io.env.STT_STREAM_URL ?? DEFAULT_GATEWAY;
  const apiKey = apiKeyFrom(io.env);
  if (!apiKey && isHostedGateway(baseUrl)) throw new SttError('unauthenticated', noKeyMessage(), { retryable: false });
  const mode = opts.stream ? 'stream' : opts.batch ? 'batch' : 'auto';
  const base = {
    model: opts.model,
    baseUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(opts.language ? { language: opts.language } : {}),
    ...(opts.provider ? { providerId: opts.provider } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
  };
  const finals: TranscriptSegmentEvent[] = [];
  const onFinal = (f: TranscriptSegmentEvent) => finals.push(f);
  let result: Transcription;

  if (file === '-') {
    // stdin: up to 25 MB it can be uploaded; beyond, or with --stream, it is streamed.
    const head = mode === 'stream' ? { chunks: [], size: 0, ended: false } : await readAll(io.stdin, MAX_BATCH_BYTES);
    if (mode !== 'stream' && head.ended) {
      if (head.size === 0) throw new SttError('invalid_input', 'stdin is empty', { retryable: false });
      result = await transcribe(new Uint8Array(Buffer.concat(head.chunks)), base);
    } else {
      if (mode === 'batch') {
        throw new SttError('invalid_input', `stdin holds more than ${MAX_BATCH_BYTES} bytes (25 MB), the batch limit; drop --batch to stream it`, {
          status: 413,
          param: 'audio',
          retryable: false,
        });
      }
      const { Readable: NodeReadable } = await import('node:stream');
      const rest = io.stdin;
      const input = NodeReadable.from(
        (async function* () {
          yield* head.chunks;
          for await (const chunk of rest) yield chunk as Buffer;
        })(),
        { objectMode: false },
      );
      const bar = opts.progress ? progressBar(io, null) : null;
      try {
        result = await transcribeFrames(audioStreamSource(input, { name: 'stdin', ...(opts.ffmpeg ? { ffmpegPath: opts.ffmpeg } : {}) }), {
          ...base,
          onFinal,
          ...(bar ? { onProgress: ({ seconds }: { seconds: number }) => bar.update(seconds) } : {}),
        });
      } finally {
        bar?.stop();
      }
    }
  } else {
    const { stat } = await import('node:fs/promises');
    const size = await stat(file).then((s) => s.size, () => 0);
    const streaming = mode === 'stream' || (mode === 'auto' && size > MAX_BATCH_BYTES);
    const bar = streaming && opts.progress && io.stderr.isTTY ? progressBar(io, await probeDuration(file, opts.ffmpeg)) : null;
    if (!streaming && opts.progress && io.stderr.isTTY) io.stderr.write(`Uploading ${file} (${(size / 1e6).toFixed(1)} MB)…\n`);
    try {
      result = await transcribeFile(file, {
        ...base,
        mode,
        onFinal,
        ...(opts.ffmpeg ? { ffmpegPath: opts.ffmpeg } : {}),
        ...(bar ? { onProgress: ({ seconds }: { seconds: number }) => bar.update(seconds) } : {}),
      });
    } finally {
      bar?.stop();
    }
  }
  await emit(io, formatResult(result, opts.format, finals), opts.output);
}

interface ListenOptions extends CommonOptions {
  recorder?: string;
  recorderCommand?: string;
  device?: string;
  sampleRate: number;
  interim: boolean;
}

async function commandListen(opts: ListenOptions, io: CliIo): Promise<void> {
  const baseUrl = opts.url ?? io.env.STT_STREAM_URL ?? DEFAULT_GATEWAY;
  const apiKey = apiKeyFrom(io.env);
  if (!apiKey && isHostedGateway(baseUrl)) throw new SttError('unauthenticated', noKeyMessage(), { retryable: false });
  const mic = microphone({
    sampleRate: opts.sampleRate,
    ...(opts.recorderCommand ? { command: 'sh', args: ['-c', opts.recorderCommand] } : {}),
    ...(opts.recorder ? { recorder: opts.recorder } : {}),
    ...(opts.device ? { device: opts.device } : {}),
  });
  // Ctrl-C ends the audio gracefully: the last finals still arrive.
  const micReader = mic.getReader();
  let stopping = false;
  const audio = new ReadableStream({
    async pull(controller) {
      if (stopping) return controller.close();
      const r = await micReader.read();
      if (r.done || stopping) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => micReader.cancel(reason),
  });
  const removeInterrupt = io.onInterrupt?.(() => {
    if (stopping) return;
    stopping = true;
    void micReader.cancel().catch(() => {});
    if (io.stderr.isTTY) io.stderr.write('\nstopping: waiting for the last finals…\n');
  });
  const transcriber = createTranscriber({
    model: opts.model,
    url: streamUrlFor(baseUrl),
    transport: createWsTransport(),
    overflow: 'drop-oldest',
    interimResults: opts.interim,
    ...(apiKey ? { apiKey } : {}),
    ...(opts.language ? { language: opts.language } : {}),
    ...(opts.provider ? { providerId: opts.provider } : {}),
  });
  const live = io.stdout.isTTY === true && !opts.output && opts.format === 'text';
  const finals: TranscriptSegmentEvent[] = [];
  let interimShown = false;
  const width = () => Math.max(20, (io.stdout.columns ?? 80) - 1);
  try {
    const reader = audio.pipeThrough(transcriber).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const ev = r.value;
      if (ev.type === 'interim' && live) {
        const text = ev.text.length > width() ? `…${ev.text.slice(-(width() - 1))}` : ev.text;
        io.stdout.write(`\r\x1b[2K${text}`);
        interimShown = true;
      } else if (ev.type === 'final') {
        finals.push(ev);
        if (opts.output || opts.format === 'srt' || opts.format === 'vtt') continue;
        if (opts.format === 'json') io.stdout.write(`${JSON.stringify(ev)}\n`);
        else if (ev.text.trim()) io.stdout.write(`${live && interimShown ? '\r\x1b[2K' : ''}${ev.text.trim()}\n`);
        interimShown = false;
      } else if (ev.type === 'gap') {
        io.stderr.write(`stt-stream: ${(ev.end - ev.start).toFixed(2)} s of audio were lost (${ev.reason})\n`);
      }
    }
  } finally {
    removeInterrupt?.();
  }
  if (interimShown) io.stdout.write('\r\x1b[2K');
  if (opts.output || opts.format === 'srt' || opts.format === 'vtt') {
    const duration = finals.length ? finals[finals.length - 1]!.end : 0;
    const result = collectFinals(finals, duration, opts.model);
    const text =
      opts.format === 'json' ? finals.map((f) => `${JSON.stringify(f)}\n`).join('') : formatResult(result, opts.format, finals);
    await emit(io, text, opts.output);
  }
}

interface EmulatorCliOptions {
  port: number;
  host: string;
  apiKey?: string[];
}

async function commandEmulator(opts: EmulatorCliOptions, io: CliIo): Promise<void> {
  // The emulator is an optional peer: only this command needs it.
  let startEmulator: typeof import('@stt-stream/emulator').startEmulator;
  try {
    ({ startEmulator } = await import('@stt-stream/emulator'));
  } catch (cause) {
    throw new SttError('emulator_not_installed', 'The emulator is a separate package: npm install @stt-stream/emulator (or run npx @stt-stream/emulator)', { cause });
  }
  const keys = opts.apiKey ?? (io.env.STT_STREAM_EMULATOR_KEYS ? io.env.STT_STREAM_EMULATOR_KEYS.split(',').filter(Boolean) : undefined);
  const emu = await startEmulator({ port: opts.port, host: opts.host, ...(keys && keys.length ? { apiKeys: keys } : {}) });
  io.stdout.write(`stt-stream emulator listening\n  stream: ${emu.url}\n  batch:  ${emu.httpUrl}/v1/stt/transcribe\n`);
  io.stdout.write(`Try: stt-stream transcribe audio.wav --url ${emu.httpUrl}\n`);
  await new Promise<void>((resolve) => {
    const remove = io.onInterrupt?.(() => {
      remove?.();
      resolve();
    });
    if (!io.onInterrupt) resolve();
  });
  await emu.close();
}

function parseIntOption(name: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function collectValues(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Maps an error to the exit code and the message printed for it.
 *
 * @example
 * ```ts
 * describeFailure(new TypeError('bad')).code; // 2 (usage)
 * ```
 */
export function describeFailure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError || err instanceof TypeError || err instanceof RangeError) return { code: EXIT.usage, message: err.message };
  if (err instanceof SttError) {
    if (err.code === 'unauthenticated' || err.code === 'insufficient_quota') {
      const hint = err.message.startsWith('No API key')
        ? ''
        : err.code === 'unauthenticated'
          ? '\nCheck STT_STREAM_API_KEY (or LLM_STATS_API_KEY).'
          : '\nAdd credit to your account.';
      return { code: EXIT.auth, message: `${err.message}${hint}` };
    }
    const id = err.requestId ? ` (request id ${err.requestId})` : '';
    return { code: EXIT.failure, message: `${err.message}${id}` };
  }
  return { code: EXIT.failure, message: err instanceof Error ? err.message : String(err) };
}

/**
 * Runs `stt-stream` with `argv` (without the node and script paths) and
 * returns the exit code: 0 ok, 1 failure, 2 usage, 3 authentication.
 *
 * @param argv - the arguments, e.g. `['transcribe', 'a.wav', '--format', 'srt']`
 * @param io - streams, environment and Ctrl-C hook
 * @example Run it from a script
 * ```ts
 * const code = await runCli(['transcribe', 'a.wav'], { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
 * process.exitCode = code;
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = new Command('stt-stream')
    .description('Real-time and batch speech-to-text over the STT gateway')
    .exitOverride()
    .showHelpAfterError('(run stt-stream --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      '\nThe API key comes from STT_STREAM_API_KEY (or LLM_STATS_API_KEY), never from a flag.\nExit codes: 0 ok, 1 failure, 2 usage, 3 authentication.',
    );

  let run: (() => Promise<void>) | undefined;
  const common = (cmd: Command) =>
    cmd
      .option('-m, --model <id>', 'model_id', io.env.STT_STREAM_MODEL ?? 'whisper-1')
      .option('-l, --language <code>', 'ISO-639-1 language hint (en, es, …)')
      .option('--provider <id>', 'provider_id: bypass the gateway router')
      .option('--url <url>', `gateway URL (env STT_STREAM_URL; default ${DEFAULT_GATEWAY})`)
      .addOption(new Option('-f, --format <format>', 'output format').choices(['text', 'json', 'srt', 'vtt']).default('text'))
      .option('-o, --output <file>', 'write the result to a file instead of stdout');

  common(program.command('transcribe').argument('<file>', 'audio file, or - for stdin'))
    .description('transcribe an audio file (batch up to 25 MB, streamed beyond)')
    .option('--stream', 'send through the streaming endpoint')
    .option('--batch', 'upload to the batch endpoint (fails over 25 MB)')
    .option('--ffmpeg <path>', 'ffmpeg executable for formats other than WAV')
    .option('--retries <n>', 'batch retries on 429/5xx', parseIntOption('--retries', 0, 10))
    .option('--no-progress', 'no progress on stderr')
    .action((file: string, opts: TranscribeOptions) => {
      run = () => commandTranscribe(file, opts, io);
    });

  common(program.command('listen'))
    .description('transcribe the microphone live (Ctrl-C to stop)')
    .option('--recorder <name>', 'arecord, rec, sox or ffmpeg (default: the first found)')
    .option('--recorder-command <command>', 'a shell command writing raw s16le mono PCM at --sample-rate to stdout')
    .option('--device <device>', 'input device, in the recorder’s terms')
    .option('--sample-rate <hz>', 'capture rate', parseIntOption('--sample-rate', 8000, 48000), 16000)
    .option('--no-interim', 'only finals')
    .action((opts: ListenOptions) => {
      run = () => commandListen(opts, io);
    });

  program
    .command('emulator')
    .description('run a local gateway (both endpoints, the DTMF tone engine) until Ctrl-C')
    .option('-p, --port <port>', 'port (0: any free one)', parseIntOption('--port', 0, 65535), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--api-key <key>', 'accept only this key (repeatable; env STT_STREAM_EMULATOR_KEYS, comma-separated)', collectValues)
    .action((opts: EmulatorCliOptions) => {
      run = () => commandEmulator(opts, io);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
  if (!run) {
    program.outputHelp();
    return EXIT.usage;
  }
  try {
    await run();
    return EXIT.ok;
  } catch (err) {
    const { code, message } = describeFailure(err);
    io.stderr.write(`stt-stream: ${message}\n`);
    return code;
  }
}
