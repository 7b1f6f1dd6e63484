/**
 * @stt-stream/core/vad: voice activity detection on its own. A detector
 * classifies each chunk of audio (the default, {@link createEnergyVad},
 * has no dependency); a {@link SpeechGate} turns the probabilities into
 * `speech_started` and `speech_ended` at stream sample positions, with a
 * pre-roll before each onset and a hangover after the last speech;
 * {@link VoiceActivity} does both for a stream's wire frames, per channel.
 *
 * @example
 * ```ts
 * import { VoiceActivity } from '@stt-stream/core/vad';
 * const va = new VoiceActivity({
 *   sampleRate: 16000,
 *   onEvent: (event, channel, position) => console.log(event, position / 16000),
 * });
 * va.push(frame, 0); // an Int16Array of 16 kHz mono, its first sample at position 0
 * ```
 *
 * @module
 */
export { type VoiceActivityDetector, VAD_SAMPLE_RATE } from './vad/detector.ts';
export { createEnergyVad, ENERGY_VAD_DEFAULTS, type EnergyVadOptions } from './vad/energy-vad.ts';
export { SpeechGate, SPEECH_GATE_DEFAULTS, type SpeechGateEvent, type SpeechGateOptions } from './vad/speech-gate.ts';
export { VoiceActivity, type VoiceActivityOptions } from './vad/voice-activity.ts';
