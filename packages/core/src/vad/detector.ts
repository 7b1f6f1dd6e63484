/**
 * The shape of a voice-activity detector: one mono chunk of Int16 samples
 * in, the probability that it holds speech out. The default detector
 * ({@link createEnergyVad}) implements it with no dependency; a model-based
 * detector (WebRTC's VAD in WebAssembly, a neural model) can implement it
 * in a package or entry of its own.
 *
 * @module
 */

/**
 * A frame classifier: `process()` takes one mono chunk of
 * {@link VoiceActivityDetector.frameMs | frameMs} milliseconds and returns
 * the probability (0 to 1) that it holds speech. It keeps state from chunk
 * to chunk (a noise estimate, a model's recurrent state) until `reset()`.
 *
 * One instance serves one channel of one stream; stereo takes two.
 * `VoiceActivity` (`@stt-stream/core/vad`) cuts wire frames into chunks, one detector per
 * channel, and feeds each chunk's probability to a `SpeechGate`.
 *
 * `process()` is synchronous: it runs on every chunk of every live session,
 * and a promise per chunk would cost a microtask and an allocation each.
 * A detector whose runtime only answers asynchronously (ONNX Runtime's
 * `InferenceSession.run`) cannot implement it as it is.
 *
 * @example A detector that calls everything speech
 * ```ts
 * const always: VoiceActivityDetector = {
 *   name: 'always',
 *   frameMs: 20,
 *   reset() {},
 *   process: () => 1,
 * };
 * ```
 */
export interface VoiceActivityDetector {
  /** A short name, for logs and the bench (`'energy'`, `'webrtc'`, …). */
  readonly name: string;
  /**
   * The length of the chunks `process()` expects, in milliseconds: each
   * chunk holds `Math.round(sampleRate * frameMs / 1000)` samples. Required
   * because detectors differ: WebRTC's VAD takes only 10, 20 or 30 ms, Silero
   * 32 ms (512 samples at 16 kHz); the caller, not the detector, cuts the
   * stream, so that no detector needs a buffer of its own.
   */
  readonly frameMs: number;
  /** Forgets everything learned from earlier chunks, as if newly created. */
  reset(): void;
  /**
   * Classifies one chunk.
   *
   * @param samples One channel, `Math.round(sampleRate * frameMs / 1000)`
   *   samples. The caller may reuse the array for the next chunk: a detector
   *   must not keep it.
   * @param sampleRate Samples per second, 8000 to 48000; the same from
   *   chunk to chunk until `reset()` (a detector may reset itself when it
   *   changes).
   * @returns The probability of speech, from 0 to 1 (never NaN).
   */
  process(samples: Int16Array, sampleRate: number): number;
}

/** The sample rates a detector accepts, in Hz. */
export const VAD_SAMPLE_RATE = Object.freeze({ min: 8000, max: 48000 });

/**
 * Checks a sample rate given to a detector or a gate: an integer from
 * {@link VAD_SAMPLE_RATE}.min to .max.
 *
 * @throws RangeError naming `name` and the range.
 * @example
 * ```ts
 * assertVadSampleRate(16000, 'sampleRate'); // ok
 * assertVadSampleRate(4000, 'sampleRate'); // RangeError
 * ```
 */
export function assertVadSampleRate(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < VAD_SAMPLE_RATE.min || value > VAD_SAMPLE_RATE.max) {
    throw new RangeError(
      `Invalid \`${name}\`: must be an integer from ${VAD_SAMPLE_RATE.min} to ${VAD_SAMPLE_RATE.max} Hz, got ${String(value)}`,
    );
  }
}

/**
 * Reads an optional finite number option within [min, max].
 *
 * @throws TypeError for a value that is not a number; RangeError naming the option and the range.
 */
export function numberOption(value: unknown, name: string, dflt: number, min: number, max: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number') throw new TypeError(`Invalid option \`${name}\`: expected a number, got ${typeof value}`);
  if (!(value >= min && value <= max)) throw new RangeError(`Invalid option \`${name}\`: must be from ${min} to ${max}, got ${value}`);
  return value;
}
