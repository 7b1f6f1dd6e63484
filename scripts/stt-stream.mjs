#!/usr/bin/env node
// The `stt-stream` CLI from a checkout of the repository, in one command:
// builds the packages first when a source changed (scripts/build-if-changed.mjs),
// then runs packages/node's CLI with the arguments given.
//
//   node scripts/stt-stream.mjs transcribe call.wav
//   npx -y pnpm@10 -s stt-stream transcribe call.wav     (the root's `stt-stream` script)
//
// Paths are taken from the directory the command was run in (pnpm runs a
// root script at the root and says where it was started in INIT_CWD).
import { ensureBuilt } from './build-if-changed.mjs';

ensureBuilt();
if (process.env.npm_lifecycle_event === 'stt-stream' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
await import('../packages/node/dist/cli.js');
