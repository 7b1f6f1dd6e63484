// The one bundle measurer of the workspace, shared by this package's
// `bundle-size.mjs`, `bench/size-check.mjs` (CI) and `bench/weight.mjs`
// (row 6): esbuild bundles an entry for platform `browser` (no Node
// built-ins, no polyfills: an import of `node:*` or a Node-only package fails
// the build), ESM, es2022, minified, every dependency included, and the
// result is gzipped at level 9. Our packages are bundled from their sources
// (the `source` condition: what the next publish ships), not a possibly
// stale dist.
import { analyzeMetafile, build } from 'esbuild';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

/** A live-captions page: what the size check of bench/size-check.mjs measures. */
export const LIVE_CAPTIONS_ENTRY = `export { microphone, createTranscriber } from '@stt-stream/browser';`;

/**
 * Where an input file of the bundle comes from: an npm package name, our
 * `@stt-stream/<dir>` for workspace sources, else the path itself.
 */
export function packageOf(path) {
  const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m) return m[1];
  const ours = /packages\/([^/]+)\//.exec(path);
  return ours ? `@stt-stream/${ours[1]}` : path;
}

/**
 * Bundles `contents` (TypeScript, resolved from `resolveDir`) and measures it.
 * Rejects with esbuild's error when the entry does not bundle for the browser.
 *
 * @returns `{ label, minified, gzipped, lazyMinified, lazy, byPackage, byFile, analysis? }`:
 *   sizes in bytes; `lazy` is one row per chunk loaded on demand,
 *   `{ name, minified, gzipped, files }` (`name` the module `import()`ed, as
 *   `core: transcriber/speech-chunk.ts`; `files` its input files), `lazyMinified` their sum;
 *   `byPackage` and `byFile` are minified bytes per package and per input
 *   file of the entry (paths relative to `resolveDir`); `analysis` is
 *   esbuild's `analyzeMetafile` text when `analyze` is set.
 */
export async function bundleSize(contents, { resolveDir, label = 'entry', external = [], analyze = false }) {
  // Split as the bundlers users have do (Vite, Rollup): what is loaded only
  // on demand (`import()`: the resampler, when the input is not at the wire
  // rate; the voice activity detector, with `voiceActivity`) is a chunk of its
  // own, reported in `lazy`, not part of the entry.
  const result = await build({
    stdin: { contents, resolveDir, sourcefile: `${label}.ts`, loader: 'ts' },
    bundle: true,
    splitting: true,
    outdir: resolve(resolveDir, '.measure-out'),
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    conditions: ['source'],
    metafile: true,
    absWorkingDir: resolveDir,
    external,
    logLevel: 'silent',
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => path.endsWith('.js'));
  const [entryPath, entryMeta] = outputs.find(([, o]) => o.entryPoint !== undefined);
  const file = (path) => result.outputFiles.find((f) => f.path === resolve(resolveDir, path));
  const code = file(entryPath).contents;
  // Chunks the entry imports statically load with it; the rest loads on demand.
  const eager = new Set([entryPath]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const path of eager) {
      for (const imp of result.metafile.outputs[path].imports) {
        if (imp.kind === 'import-statement' && !imp.external && result.metafile.outputs[imp.path] && !eager.has(imp.path)) {
          eager.add(imp.path);
          grew = true;
        }
      }
    }
  }
  const eagerBytes = concat([...eager].map((path) => file(path).contents));
  // Each chunk loaded on demand (an `import()` target), with the chunks only it imports that the entry
  // has not loaded: what a page fetches the first time it uses it.
  const lazy = [];
  for (const [path, meta] of outputs) {
    if (eager.has(path) || meta.entryPoint === undefined) continue;
    const own = new Set([path]);
    for (const p of own) {
      for (const imp of result.metafile.outputs[p].imports) {
        if (imp.kind === 'import-statement' && !imp.external && !eager.has(imp.path) && result.metafile.outputs[imp.path]) own.add(imp.path);
      }
    }
    const bytes = concat([...own].map((p) => file(p).contents));
    const files = [...own].flatMap((p) => Object.keys(result.metafile.outputs[p].inputs));
    lazy.push({ name: chunkName(resolve(resolveDir, meta.entryPoint)), minified: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength, files });
  }
  const lazyMinified = outputs.filter(([path]) => !eager.has(path)).reduce((n, [path]) => n + file(path).contents.byteLength, 0);
  const inputs = {};
  for (const path of eager) {
    for (const [relative, info] of Object.entries(result.metafile.outputs[path].inputs)) inputs[relative] = info;
  }
  void entryMeta;
  const byPackage = {};
  const byFile = {};
  for (const [relative, { bytesInOutput }] of Object.entries(inputs)) {
    const key = packageOf(resolve(resolveDir, relative));
    byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
    if (bytesInOutput > 0) byFile[relative] = bytesInOutput;
  }
  void code;
  const out = { label, minified: eagerBytes.byteLength, gzipped: gzipSync(eagerBytes, { level: 9 }).byteLength, lazyMinified, lazy, byPackage, byFile };
  if (analyze) out.analysis = await analyzeMetafile(result.metafile);
  return out;
}

/** The byte arrays one after the other. */
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * The name of a chunk loaded on demand, from the module it is made of: ours
 * as the package and the file under its `src` (`…/packages/core/src/transcriber/speech-chunk.ts`
 * → `core: transcriber/speech-chunk.ts`; not an import path, most such modules
 * are not exports), anything else as its package.
 */
export function chunkName(path) {
  const ours = /packages\/([^/]+)\/src\/(.+)$/.exec(path);
  return ours ? `${ours[1]}: ${ours[2]}` : packageOf(path);
}

/** What makes a page load each chunk of ours that loads on demand. */
export const LOADED_WHEN = {
  'core: transcriber/speech-chunk.ts': 'the speech filter and detector of `voiceActivity`, when a transcriber with it starts',
  'core: audio/resampler.ts': 'when the input is not at the wire rate',
};

/**
 * Prints the chunks of a measured entry that load on demand, largest first,
 * one line each with what loads it, e.g.
 * `core: transcriber/speech-chunk.ts  9.91 KB min  3.68 KB min+gzip  (10151 B, 3768 B): the speech filter …`.
 */
export function printLazy(lazy, indent = '    ') {
  for (const c of [...lazy].sort((a, b) => b.gzipped - a.gzipped)) {
    const when = LOADED_WHEN[c.name] ? `: ${LOADED_WHEN[c.name]}` : '';
    console.log(`${indent}${c.name.padEnd(34)} ${kb(c.minified).padStart(10)} min  ${kb(c.gzipped).padStart(10)} min+gzip  (${c.minified} B, ${c.gzipped} B)${when}`);
  }
}

/**
 * Why a measured entry that offers `voiceActivity` fails the rule that its
 * detector and speech filter load on demand, or `null`: no file of
 * `@stt-stream/core/vad` (nor the session's speech filter) in the entry
 * itself, and a chunk of their own.
 */
export function detectorNotOnDemand(result) {
  // byFile's paths are relative to where it was measured from (`../core/src/vad/…`, `../packages/core/src/vad/…`).
  const inEntry = Object.keys(result.byFile).filter((f) => /(?:^|\/)core\/src\/(?:vad(?:\/|\.ts$)|session\/speech\.ts$)/.test(f.replace(/\\/g, '/')));
  if (inEntry.length > 0) return `the voice activity detector is loaded with the entry (${inEntry.join(', ')}), not on demand: find the static import that pulls it in`;
  if (!result.lazy.some((c) => c.name === 'core: transcriber/speech-chunk.ts')) return 'no chunk of the speech filter (transcriber/speech-chunk.ts): the transcriber no longer loads it with import()';
  return null;
}

/** Bytes as KiB with two decimals, e.g. `17.10 KB`. */
export const kb = (n) => `${(n / 1024).toFixed(2)} KB`;

/** Prints esbuild's errors for an entry that does not bundle, prefixed with the tool's name. */
export function reportBuildFailure(tool, err) {
  for (const e of err.errors ?? [err]) console.error(`${tool}: ${e.text ?? e}${e.location ? ` (${e.location.file}:${e.location.line})` : ''}`);
  console.error(`${tool}: FAILED: the browser entry does not bundle for platform browser`);
}

/** Prints `[name, bytes]` rows, largest first. */
export function printBreakdown(rows, indent = '    ') {
  for (const [name, bytes] of Object.entries(rows).sort((a, b) => b[1] - a[1])) {
    if (bytes > 0) console.log(`${indent}${name.padEnd(48)} ${String(bytes).padStart(7)} B`);
  }
}

/** The `--budget <bytes>` argument, or `fallback`. */
export function budgetArg(args, fallback) {
  const at = args.indexOf('--budget');
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`--budget: expected a number of bytes, got ${args[at + 1]}`);
  return value;
}
