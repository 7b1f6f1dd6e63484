// Summarises a sampled allocation profile (BENCH_HEAP_PROF of
// concurrency-client.mjs): bytes allocated per function (self) and per
// call path, largest first.
//   node lib/heap-summary.mjs file.heapprofile [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const { head } = JSON.parse(readFileSync(file, 'utf8'));
const bySelf = new Map();
const byPath = new Map();
let total = 0;
const name = (cf) => `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*\//, '')}:${cf.lineNumber + 1}`;
const walk = (node, path) => {
  const here = [...path, name(node.callFrame)];
  if (node.selfSize > 0) {
    total += node.selfSize;
    const k = here.at(-1);
    bySelf.set(k, (bySelf.get(k) ?? 0) + node.selfSize);
    const p = here.slice(-4).join(' < ');
    byPath.set(p, (byPath.get(p) ?? 0) + node.selfSize);
  }
  for (const c of node.children) walk(c, here);
};
walk(head, []);
const show = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${(v / 1048576).toFixed(1).padStart(8)} MiB  ${k}`).join('\n');
console.log(`total sampled: ${(total / 1048576).toFixed(1)} MiB\n\nby function:\n${show(bySelf)}\n\nby path (innermost first… outermost last, reversed):\n${show(byPath)}`);
