// Bundles the subjects under test from the workspace *sources* (the `source`
// export condition) into bench/.build/, so a bench measures the tree as it is,
// not a possibly stale or half-rebuilt dist/. `ws` stays external: our
// transport, the raw baseline and the peers' SDKs all load the same copy.
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));
export const buildDir = `${benchDir}.build/`;

const entries = {
  // What a Node client of the library imports.
  client: `export { createTranscriber, g711Decoder, decodeMulaw, WireConverter } from '@stt-stream/core'; export { Resampler } from '@stt-stream/core/resampler';
           export { ReplayBuffer } from '@stt-stream/core/internal';
           export { createWsTransport } from '@stt-stream/node';`,
  emulator: `export { startEmulator, withFault } from '@stt-stream/emulator';`,
  // Row 9: voice activity detection.
  vad: `export * from '@stt-stream/core/vad';`,
};

export async function buildSubjects() {
  mkdirSync(buildDir, { recursive: true });
  for (const [name, contents] of Object.entries(entries)) {
    await build({
      stdin: { contents, resolveDir: benchDir, sourcefile: `${name}.ts`, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['source'],
      outfile: `${buildDir}${name}.mjs`,
      sourcemap: true,
      external: ['ws', 'bufferutil', 'utf-8-validate'],
      alias: { 'isomorphic-ws': 'ws' },
      // CommonJS dependencies (busboy, …) call require() for Node built-ins.
      banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
      logLevel: 'error',
    });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildSubjects();
