#!/usr/bin/env node
// Bundle check for @stt-stream/browser (measured by ./measure-bundle.mjs,
// shared with bench/size-check.mjs and bench/weight.mjs: esbuild, platform
// browser, minified, all dependencies, gzip -9). Prints the min+gzip size of
// the whole entry and fails over the budget. Also measures what a
// live-captions page imports, a page that imports only `blobSource`
// (tree-shaking: it must stay small), and this package's own code without
// core; and what loads on demand, each chunk with its size (the voice
// activity detector must be one: a failure otherwise). `--analyze` adds the
// minified bytes of each input file.
//
//   node packages/browser/scripts/bundle-size.mjs [--budget <bytes>] [--json] [--analyze]
import { fileURLToPath } from 'node:url';
import { budgetArg, bundleSize, detectorNotOnDemand, kb, printBreakdown, printLazy, reportBuildFailure } from './measure-bundle.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
// The budget for the whole entry (everything it exports, core included, so
// also the batch client and the WAV decoder), min+gzip: the measured size
// plus about 1.5 %, so that growth fails CI. Lower it when the entry shrinks. What loads on demand (the
// resampler, the voice activity detector) is listed apart.
const BUDGET = budgetArg(args, 34_900); // 34,379 B measured when it was set (34,544 B on 2026-12-08)
const json = args.includes('--json');
const analyze = args.includes('--analyze');

const measure = (label, contents, external) => bundleSize(contents, { resolveDir: here, label, external, analyze });
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
  reportBuildFailure('bundle-size', err);
  process.exit(1);
}

if (json) console.log(JSON.stringify({ budget: BUDGET, full, others }, null, 2));
else {
  console.log(`@stt-stream/browser, platform browser, minified:`);
  for (const r of [full, ...others]) {
    console.log(`  ${r.label.padEnd(18)} ${kb(r.minified).padStart(10)} min  ${kb(r.gzipped).padStart(10)} min+gzip  (${r.minified} B, ${r.gzipped} B)`);
  }
  console.log('  by package (minified bytes in the whole entry):');
  printBreakdown(full.byPackage);
  console.log('  loaded on demand, each a chunk of its own (in none of the figures above):');
  printLazy(full.lazy);
  if (analyze) {
    for (const r of [full, others[0]]) {
      console.log(`  by input file (minified bytes), ${r.label}:`);
      printBreakdown(r.byFile);
    }
  }
}
const shaken = others.find((r) => r.label === 'blobSource only');
if (shaken.byPackage['p-retry'] || shaken.byPackage.eventemitter3) {
  console.error('bundle-size: FAILED: importing only blobSource pulls in the transcriber (p-retry, eventemitter3): tree-shaking is broken');
  process.exit(1);
}
for (const r of [full, others[0]]) {
  const detector = detectorNotOnDemand(r);
  if (detector) {
    console.error(`bundle-size: FAILED: ${r.label}: ${detector}`);
    process.exit(1);
  }
}
if (full.gzipped > BUDGET) {
  console.error(`bundle-size: FAILED: ${kb(full.gzipped)} min+gzip is over the budget of ${kb(BUDGET)}`);
  process.exit(1);
}
console.log(`bundle-size: ok (${kb(full.gzipped)} of ${kb(BUDGET)} budget)`);
