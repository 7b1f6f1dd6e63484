// Runs the built `stt-stream` bin (packages/node/dist/cli.js, from `pnpm build`)
// as a real `node` process, as a user would; for the CLI tests.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built bin. */
export const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Fails with what to do when the bin has not been built. */
export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm --filter @stt-stream/node build\` first`);
}

/** How a run ended. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a run: PATH, then `env` (an `undefined` value removes the variable). */
export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const out: Record<string, string | undefined> = { PATH: process.env.PATH, ...env };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as NodeJS.ProcessEnv;
}

/** Runs `node dist/cli.js …args` to its end. */
export function runCli(args: string[], options: { env?: Record<string, string | undefined>; input?: Buffer; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: cliEnv(options.env), timeout: 60_000, maxBuffer: 1 << 26, ...(options.cwd ? { cwd: options.cwd } : {}) },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    // The bin may exit before it read everything (a refused upload): that is not the test's error.
    child.stdin!.on('error', () => {});
    if (options.input) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

/**
 * Runs `command` (a shell command line) in a pseudo-terminal with util-linux
 * `script`, so that stdout and stderr are TTYs; returns what the terminal
 * showed (both streams, with `\r\n` line ends).
 */
export function runInTerminal(command: string, env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('script', ['-qfec', command, '/dev/null'], { env: cliEnv({ TERM: 'xterm', ...env }), timeout: 60_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end();
  });
}

/** Starts the bin and returns the process (for tests that signal it). */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
}
