#!/usr/bin/env node
// Core's unit tests under Deno or Bun (Node runs them in the main vitest run).
//
//   node conformance/core-tests.mjs deno   # vitest itself, run by Deno (from node_modules, offline)
//   node conformance/core-tests.mjs bun    # `bun test`: Bun's own runner (it maps `vitest` imports to bun:test)
//
// Both run every packages/core/src/**/*.test.ts: core has no node:* imports,
// its tests neither.
import { spawnSync } from 'node:child_process';
import { bunBin, denoBin, denoRunFlags, root, runtimeEnv } from './runtimes.mjs';

const runtime = process.argv[2];
const env = { ...runtimeEnv, STT_EXPECT_RUNTIME: runtime };
let cmd;
let args;
if (runtime === 'deno') {
  cmd = denoBin();
  args = [...denoRunFlags, 'node_modules/vitest/vitest.mjs', 'run', '--config', 'conformance/vitest.core.config.ts'];
} else if (runtime === 'bun') {
  cmd = bunBin();
  args = ['test', '--preload', './conformance/assert-runtime.ts', './packages/core/src'];
} else {
  console.error('usage: node conformance/core-tests.mjs deno|bun');
  process.exit(2);
}
if (!cmd) {
  console.error(`${runtime} is not installed (npm package \`${runtime}\`): run pnpm install`);
  process.exit(1);
}
console.log(`$ ${cmd} ${args.join(' ')}`);
const t0 = Date.now();
const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
console.log(`core tests on ${runtime}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${Date.now() - t0} ms`);
process.exit(r.status ?? 1);
