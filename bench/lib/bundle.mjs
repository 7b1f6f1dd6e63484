// min+gzip of an entry, bundled by esbuild for the browser with every
// dependency: the workspace's one measurer (packages/browser/scripts/
// measure-bundle.mjs), resolving from bench/ so that peers' SDKs are found.
import { fileURLToPath } from 'node:url';
import { LIVE_CAPTIONS_ENTRY, bundleSize as measure } from '../../packages/browser/scripts/measure-bundle.mjs';

const benchDir = fileURLToPath(new URL('..', import.meta.url));

export { LIVE_CAPTIONS_ENTRY };

export function bundleSize(contents, { label = 'entry', analyze = false } = {}) {
  return measure(contents, { resolveDir: benchDir, label, analyze });
}

/** What a live-captions page imports from each client. */
export const browserEntries = {
  'stt-stream (microphone + createTranscriber)': LIVE_CAPTIONS_ENTRY,
  'stt-stream (whole browser entry)': `export * from '@stt-stream/browser';`,
  '@deepgram/sdk (listen v1)': `import { DeepgramClient } from '@deepgram/sdk';
    export const listen = (apiKey, args) => new DeepgramClient({ apiKey }).listen.v1.connect(args);`,
  'assemblyai/streaming': `export { StreamingTranscriber } from 'assemblyai/streaming';`,
  '@speechmatics/real-time-client': `export { RealtimeClient } from '@speechmatics/real-time-client';`,
  '@soniox/speech-to-text-web': `export { SonioxClient } from '@soniox/speech-to-text-web';`,
};
