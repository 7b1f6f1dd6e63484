#!/usr/bin/env node
// Minifies the capture worklet (src/pcm-capture.worklet.js, kept readable)
// into the `PCM_CAPTURE_WORKLET_SOURCE` literal of src/pcm-capture-worklet.ts,
// so that every page that loads the microphone ships the short text. The
// processor's name is not repeated in the worklet: `PCM_CAPTURE_PROCESSOR`
// there becomes `${PCM_CAPTURE_PROCESSOR}` in the template literal.
//
//   node packages/browser/scripts/build-worklet.mjs           rewrite the literal
//   node packages/browser/scripts/build-worklet.mjs --check   exit 1 if it is stale (CI)
import { transform } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

const worklet = new URL('../src/pcm-capture.worklet.js', import.meta.url);
const module = new URL('../src/pcm-capture-worklet.ts', import.meta.url);
const PLACEHOLDER = '__PCM_CAPTURE_PROCESSOR__';
const LITERAL = /^export const PCM_CAPTURE_WORKLET_SOURCE = `(?:[^`\\]|\\.)*`;$/m;

const { code } = await transform(readFileSync(worklet, 'utf8'), {
  loader: 'js',
  // The AudioWorkletGlobalScope of every browser with AudioWorklet runs ES2017.
  target: 'es2017',
  minify: true,
  legalComments: 'none',
  mangleProps: /^_/,
  define: { PCM_CAPTURE_PROCESSOR: JSON.stringify(PLACEHOLDER) },
});
if (!code.includes(`"${PLACEHOLDER}"`)) throw new Error('build-worklet: the worklet no longer registers PCM_CAPTURE_PROCESSOR');
const text = code
  .trimEnd()
  .replace(/[\\`]|\$\{/g, (s) => `\\${s}`)
  .replace(`"${PLACEHOLDER}"`, '"${PCM_CAPTURE_PROCESSOR}"');
const line = `export const PCM_CAPTURE_WORKLET_SOURCE = \`${text}\`;`;

const source = readFileSync(module, 'utf8');
if (!LITERAL.test(source)) throw new Error('build-worklet: PCM_CAPTURE_WORKLET_SOURCE is not a one-line template literal in pcm-capture-worklet.ts');
const updated = source.replace(LITERAL, () => line);
if (process.argv.includes('--check')) {
  if (updated !== source) {
    console.error('build-worklet: FAILED: PCM_CAPTURE_WORKLET_SOURCE is stale; run node packages/browser/scripts/build-worklet.mjs');
    process.exit(1);
  }
  console.log(`build-worklet: ok (${text.length} characters)`);
} else {
  writeFileSync(module, updated);
  console.log(`build-worklet: wrote PCM_CAPTURE_WORKLET_SOURCE (${text.length} characters)`);
}
