// min+gzip of an entry, bundled by esbuild for the browser with every dependency.
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { benchDir } from './build.mjs';

export async function bundleSize(contents, { label = 'entry' } = {}) {
  const result = await build({
    stdin: { contents, resolveDir: benchDir, sourcefile: `${label}.ts`, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    // Our packages are measured from their sources (what the next publish ships).
    conditions: ['source'],
    metafile: true,
    absWorkingDir: benchDir,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  const byPackage = {};
  for (const [relative, { bytesInOutput }] of Object.entries(inputs)) {
    const path = resolve(benchDir, relative);
    const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = m ? m[1] : /packages\/([^/]+)\//.test(path) ? `@stt-stream/${/packages\/([^/]+)\//.exec(path)[1]}` : path;
    byPackage[key] = (byPackage[key] ?? 0) + bytesInOutput;
  }
  return { minified: code.byteLength, gzipped: gzipSync(code, { level: 9 }).byteLength, byPackage };
}

/** What a live-captions page imports from each client. */
export const browserEntries = {
  'stt-stream (microphone + createTranscriber)': `export { microphone, createTranscriber } from '@stt-stream/browser';`,
  'stt-stream (whole browser entry)': `export * from '@stt-stream/browser';`,
  '@deepgram/sdk (listen v1)': `import { DeepgramClient } from '@deepgram/sdk';
    export const listen = (apiKey, args) => new DeepgramClient({ apiKey }).listen.v1.connect(args);`,
  'assemblyai/streaming': `export { StreamingTranscriber } from 'assemblyai/streaming';`,
  '@speechmatics/real-time-client': `export { RealtimeClient } from '@speechmatics/real-time-client';`,
  '@soniox/speech-to-text-web': `export { SonioxClient } from '@soniox/speech-to-text-web';`,
};
