// Global setup of the `browser` vitest project. Runs in Node before Chromium
// starts: writes the fake microphone WAV Chromium is launched with (the
// emulator's DTMF fixture generator), makes the blob fixtures (a WAV and an
// Ogg/Opus made from it by ffmpeg), starts the emulator, starts a second one
// for the conformance scenario (configured as `conformance/run.mjs` configures
// its own), and provides what the in-browser tests need through `inject()`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dtmfWav, startEmulator } from '@stt-stream/emulator';
import type { TestProject } from 'vitest/node';
import { CONFORMANCE_API_KEY } from '../../../conformance/browser.ts';
import { scenarioAudio } from '../../../conformance/fixtures.ts';
import { fakeMicKeys, fakeMicWavPath, testOutputDir } from './fixture-paths.ts';
import './provided-context.ts';

/** The one credential the emulator accepts in these tests. */
export const TEST_TOKEN = 'test-token';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  mkdirSync(testOutputDir, { recursive: true });
  // The fake microphone: silence first (Chromium starts playing the file when
  // the capture opens, a little before the worklet is connected), then the
  // keys, then silence (the file plays once: `%noloop`).
  const mic = dtmfWav(fakeMicKeys, { sampleRate: 48_000, toneMs: 120, gapMs: 80, leadMs: 800, tailMs: 1200 });
  writeFileSync(fakeMicWavPath, mic.wav);

  const blob = dtmfWav('5678', { sampleRate: 16_000, toneMs: 120, gapMs: 80, leadMs: 200, tailMs: 600 });
  const wavPath = `${testOutputDir}blob.wav`;
  const oggPath = `${testOutputDir}blob.ogg`;
  writeFileSync(wavPath, blob.wav);
  let ogg = '';
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', wavPath, '-c:a', 'libopus', '-b:a', '64k', oggPath]);
    ogg = readFileSync(oggPath).toString('base64');
  } catch {
    ogg = ''; // the Ogg test says it skipped
  }

  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', apiKeys: [TEST_TOKEN] });
  // The conformance scenario's own emulator, as in `conformance/run.mjs`: its
  // URL fault plans and counters are not shared with the other tests.
  const conformance = await startEmulator({ apiKeys: [CONFORMANCE_API_KEY] });
  const audio = scenarioAudio();

  project.provide('emulatorUrl', emulator.url);
  project.provide('testToken', TEST_TOKEN);
  project.provide('blobWavBase64', Buffer.from(blob.wav).toString('base64'));
  project.provide('blobOggBase64', ogg);
  project.provide('blobWords', blob.tones.map((t) => t.word));
  project.provide('blobDuration', blob.duration);
  project.provide('micWords', mic.tones.map((t) => t.word));
  project.provide('conformanceUrl', conformance.url);
  project.provide('conformanceHttpUrl', conformance.httpUrl);
  project.provide('conformanceKeysBase64', Buffer.from(audio.keys).toString('base64'));
  project.provide('conformanceUtterancesBase64', Buffer.from(audio.utterances).toString('base64'));
  project.provide('conformanceExpected', readFileSync(new URL('../../../conformance/expected.jsonl', import.meta.url), 'utf8'));
  return async () => {
    await Promise.all([emulator.close(), conformance.close()]);
  };
}
