#!/usr/bin/env node
// Runs examples/deno and examples/bun as their READMEs do (without the build
// step: run after `pnpm build`), offline against the in-process emulator, and
// checks that they print the demo file's finals.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bunBin, denoBin, root, runtimeEnv } from './runtimes.mjs';

const expected = JSON.parse(readFileSync(join(root, 'examples/audio/dtmf-demo.json'), 'utf8'));
const env = { ...runtimeEnv };
for (const name of ['STT_STREAM_API_KEY', 'LLM_STATS_API_KEY', 'STT_STREAM_URL', 'STT_STREAM_MODEL']) delete env[name];

const runs = [
  // The Deno example type-checks against Deno's own types (tsc checks the Bun one: conformance/tsconfig.json).
  { name: 'deno check examples/deno', cmd: denoBin(), args: ['check', 'main.ts'], cwd: 'examples/deno', check: true },
  { name: 'examples/deno', cmd: denoBin(), args: ['run', '--allow-net', '--allow-read', '--allow-env', '--cached-only', 'main.ts'], cwd: 'examples/deno' },
  { name: 'examples/bun', cmd: bunBin(), args: ['--no-install', 'main.ts'], cwd: 'examples/bun' },
  // A relative path resolves against where the user ran the command: `pnpm --filter … start <path>`
  // from the root runs the example in its own folder with INIT_CWD set to the root.
  {
    name: 'examples/deno <path relative to where pnpm ran>',
    cmd: denoBin(),
    args: ['run', '--allow-net', '--allow-read', '--allow-env', '--cached-only', 'main.ts', 'examples/audio/dtmf-demo.wav'],
    cwd: 'examples/deno',
    initCwd: root,
  },
  {
    name: 'examples/bun <path relative to where pnpm ran>',
    cmd: bunBin(),
    args: ['--no-install', 'main.ts', 'examples/audio/dtmf-demo.wav'],
    cwd: 'examples/bun',
    initCwd: root,
  },
];

function run({ cmd, args, cwd, initCwd }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: join(root, cwd), env: { ...env, INIT_CWD: initCwd }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (out += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out });
    });
    child.on('error', (err) => resolve({ status: null, out: err.message }));
  });
}

const texts = expected.utterances.map((u) => u.text);
let failed = 0;
for (const r of runs) {
  const t0 = Date.now();
  const { status, out } = r.cmd ? await run(r) : { status: null, out: 'runtime not installed' };
  const finals = [...out.matchAll(/^\[[^\]]+\]\s+(.+)$/gm)].map((m) => m[1]);
  const ok = status === 0 && (r.check || JSON.stringify(finals) === JSON.stringify(texts));
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${r.name} (${Date.now() - t0} ms)`);
  if (!ok) {
    failed++;
    console.log(`  expected finals ${JSON.stringify(texts)}, got ${JSON.stringify(finals)} (exit ${status})\n${out.replace(/^/gm, '  | ')}`);
  }
}
process.exit(failed === 0 ? 0 : 1);

