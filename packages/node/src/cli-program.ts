/**
 * The `stt-stream` command line: `transcribe`, `listen` and `emulator`.
 * {@link runCli} is the whole program, with its streams and environment
 * passed in; `cli.ts` is the executable that calls it.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SttError } from '@stt-stream/core';
import packageJson from '../package.json' with { type: 'json' };
import { DEFAULT_GATEWAY, EXIT, UsageError, type CliIo } from './cli-common.ts';
import { commandListen, parseRecorder, type ListenOptions } from './cli-listen.ts';
import { commandTranscribe, type TranscribeOptions } from './cli-transcribe.ts';
import { FFMPEG_PATH_FIX, RAW_PCM_FIX } from './internal/ffmpeg.ts';
import { RECORDER_FIX } from './microphone.ts';

export { EXIT, type CliIo } from './cli-common.ts';

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
    throw new SttError('emulator_not_installed', 'The emulator is a separate package: install @stt-stream/emulator beside @stt-stream/node', { cause });
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

/** What a connection error says when nothing answered at the address. */
const UNREACHABLE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET|getaddrinfo/;

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
    // The sources' messages say how to fix things in API terms; here, in flags.
    let message = err.message
      .replace(FFMPEG_PATH_FIX, 'pass --ffmpeg <path>')
      .replace(RECORDER_FIX, 'pass --recorder or --recorder-command')
      .replace(RAW_PCM_FIX, 'give it one first, e.g. `ffmpeg -f s16le -ar 16000 -ac 1 -i <file> out.wav` for 16 kHz mono 16-bit');
    if (err.code === 'recorder_failed') message += '\n(choose the input with --device, another recorder with --recorder, or any command with --recorder-command)';
    // A server that does not answer (refused, no such host, unreachable): the address is the first thing to check.
    if (err.code === 'connection_failed' && UNREACHABLE.test(err.message)) message += '\n(is the server running? check --url or STT_STREAM_URL)';
    return { code: EXIT.failure, message: `${message}${id}` };
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
    .version(packageJson.version, '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError('(run stt-stream --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText(
      'after',
      '\nThe API key comes from STT_STREAM_API_KEY (or LLM_STATS_API_KEY), never from a flag.\nExit codes: 0 ok, 1 failure, 2 usage, 3 authentication.',
    );

  let run: (() => Promise<void | number>) | undefined;
  const common = (cmd: Command) =>
    cmd
      .option('-m, --model <id>', 'model_id', io.env.STT_STREAM_MODEL ?? 'whisper-1')
      .option('-l, --language <code>', 'ISO-639-1 language hint (en, es, …)')
      .option('--provider <id>', 'provider_id: bypass the gateway router')
      .option('--url <url>', `gateway URL (env STT_STREAM_URL; default ${DEFAULT_GATEWAY})`)
      .addOption(new Option('-f, --format <format>', 'output format (default: from --output\'s extension, else text)').choices(['text', 'json', 'srt', 'vtt']))
      .option('-o, --output <file>', 'write the result to a file instead of stdout');

  common(program.command('transcribe').argument('<file>', 'audio file, or - for stdin'))
    .description('transcribe an audio file (batch up to 25 MB, streamed beyond)')
    .option('--stream', 'send through the streaming endpoint')
    .option('--batch', 'upload to the batch endpoint (fails over 25 MB)')
    .option('--ffmpeg <path>', 'ffmpeg executable for formats other than WAV')
    .option('--retries <n>', 'retries on 429/5xx (batch) or failed connections (streaming)', parseIntOption('--retries', 0, 10))
    .option('--no-progress', 'no progress on stderr')
    .option('--stats', 'when streaming: latency and connection figures on stderr at the end')
    .action((file: string, opts: TranscribeOptions) => {
      run = () => commandTranscribe(file, opts, io);
    });

  common(program.command('listen'))
    .description('transcribe the microphone live (Ctrl-C to stop)')
    .option('--recorder <name>', 'arecord, rec, sox or ffmpeg, or a path to one (default: the first found)', parseRecorder)
    .option('--recorder-command <command>', 'a shell command writing raw s16le mono PCM at --sample-rate to stdout')
    .option('--device <device>', 'input device, in the recorder’s terms')
    .option('--sample-rate <hz>', 'capture rate', parseIntOption('--sample-rate', 8000, 48000), 16000)
    .option('--no-interim', 'only finals')
    .option('--stats', 'latency and connection figures on stderr at the end (Ctrl-C included)')
    .option('--vad', 'voice activity detection here: send only speech, and show in a terminal when it starts and ends (with --stats: audio sent, silence skipped)')
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
    return (await run()) ?? EXIT.ok;
  } catch (err) {
    const { code, message } = describeFailure(err);
    io.stderr.write(`stt-stream: ${message}\n`);
    return code;
  }
}
