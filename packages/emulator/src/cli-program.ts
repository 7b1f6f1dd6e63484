/**
 * The command line of `stt-stream-emulator`, parsed into emulator options.
 *
 * @module
 */
import { Command, InvalidArgumentError } from 'commander';
import type { EmulatorOptions } from './emulator.ts';
import { validateFaultPlan, type FaultPlan } from './fault-plan.ts';

/**
 * What the command line asks for.
 *
 * @example Start what the flags describe
 * ```ts
 * const { options } = parseCliArgs(['--drop-after-ms', '500']);
 * const emulator = await startEmulator(options);
 * ```
 */
export interface CliConfig {
  options: EmulatorOptions;
  /** Print the URLs as one JSON line instead of text. */
  json: boolean;
}

const integer = (name: string) => (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer.`);
  return Number(value);
};
const number = (name: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number.`);
  return n;
};
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Builds the commander program (exposed for its help text and for tests).
 *
 * @example Print the help
 * ```ts
 * console.log(createCliProgram().helpInformation());
 * ```
 */
export function createCliProgram(): Command {
  return new Command()
    .name('stt-stream-emulator')
    .description('A local STT gateway: GET /v1/stt/stream (WebSocket) and POST /v1/stt/transcribe, with a DTMF tone engine and fault injection.')
    .option('--port <port>', 'port to listen on (0: any free port)', integer('--port'), 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--api-key <key>', 'require this API key (repeatable); none: no key needed', collect)
    .option('--engine <engine>', 'recognition engine: tone or silent', 'tone')
    .option('--idle-timeout-ms <ms>', 'close idle sessions (4008) after this long', number('--idle-timeout-ms'), 10_000)
    .option('--max-session-seconds <s>', 'close sessions (4010) after this many seconds of audio', number('--max-session-seconds'))
    .option('--fault-times <n>', 'apply the fault flags to the first n connections only', integer('--fault-times'))
    .option('--drop-after-ms <ms>', 'drop connections (no close frame) after this long', number('--drop-after-ms'))
    .option('--drop-after-bytes <n>', 'drop connections once they have sent this much audio', integer('--drop-after-bytes'))
    .option('--close-code <code>', 'close connections with this code (1001, 1011, 1012, 1013, 4010, 4029, 4502, …)', integer('--close-code'))
    .option('--close-after-ms <ms>', 'when to close with --close-code', number('--close-after-ms'))
    .option('--close-after-bytes <n>', 'close with --close-code once this much audio has come', integer('--close-after-bytes'))
    .option('--retry-after <s>', 'retry_after of a 4029 close, Retry-After of a refused upgrade', number('--retry-after'))
    .option('--refuse-status <status>', 'refuse upgrades with this HTTP status', integer('--refuse-status'))
    .option('--stall-ms <ms>', 'stop reading from connections for this long', number('--stall-ms'))
    .option('--stall-after-ms <ms>', 'when to stall (default: at once)', number('--stall-after-ms'))
    .option('--stall-after-bytes <n>', 'stall once this much audio has come', integer('--stall-after-bytes'))
    .option('--delay-ms <ms>', 'send every server message this late', number('--delay-ms'))
    .option('--process-rate <x>', 'hear audio at most this many times real time (a gateway slower than its input)', number('--process-rate'))
    .option('--no-url-faults', 'ignore the `fault` query parameter')
    .option('--server-time', 'stamp transcript messages with server_time (ms since the epoch, as sent)')
    .option('--batch-statuses <list>', 'answer the first batch requests with these statuses, e.g. 429,502', (v: string) =>
      v.split(',').map((s) => integer('--batch-statuses')(s.trim())))
    .option('--ffmpeg <path>', 'ffmpeg executable for non-WAV batch uploads', 'ffmpeg')
    .option('--no-ffmpeg', 'decode WAV only')
    .option('--json', 'print the URLs as one JSON line', false)
    .showHelpAfterError();
}

/**
 * Parses the arguments (without `node` and the script path).
 *
 * @param program the program to parse with; by default a silent one that throws instead of exiting
 * @throws CommanderError for bad flags (with the message commander would print), TypeError for a bad fault combination
 *
 * @example Flags to a fault plan
 * ```ts
 * parseCliArgs(['--port', '8080', '--close-code', '1012', '--close-after-ms', '5000']).options.faults;
 * // { close: { code: 1012, afterMs: 5000 } }
 * ```
 */
export function parseCliArgs(
  argv: string[],
  program: Command = createCliProgram().exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} }),
): CliConfig {
  program.parse(argv, { from: 'user' });
  const o = program.opts();
  const engine = o.engine as string;
  if (engine !== 'tone' && engine !== 'silent') throw new InvalidArgumentError(`--engine must be tone or silent, got ${engine}`);

  const plan: FaultPlan = {};
  const trigger = (ms: number | undefined, bytes: number | undefined) => ({
    ...(ms !== undefined ? { afterMs: ms } : {}),
    ...(bytes !== undefined ? { afterBytes: bytes } : {}),
  });
  if (o.refuseStatus !== undefined) plan.refuse = { status: o.refuseStatus, ...(o.retryAfter !== undefined ? { retryAfter: o.retryAfter } : {}) };
  if (o.dropAfterMs !== undefined || o.dropAfterBytes !== undefined) plan.drop = trigger(o.dropAfterMs, o.dropAfterBytes);
  if (o.closeCode !== undefined) {
    plan.close = { code: o.closeCode, ...trigger(o.closeAfterMs, o.closeAfterBytes), ...(o.retryAfter !== undefined ? { retryAfter: o.retryAfter } : {}) };
  } else if (o.closeAfterMs !== undefined || o.closeAfterBytes !== undefined) {
    throw new InvalidArgumentError('--close-after-ms and --close-after-bytes need --close-code');
  }
  if (o.stallMs !== undefined) plan.stall = { forMs: o.stallMs, ...trigger(o.stallAfterMs, o.stallAfterBytes) };
  if (o.delayMs !== undefined) plan.delayMs = o.delayMs;
  if (o.processRate !== undefined) plan.processRate = o.processRate;
  if (o.faultTimes !== undefined) plan.times = o.faultTimes;

  const options: EmulatorOptions = {
    port: o.port,
    host: o.host,
    engine,
    idleTimeoutMs: o.idleTimeoutMs,
    urlFaults: o.urlFaults,
    ffmpeg: o.ffmpeg === false ? false : (o.ffmpeg as string),
  };
  if (o.serverTime) options.serverTime = true;
  if (o.apiKey) options.apiKeys = o.apiKey;
  if (o.maxSessionSeconds !== undefined) options.maxSessionSeconds = o.maxSessionSeconds;
  if (Object.keys(plan).some((k) => k !== 'times')) options.faults = validateFaultPlan(plan, 'fault flags');
  if (o.batchStatuses) options.batchFaults = { statuses: o.batchStatuses, ...(o.retryAfter !== undefined ? { retryAfter: o.retryAfter } : {}) };
  return { options, json: o.json === true };
}
