// A subprocess whose stdout we read with back-pressure (one chunk per read),
// whose stderr we keep the tail of for error messages, and that we kill on
// cancel. Not public.
import { spawn, type ChildProcess } from 'node:child_process';

/** The most of a subprocess's stderr we keep (its end holds the reason it failed). */
const STDERR_TAIL = 8 * 1024;

/** How a subprocess ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (`ENOENT`, `EACCES`). */
  error?: NodeJS.ErrnoException;
}

/** A running subprocess, read with back-pressure. */
export interface Subprocess {
  readonly child: ChildProcess;
  /** The next stdout chunk, or `null` at its end. Reading nothing leaves the process blocked on the pipe. */
  read(): Promise<Buffer | null>;
  /** Settles when the process has exited and its pipes are closed. */
  readonly exited: Promise<Exit>;
  /** The last few KB of stderr, trimmed. */
  stderr(): string;
  /** Kills the process (SIGKILL) if it still runs, and stops reading. */
  kill(): void;
}

/**
 * Starts `command`. With `input`, its bytes are piped to the process's stdin
 * (an EPIPE when the process exits early is not an error: its exit says why).
 */
export function startSubprocess(command: string, args: string[], input?: AsyncIterable<Uint8Array>): Subprocess {
  const child = spawn(command, args, { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], windowsHide: true });
  if (input) {
    const stdin = child.stdin!;
    stdin.on('error', () => {});
    void (async () => {
      try {
        for await (const chunk of input) {
          if (!stdin.write(chunk)) await new Promise<void>((resolve) => {
            const done = () => {
              stdin.off('drain', done);
              stdin.off('close', done);
              resolve();
            };
            stdin.on('drain', done);
            stdin.on('close', done);
          });
          if (stdin.destroyed) break;
        }
      } catch {
        // The input failed: end ffmpeg's input; what it decoded so far stands.
      }
      stdin.end();
    })();
  }
  let tail = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    tail = (tail + s).slice(-STDERR_TAIL);
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      // A process that never started emits 'close' too, but not always after 'error' in every Node version.
      if (child.pid === undefined) resolve({ code: null, signal: null, error: err });
    });
    child.once('close', (code, signal) => resolve(spawnError ? { code, signal, error: spawnError } : { code, signal }));
  });
  const iterator = child.stdout![Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let done = false;
  return {
    child,
    exited,
    async read() {
      if (done) return null;
      const next = await iterator.next();
      if (next.done) {
        done = true;
        return null;
      }
      return next.value;
    },
    stderr: () => tail.trim(),
    kill() {
      done = true;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGKILL');
      child.stdout!.destroy();
      child.stderr!.destroy();
      child.stdin?.destroy();
    },
  };
}

/** The last non-empty line of a tool's stderr, for a one-line error message. */
export function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
