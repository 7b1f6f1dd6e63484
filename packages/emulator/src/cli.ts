#!/usr/bin/env node
/**
 * The `stt-stream-emulator` executable: `stt-stream-emulator --help`.
 *
 * @module
 */
import { runCli } from './cli-run.ts';

const { exitCode } = await runCli(process.argv.slice(2));
process.exitCode = await exitCode;
