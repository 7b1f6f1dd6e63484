/**
 * Running the emulator from the command line: start, print the URLs, stop
 * on SIGINT or SIGTERM.
 *
 * @module
 */
import { CommanderError } from 'commander';
import { startEmulator, TRANSCRIBE_PATH, type Emulator } from './emulator.ts';
import { createCliProgram, parseCliArgs } from './cli-program.ts';

/**
 * Where the CLI writes and what stops it.
 *
 * @example Capture the output in a test
 * ```ts
 * let out = '';
 * const io: CliIo = { stdout: (t) => void (out += t), stderr: () => {}, onSignal: () => {} };
 * ```
 */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Registers a handler for SIGINT/SIGTERM. @defaultValue process signals */
  onSignal: (handler: (signal: string) => void) => void;
}

/**
 * A started CLI.
 *
 * @example Wait for the exit code
 * ```ts
 * const run: CliRun = await runCli(['--port', '0']);
 * process.exitCode = await run.exitCode;
 * ```
 */
export interface CliRun {
  /** Undefined when the arguments were bad or `--help` was asked. */
  emulator: Emulator | undefined;
  /** Resolves with the exit code once the emulator has stopped. */
  exitCode: Promise<number>;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onSignal: (handler) => {
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
  },
};

/**
 * Runs `stt-stream-emulator` with these arguments.
 *
 * @example Run it in-process
 * ```ts
 * const { emulator, exitCode } = await runCli(['--port', '0', '--api-key', 'k']);
 * ```
 */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<CliRun> {
  const program = createCliProgram()
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  let config;
  try {
    config = parseCliArgs(argv, program);
  } catch (err) {
    if (err instanceof CommanderError) return { emulator: undefined, exitCode: Promise.resolve(err.exitCode) };
    io.stderr(`stt-stream-emulator: ${(err as Error).message}\n`);
    return { emulator: undefined, exitCode: Promise.resolve(2) };
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator(config.options);
  } catch (err) {
    io.stderr(`stt-stream-emulator: cannot start: ${(err as Error).message}\n`);
    return { emulator: undefined, exitCode: Promise.resolve(1) };
  }
  if (config.json) io.stdout(`${JSON.stringify({ url: emulator.url, httpUrl: emulator.httpUrl })}\n`);
  else {
    io.stdout(
      `stt-stream-emulator listening\n` +
        `  streaming  ${emulator.url}\n` +
        `  batch      ${emulator.httpUrl}${TRANSCRIBE_PATH}\n` +
        `  engine     ${typeof config.options.engine === 'string' ? config.options.engine : 'custom'}${config.options.apiKeys ? `, ${config.options.apiKeys.length} API key(s)` : ', no API key needed'}\n` +
        (config.options.faults ? `  faults     ${JSON.stringify(config.options.faults)}\n` : ''),
    );
  }
  const exitCode = new Promise<number>((resolve) => {
    io.onSignal((signal) => {
      io.stderr(`stt-stream-emulator: ${signal}, stopping\n`);
      emulator.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    });
  });
  return { emulator, exitCode };
}
