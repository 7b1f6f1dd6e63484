// Paths shared by the root vitest config (which launches Chromium with the
// fake microphone file) and the browser project's global setup (which writes
// that file before Chromium starts). Node-side only.
import { fileURLToPath } from 'node:url';

/** Where browser test artifacts go (screenshots, generated fixtures). */
export const testOutputDir = fileURLToPath(new URL('../../../test-output/browser/', import.meta.url));

/** The WAV Chromium plays as its fake microphone (`--use-file-for-fake-audio-capture`). */
export const fakeMicWavPath = `${testOutputDir}fake-mic.wav`;

/** The DTMF keys in the fake microphone file (the emulator hears `one two three four`). */
export const fakeMicKeys = '1234';

/** Chromium flags for a headless run with a fake, file-fed microphone that plays once. */
export function chromiumArgs(micWav: string = fakeMicWavPath): string[] {
  return [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${micWav}%noloop`,
  ];
}
