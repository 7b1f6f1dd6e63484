#!/usr/bin/env node
// CI size check (issue 8): the browser entry a live-captions page imports
// (`microphone` + `createTranscriber` from @stt-stream/browser, everything it
// pulls in, core and dependencies included), bundled by esbuild for the
// browser, minified and gzipped, must stay within the budget.
//
//   node bench/size-check.mjs [--budget <bytes>] [--json]
// Exits 1 over the budget (or when the entry does not bundle for the browser).
import { bundleSize } from './lib/bundle.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--budget');
const BUDGET = at >= 0 ? Number(args[at + 1]) : 6 * 1024; // issue 8: ≤ 6 KB min+gzip
const entry = `export { microphone, createTranscriber } from '@stt-stream/browser';`;

let r;
try {
  r = await bundleSize(entry, { label: 'size-check' });
} catch (err) {
  for (const e of err.errors ?? [err]) console.error(`size-check: ${e.text ?? e}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`);
  console.error('size-check: FAILED: the browser entry does not bundle for platform browser');
  process.exit(1);
}
if (args.includes('--json')) console.log(JSON.stringify({ budget: BUDGET, ...r }));
const kb = (n) => `${(n / 1024).toFixed(2)} KB`;
console.log(`size-check: microphone + createTranscriber: ${kb(r.minified)} min, ${kb(r.gzipped)} min+gzip (budget ${kb(BUDGET)})`);
for (const [name, bytes] of Object.entries(r.byPackage).sort((a, b) => b[1] - a[1])) console.log(`  ${name.padEnd(22)} ${String(bytes).padStart(7)} B minified`);
if (r.gzipped > BUDGET) {
  console.error(`size-check: FAILED: ${kb(r.gzipped)} min+gzip is over the budget of ${kb(BUDGET)}`);
  process.exit(1);
}
console.log('size-check: ok');
