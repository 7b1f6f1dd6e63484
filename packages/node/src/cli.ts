#!/usr/bin/env node
/**
 * The `stt-stream` executable: runs {@link runCli} on the process's
 * arguments, streams and environment, and exits with its code.
 *
 * @module
 */
import { runCli } from './cli-program.ts';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  onInterrupt(handler) {
    let count = 0;
    const onSigint = () => {
      // A second Ctrl-C does not wait for the last finals; the handler hears it first (listen --stats prints its figures).
      handler();
      if (++count > 1) process.exit(130);
    };
    process.on('SIGINT', onSigint);
    return () => process.off('SIGINT', onSigint);
  },
});
process.exitCode = code;
// Handles left open (a keep-alive socket, a timer of a failed attempt) must not hold the exit.
setTimeout(() => process.exit(code), 200).unref();
