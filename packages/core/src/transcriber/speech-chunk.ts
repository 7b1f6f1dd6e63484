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
import type { SpeechGateEvent, SpeechGateOptions } from '../vad/speech-gate.ts';
import { VoiceActivity } from '../vad/voice-activity.ts';

/** The detector's settings, as the `voiceActivity` option resolved them. */
export interface SpeechChunkOptions {
  sampleRate: number;
  gate: Omit<SpeechGateOptions, 'sampleRate'>;
  detector: ((channel: number) => VoiceActivityDetector) | undefined;
}

/** The session's speech filter factory: one `VoiceActivity` (a detector and a gate per channel) behind a `SpeechFilter`. */
export function speechFilters(o: SpeechChunkOptions): SpeechFilterFactory {
  return (channels, settings) => {
    let deliver: (kind: SpeechGateEvent, channel: number, position: number) => void = () => undefined;
    const va = new VoiceActivity({
      sampleRate: o.sampleRate,
      channels: channels as 1 | 2,
      ...o.gate,
      ...(o.detector ? { createDetector: o.detector } : {}),
      onEvent: (kind, channel, position) => deliver(kind, channel, position),
    });
    // The pre-roll reaches back before the onset the gate reports, which comes a run and a whole chunk late: the
    // silence kept aside must hold all of that, for whatever chunk length the detector has.
    const gate = va.gates[0]!;
    const tailSamples = Math.max(settings.tailSamples, gate.preRollSamples + gate.minSpeechSamples + va.chunkSamples);
    return new SpeechFilter(channels, { ...settings, tailSamples }, (onEvent) => {
      deliver = onEvent;
      return va;
    });
  };
}
