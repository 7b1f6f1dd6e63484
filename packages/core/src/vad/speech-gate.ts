/**
 * The speech gate: a state machine fed each chunk's speech probability and
 * its stream sample position, which decides where speech starts and ends,
 * with a pre-roll before each onset and a hangover after the last speech.
 *
 * @module
 */

import { checkOptionNames, optionNames } from '../known-options.ts';
import { assertVadSampleRate, numberOption } from './detector.ts';

/** What {@link SpeechGate.update} and {@link SpeechGate.finish} report. */
export type SpeechGateEvent = 'speech_started' | 'speech_ended';

/** Options of {@link SpeechGate}. */
export interface SpeechGateOptions {
  /** Samples per second of the positions the gate is fed (per channel), 8000 to 48000. */
  sampleRate: number;
  /**
   * A chunk whose probability is at least this is speech (while silent).
   * @defaultValue 0.5
   */
  threshold?: number;
  /**
   * While speaking, a chunk whose probability is at least this still counts
   * as speech (hysteresis: a word that fades keeps the gate open). At most
   * `threshold`.
   * @defaultValue 0.35
   */
  endThreshold?: number;
  /**
   * Silence kept as speech after the last speech, 0 to 5000 ms:
   * `speech_ended` is reported at the end of the last speech plus this. It
   * covers the pauses inside a sentence and the weak sounds at its end that
   * the detector misses in noise.
   * @defaultValue 400
   */
  hangoverMs?: number;
  /**
   * Audio kept before the onset, 0 to 2000 ms: `speech_started` is reported
   * at the onset minus this (never before the first position fed, nor
   * before the previous `speech_ended`). It covers the weak start of a word
   * (a breath, an unvoiced consonant) that the detector hears only once the
   * vowel comes.
   * @defaultValue 200
   */
  preRollMs?: number;
  /**
   * How long a run of speech chunks must last to count, 0 to 1000 ms:
   * while silent, to start speech; while speaking, to keep it going. A
   * click, a key press or a knock shorter than this neither opens the gate
   * nor holds it open; the pre-roll still reaches back before a run that
   * counts.
   * @defaultValue 50
   */
  minSpeechMs?: number;
}

/** The option names {@link SpeechGate} takes. */
export const SPEECH_GATE_OPTIONS: readonly string[] = optionNames<SpeechGateOptions>()(['sampleRate', 'threshold', 'endThreshold', 'hangoverMs', 'preRollMs', 'minSpeechMs']);

/** The defaults of {@link SpeechGateOptions}; how they were chosen: bench/ANALYSIS.md in the repository (row 9). */
export const SPEECH_GATE_DEFAULTS = Object.freeze({
  threshold: 0.5,
  endThreshold: 0.35,
  hangoverMs: 400,
  preRollMs: 200,
  minSpeechMs: 50,
});

/**
 * Decides, chunk by chunk, where speech starts and ends on one channel, in
 * stream sample positions (integers, per channel). Stereo takes one gate
 * per channel. Pure: no clock, no timer, no allocation per chunk; the
 * same inputs give the same events.
 *
 * - Silent: a run of consecutive chunks at or above `threshold` that lasts
 *   `minSpeechMs` starts speech. `speech_started` is reported with the
 *   chunk that completes the run, at the run's first position minus
 *   `preRollMs`, clamped to the first position fed since `reset()` and to
 *   the previous `speech_ended`.
 * - Speaking: a run of chunks at or above `endThreshold` that lasts
 *   `minSpeechMs` is speech up to its end. Once the audio fed reaches
 *   `hangoverMs` past the end of the last speech, `speech_ended` is
 *   reported at that end plus `hangoverMs` (at or before the end of the
 *   chunk that reports it).
 *
 * So the audio from each `speech_started` to its `speech_ended` holds every
 * run that counted, with the pre-roll before the first and the hangover
 * after the last. Positions must not go back; a jump forward (audio not
 * fed) is allowed: the hangover is measured in positions, so a jump longer
 * than it ends speech inside the jump.
 *
 * @example 20 ms chunks at 16 kHz
 * ```ts
 * const gate = new SpeechGate({ sampleRate: 16000 });
 * gate.update(0.9, 48000, 320); // undefined: 20 ms of speech, not yet 50
 * gate.update(0.9, 48320, 320); // undefined: 40 ms
 * gate.update(0.9, 48640, 320); // 'speech_started'; gate.eventPosition is 44800 (48000 − 200 ms)
 * gate.update(0, 48960, 320);   // undefined: the hangover runs until 48960 + 6400
 * ```
 */
export class SpeechGate {
  readonly sampleRate: number;
  readonly threshold: number;
  readonly endThreshold: number;
  /** `hangoverMs` in samples (rounded). */
  readonly hangoverSamples: number;
  /** `preRollMs` in samples (rounded). */
  readonly preRollSamples: number;
  /** `minSpeechMs` in samples (rounded). */
  readonly minSpeechSamples: number;
  /** Where the last reported event is: the start of the speech for `speech_started`, its end for `speech_ended`; -1 before any. */
  eventPosition = -1;
  #speaking = false;
  /** The end of the last chunk fed (positions must not go below it); -1 before any. */
  #next = -1;
  /** The lowest position a start may be reported at. */
  #floor = 0;
  /** The first position of the current run of speech chunks (at or above `threshold` while silent, `endThreshold` while speaking), -1 for none. */
  #runStart = -1;
  /** Where the current run of speech chunks ends. */
  #runEnd = -1;
  /** While speaking: the end of the last speech chunk. */
  #lastSpeechEnd = 0;

  constructor(options: SpeechGateOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Invalid SpeechGate options: expected an object with \`sampleRate\`, got ${options === null ? 'null' : typeof options}`);
    }
    checkOptionNames(options, SPEECH_GATE_OPTIONS, 'new SpeechGate()');
    assertVadSampleRate(options.sampleRate, 'sampleRate');
    const d = SPEECH_GATE_DEFAULTS;
    this.sampleRate = options.sampleRate;
    this.threshold = numberOption(options.threshold, 'threshold', d.threshold, 0, 1);
    this.endThreshold = numberOption(options.endThreshold, 'endThreshold', Math.min(d.endThreshold, this.threshold), 0, this.threshold);
    const samples = (ms: number) => Math.round((ms * this.sampleRate) / 1000);
    this.hangoverSamples = samples(numberOption(options.hangoverMs, 'hangoverMs', d.hangoverMs, 0, 5000));
    this.preRollSamples = samples(numberOption(options.preRollMs, 'preRollMs', d.preRollMs, 0, 2000));
    this.minSpeechSamples = samples(numberOption(options.minSpeechMs, 'minSpeechMs', d.minSpeechMs, 0, 1000));
  }

  /** Whether the gate is open (between a `speech_started` and its `speech_ended`). */
  get speaking(): boolean {
    return this.#speaking;
  }

  /**
   * Feeds one chunk.
   *
   * @param probability The detector's probability of speech for the chunk (NaN counts as 0).
   * @param position Stream sample position of the chunk's first sample: an
   *   integer, at least the end of the previous chunk.
   * @param samples The chunk's length in samples: an integer ≥ 1.
   * @returns The event this chunk completes, if any; its position is then
   *   {@link SpeechGate.eventPosition}.
   * @throws RangeError for a position that goes back or a bad length.
   */
  update(probability: number, position: number, samples: number): SpeechGateEvent | undefined {
    if (!Number.isInteger(position) || position < this.#next || position < 0) {
      throw new RangeError(
        `SpeechGate: \`position\` must be an integer ≥ the end of the previous chunk (${Math.max(0, this.#next)}), got ${String(position)}`,
      );
    }
    if (!Number.isInteger(samples) || samples < 1) {
      throw new RangeError(`SpeechGate: \`samples\` must be an integer ≥ 1, got ${String(samples)}`);
    }
    if (this.#next < 0) this.#floor = position;
    const end = position + samples;
    this.#next = end;
    if (this.#speaking) {
      if (probability >= this.endThreshold) {
        if (this.#runStart < 0 || position !== this.#runEnd) this.#runStart = position;
        this.#runEnd = end;
        if (end - this.#runStart >= this.minSpeechSamples) {
          this.#lastSpeechEnd = end;
          return undefined;
        }
      } else this.#runStart = -1;
      const until = this.#lastSpeechEnd + this.hangoverSamples;
      if (end < until) return undefined;
      this.#speaking = false;
      this.eventPosition = until;
      this.#floor = until;
      return 'speech_ended';
    }
    if (!(probability >= this.threshold)) {
      this.#runStart = -1;
      return undefined;
    }
    if (this.#runStart < 0 || position !== this.#runEnd) this.#runStart = position;
    this.#runEnd = end;
    if (end - this.#runStart < this.minSpeechSamples) return undefined;
    this.#speaking = true;
    this.#lastSpeechEnd = end;
    this.eventPosition = Math.max(this.#runStart - this.preRollSamples, this.#floor);
    return 'speech_started';
  }

  /**
   * Ends the stream at `position` (the end of the last audio): while
   * speaking, reports `speech_ended` at the end of the hangover or at
   * `position`, whichever is first. Further chunks may follow (from
   * `position` on); a run of speech chunks in progress is forgotten.
   *
   * @throws RangeError for a position that goes back.
   */
  finish(position: number): SpeechGateEvent | undefined {
    if (!Number.isInteger(position) || position < this.#next || position < 0) {
      throw new RangeError(
        `SpeechGate: \`position\` must be an integer ≥ the end of the previous chunk (${Math.max(0, this.#next)}), got ${String(position)}`,
      );
    }
    this.#runStart = -1;
    if (this.#next < 0) this.#floor = position;
    this.#next = position;
    if (!this.#speaking) return undefined;
    this.#speaking = false;
    this.eventPosition = Math.min(this.#lastSpeechEnd + this.hangoverSamples, position);
    this.#floor = this.eventPosition;
    return 'speech_ended';
  }

  /** Forgets everything fed, as if newly created (options kept). */
  reset(): void {
    this.eventPosition = -1;
    this.#speaking = false;
    this.#next = -1;
    this.#floor = 0;
    this.#runStart = -1;
    this.#runEnd = -1;
    this.#lastSpeechEnd = 0;
  }
}
