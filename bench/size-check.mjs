#!/usr/bin/env node
// CI size check (issue 8): the browser entry a live-captions page imports
// (`microphone` + `createTranscriber` from @stt-stream/browser, everything it
// pulls in, core and dependencies included), bundled by esbuild for the
// browser, minified and gzipped (lib/bundle.mjs, the workspace's one
// measurer), must stay within the budget. What loads on demand is listed
// beside it, each chunk with its size and what loads it; among them the
// voice activity detector (`voiceActivity`), which must stay a chunk of its
// own, out of the entry (a failure otherwise). `--analyze` adds the minified
// bytes of each input file.
//
//   node bench/size-check.mjs [--budget <bytes>] [--json] [--analyze]
// Exits 1 over the budget (or when the entry does not bundle for the browser).
import { budgetArg, detectorNotOnDemand, kb, printBreakdown, printLazy, reportBuildFailure } from '../packages/browser/scripts/measure-bundle.mjs';
import { LIVE_CAPTIONS_ENTRY, bundleSize } from './lib/bundle.mjs';

const args = process.argv.slice(2);
const BUDGET = budgetArg(args, 6 * 1024); // issue 8: ≤ 6 KB min+gzip
const analyze = args.includes('--analyze');

let r;
try {
  r = await bundleSize(LIVE_CAPTIONS_ENTRY, { label: 'size-check', analyze });
} catch (err) {
  reportBuildFailure('size-check', err);
  process.exit(1);
}
if (args.includes('--json')) console.log(JSON.stringify({ budget: BUDGET, ...r }));
console.log(`size-check: microphone + createTranscriber: ${kb(r.minified)} min, ${kb(r.gzipped)} min+gzip (${r.minified} B, ${r.gzipped} B; budget ${kb(BUDGET)})`);
printBreakdown(r.byPackage, '  ');
console.log('  loaded on demand, each a chunk of its own (not in the figure above):');
printLazy(r.lazy);
if (analyze) {
  console.log('  by input file (minified bytes):');
  printBreakdown(r.byFile, '  ');
}
const detector = detectorNotOnDemand(r);
if (detector) {
  console.error(`size-check: FAILED: ${detector}`);
  process.exit(1);
}
if (r.gzipped > BUDGET) {
  console.error(`size-check: FAILED: ${kb(r.gzipped)} min+gzip is over the budget of ${kb(BUDGET)}`);
  process.exit(1);
}
console.log('size-check: ok');
