/**
 * The scenario's audio, made by the emulator's fixture generator. Node only
 * (the emulator package imports `node:*`): the runner and the browser tests'
 * global setup call it and hand the bytes to the scenario.
 *
 * @module
 */
import { dtmfWav } from '@stt-stream/emulator';
import type { ScenarioAudio } from './scenario.ts';

/**
 * The two WAV files of {@link ScenarioAudio}, byte for byte the same on
 * every call.
 *
 * @example
 * ```ts
 * const audio = scenarioAudio();
 * ```
 */
export function scenarioAudio(): ScenarioAudio {
  return {
    keys: dtmfWav('1234 5678 90*#', { sampleRate: 44100, channels: 2 }).wav,
    // Utterance 1 ends at 0.7 s, utterance 2 starts at 2.5 s: the faults fire at 2.0 s, in between.
    utterances: dtmfWav('123 456', { breakMs: 1800 }).wav,
  };
}
