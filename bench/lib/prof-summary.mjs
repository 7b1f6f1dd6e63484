// Summarises a .cpuprofile: self time by function (top N), and inclusive time of named functions.
//   node lib/prof-summary.mjs file.cpuprofile [N]
import { readFileSync } from 'node:fs';
const [file, nArg] = process.argv.slice(2);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
let total = 0;
for (const [id, t] of dt) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + t);
  total += t;
}
const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg ?? 30));
console.log(`total ${(total / 1000).toFixed(0)} ms`);
for (const [k, t] of top) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${(t / 1000).toFixed(1).padStart(8)} ms  ${k}`);
