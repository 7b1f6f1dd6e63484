/**
 * What a transcriber with `voiceActivity` loads on demand, in a chunk of its
 * own: the speech filter of the session (`session/speech.ts`) with the
 * detector of `@stt-stream/core/vad`. A page that never turns the option on
 * never loads either.
 *
 * @module
 */
import { SpeechFilter, type SpeechFilterFactory } from '../session/speech.ts';
import type { VoiceActivityDetector } from '../vad/detector.ts';
import type { SpeechGateOptions } from '../vad/speech-gate.ts';
import { VoiceActivity } from '../vad/voice-activity.ts';

/** The detector's settings, as the `voiceActivity` option resolved them. */
export interface SpeechChunkOptions {
  sampleRate: number;
  gate: Omit<SpeechGateOptions, 'sampleRate'>;
  detector: ((channel: number) => VoiceActivityDetector) | undefined;
}

/** The session's speech filter factory: one `VoiceActivity` (a detector and a gate per channel) behind a `SpeechFilter`. */
export function speechFilters(o: SpeechChunkOptions): SpeechFilterFactory {
  return (channels, settings) =>
    new SpeechFilter(channels, settings, (onEvent) =>
      new VoiceActivity({
        sampleRate: o.sampleRate,
        channels: channels as 1 | 2,
        ...o.gate,
        ...(o.detector ? { createDetector: o.detector } : {}),
        onEvent,
      }),
    );
}
