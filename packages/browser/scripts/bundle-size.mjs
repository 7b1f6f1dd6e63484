#!/usr/bin/env node
// Bundle check for @stt-stream/browser: esbuild bundles the browser entry for
// platform `browser` (no Node built-ins, no polyfills: an import of `node:*`
// or a Node-only package fails the build), minified; prints the min+gzip
// size and fails over the budget. Also measures what a live-captions page
// imports, a page that imports only `blobSource` (tree-shaking: it must stay
// small), and this package's own code without core.
//
//   node packages/browser/scripts/bundle-size.mjs [--budget <bytes>] [--json]
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const budgetArg = args.indexOf('--budget');
// The budget for the whole entry (everything it exports, core included),
// min+gzip. The target was 6 KB; the entry measured 23.6 KB when this was set
// (core's transcriber, resampler, batch client, WAV decoder, p-retry and
// eventemitter3 are about four fifths of it; this package's own code is about
// 4.5 KB), so the budget sits just above the real number: growth fails CI.
const BUDGET = budgetArg >= 0 ? Number(args[budgetArg + 1]) : 26 * 1024;
const json = args.includes('--json');

async function measure(label, contents, external = []) {
  const result = await build({
    stdin: { contents, resolveDir: here, sourcefile: `${label}.ts`, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    // Bundle the workspace sources, not a possibly stale dist.
    conditions: ['source'],
    metafile: true,
    absWorkingDir: here,
    external,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.entries(result.metafile.outputs)[0][1].inputs;
  const byPackage = {};
  for (const [relative, { bytesInOutput }] of Object.entries(inputs)) {
    const path = resolve(here, relative);
    const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1] : path.includes('packages/core/') ? '@stt-stream/core' : '@stt-stream/browser';
    byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
  }
  return { label, minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength, byPackage };
}

const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
let full;
let others;
try {
  full = await measure('entry', `export * from './src/index.ts';`);
  others = [
    // What a live-captions page imports.
    await measure('mic+transcriber', `export { microphone, createTranscriber } from './src/index.ts';`),
    // Tree-shaking: the transcriber, p-retry and eventemitter3 must fall away.
    await measure('blobSource only', `export { blobSource } from './src/index.ts';`),
    // This package's own code, core left out.
    await measure('own code', `export * from './src/index.ts';`, ['@stt-stream/core']),
  ];
} catch (err) {
  for (const e of err.errors ?? [err]) console.error(`bundle-size: ${e.text ?? e}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`);
  console.error('bundle-size: FAILED: the browser entry does not bundle for platform browser');
  process.exit(1);
}

if (json) console.log(JSON.stringify({ budget: BUDGET, full, others }, null, 2));
else {
  console.log(`@stt-stream/browser, platform browser, minified:`);
  for (const r of [full, ...others]) {
    console.log(`  ${r.label.padEnd(18)} ${kb(r.minified).padStart(10)} min  ${kb(r.gzipped).padStart(10)} min+gzip`);
  }
  console.log('  by package (minified bytes in the whole entry):');
  for (const [name, bytes] of Object.entries(full.byPackage).sort((a, b) => b[1] - a[1])) console.log(`    ${name.padEnd(24)} ${bytes}`);
}
const shaken = others.find((r) => r.label === 'blobSource only');
if (shaken.byPackage['p-retry'] || shaken.byPackage.eventemitter3) {
  console.error('bundle-size: FAILED: importing only blobSource pulls in the transcriber (p-retry, eventemitter3): tree-shaking is broken');
  process.exit(1);
}
if (full.gzipped > BUDGET) {
  console.error(`bundle-size: FAILED: ${kb(full.gzipped)} min+gzip is over the budget of ${kb(BUDGET)}`);
  process.exit(1);
}
console.log(`bundle-size: ok (${kb(full.gzipped)} of ${kb(BUDGET)} budget)`);
