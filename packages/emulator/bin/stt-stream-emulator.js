#!/usr/bin/env node
// The `stt-stream-emulator` executable. The program is built into
// dist/cli.js; this file is there before any build, so that installing a
// checkout of the repository can link the command (and says what to do when
// dist/ is missing).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('stt-stream-emulator: the emulator is not built (dist/cli.js is missing): run `npx -y pnpm@10 build` at the root of the repository\n');
  process.exit(1);
}
await import(cli.href);
