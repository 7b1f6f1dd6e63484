#!/usr/bin/env node
// The conformance run: the same scenario (scenario.ts) under every runtime
// here, against one emulator, and every output byte-identical to
// expected.jsonl (and so to each other). Prints a diff and exits 1 on a
// mismatch.
//
//   node conformance/run.mjs                 # Node (ws; native WebSocket too on 22+), Deno, Bun
//   node conformance/run.mjs --only=deno,bun # a subset (node, node-native, deno, bun)
//   node conformance/run.mjs --update        # rewrite expected.jsonl from Node 20's output
//   node conformance/run.mjs --repeat=5      # run each runtime 5 times (flakiness hunt)
//
// Needs the packages built (`pnpm build`): every runtime imports their dist/
// through the package exports, as users do. Chromium runs the same scenario
// in the browser tests (packages/browser), against the same expected.jsonl.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bunBin, denoBin, denoRunFlags, nodeBins, root, runtimeEnv, versionOf } from './runtimes.mjs';
import { diffLines } from './diff.mjs';

register('./ts-loader.mjs', import.meta.url);

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')).map(([k, v]) => [k, v ?? 'true']));
const only = args.has('only') ? new Set(args.get('only').split(',')) : null;
const repeat = Number(args.get('repeat') ?? 1);
const update = args.has('update');
const RUN_TIMEOUT_MS = 60_000;
const API_KEY = 'conformance-key';
const expectedPath = join(root, 'conformance/expected.jsonl');

for (const pkg of ['core', 'node', 'emulator']) {
  if (!existsSync(join(root, `packages/${pkg}/dist/index.js`))) {
    console.error(`packages/${pkg}/dist is missing: run \`pnpm build\` first`);
    process.exit(1);
  }
}

const started = Date.now();
const { scenarioAudio } = await import('./fixtures.ts');
const { startEmulator } = await import('@stt-stream/emulator');

// ---- what to run ----------------------------------------------------------------

const runs = [];
for (const n of nodeBins()) {
  const nodeArgs = ['--import', './conformance/ts-hooks.mjs', 'conformance/entry-node.ts'];
  runs.push({ name: `node${n.major}`, kind: 'node', version: `Node ${n.version} (ws)`, cmd: n.bin, args: nodeArgs, transport: 'ws' });
  if (n.major >= 22) {
    runs.push({ name: `node${n.major}-native`, kind: 'node-native', version: `Node ${n.version} (global WebSocket)`, cmd: n.bin, args: nodeArgs, transport: 'native' });
  }
}
const deno = denoBin();
if (deno) runs.push({ name: 'deno', kind: 'deno', version: `Deno ${versionOf(deno)?.split(' ')[1]}`, cmd: deno, args: [...denoRunFlags, 'conformance/entry-deno.ts'] });
const bun = bunBin();
if (bun) runs.push({ name: 'bun', kind: 'bun', version: `Bun ${versionOf(bun)}`, cmd: bun, args: ['--no-install', 'conformance/entry-bun.ts'] });
const selected = runs.filter((r) => !only || only.has(r.kind) || only.has(r.name));
const missing = [];
if (!runs.some((r) => r.kind === 'node' && r.name === 'node20')) missing.push('Node 20');
if (!deno) missing.push('Deno (npm package `deno`)');
if (!bun) missing.push('Bun (npm package `bun`)');

// ---- run ----------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'stt-conformance-'));
const audio = scenarioAudio();
const audioPaths = { keys: join(tmp, 'keys.wav'), utterances: join(tmp, 'utterances.wav') };
writeFileSync(audioPaths.keys, audio.keys);
writeFileSync(audioPaths.utterances, audio.utterances);
const emulator = await startEmulator({ apiKeys: [API_KEY] });

function runOne(run, index) {
  const config = join(tmp, `${run.name.replace(/\W+/g, '-')}-${index}.json`);
  if (!run.typecheck) writeFileSync(
    config,
    JSON.stringify({
      url: emulator.url,
      httpUrl: emulator.httpUrl,
      apiKey: API_KEY,
      runId: `${run.name}-${index}-${process.pid}`,
      audio: audioPaths,
      transport: run.transport,
    }),
  );
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(run.cmd, run.typecheck ? run.args : [...run.args, config], { cwd: root, env: runtimeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (b) => stdout.push(b));
    child.stderr.on('data', (b) => stderr.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    const done = (status, error) => {
      clearTimeout(timer);
      resolve({
        ...run,
        index,
        status,
        error: error ?? (timedOut ? `did not finish within ${RUN_TIMEOUT_MS / 1000} s (a handle left open?)` : null),
        ms: Date.now() - t0,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    };
    child.on('error', (err) => done(null, err.message));
    child.on('close', (status) => done(status));
  });
}

// Type-check the conformance code meanwhile: the scenario must compile without Node's types.
const tsc = join(root, 'node_modules/.bin/tsc');
const typechecks = ['conformance/tsconfig.json', 'conformance/tsconfig.node.json'].map((project) =>
  runOne({ name: `tsc -p ${project}`, kind: 'tsc', version: 'TypeScript', cmd: tsc, args: ['-p', project], typecheck: true }, 0),
);

let results;
try {
  const jobs = [];
  for (let i = 0; i < repeat; i++) for (const run of selected) jobs.push(runOne(run, i));
  results = await Promise.all(jobs);
} finally {
  await emulator.close();
  rmSync(tmp, { recursive: true, force: true });
}

// ---- compare ------------------------------------------------------------------------

let failures = 0;
for (const t of await Promise.all(typechecks)) {
  if (t.status === 0) continue;
  failures++;
  console.log(`\n✗ ${t.name} failed:\n${(t.stdout + t.stderr).trim().replace(/^/gm, '  ')}`);
}

if (update) {
  const source = results.find((r) => r.name === 'node20' && r.status === 0) ?? results.find((r) => r.status === 0);
  if (!source) {
    console.error('No run succeeded: expected.jsonl not updated');
    process.exit(1);
  }
  writeFileSync(expectedPath, source.stdout);
  console.log(`expected.jsonl written from ${source.version} (${source.stdout.split('\n').length - 1} lines)`);
}
const expected = existsSync(expectedPath) ? readFileSync(expectedPath, 'utf8') : null;
if (expected === null) {
  console.error('conformance/expected.jsonl is missing: run `node conformance/run.mjs --update` and review it');
  process.exit(1);
}

const table = [];
for (const r of results) {
  const same = r.status === 0 && r.stdout === expected;
  table.push([same ? 'ok' : 'FAIL', r.name + (repeat > 1 ? `#${r.index}` : ''), r.version ?? '?', `${r.ms} ms`]);
  if (same) continue;
  failures++;
  console.log(`\n✗ ${r.name}${repeat > 1 ? ` (run ${r.index})` : ''}: ${r.version}`);
  if (r.error) console.log(`  ${r.error}`);
  if (r.status !== 0) console.log(`  exited with ${r.status}`);
  if (r.stdout !== expected) {
    console.log('  output differs from conformance/expected.jsonl (- expected, + actual):');
    console.log(diffLines(expected, r.stdout).replace(/^/gm, '  '));
  }
  if (r.stderr.trim()) console.log(`  stderr:\n${r.stderr.trim().replace(/^/gm, '    ')}`);
}
// All runtimes agreeing with each other but not with the golden file points at the golden file.
const outputs = new Set(results.filter((r) => r.status === 0).map((r) => r.stdout));
if (failures > 0 && outputs.size === 1 && results.every((r) => r.status === 0)) {
  console.log('\nEvery runtime printed the same output, which differs from expected.jsonl.');
  console.log('If the change is intended, run `node conformance/run.mjs --update` and review the diff.');
}

console.log('\nconformance:');
for (const row of table) console.log(`  ${row[0].padEnd(4)}  ${row[1].padEnd(16)} ${row[2].padEnd(44)} ${row[3]}`);
if (missing.length > 0) console.log(`  (not found here: ${missing.join(', ')})`);
const lines = expected.split('\n').length - 1;
console.log(`${failures === 0 ? 'identical' : `${failures} run(s) differ`}: ${results.length} run(s), ${lines} lines each, ${Date.now() - started} ms`);
process.exit(failures === 0 && results.length > 0 ? 0 : 1);
