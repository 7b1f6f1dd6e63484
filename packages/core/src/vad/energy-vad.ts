/**
 * The default voice-activity detector: two band levels against adaptive
 * noise floors. No dependency, no allocation per chunk.
 *
 * @module
 */

import { checkOptionNames, optionNames } from '../known-options.ts';
import { assertVadSampleRate, numberOption, type VoiceActivityDetector } from './detector.ts';

/** Options of {@link createEnergyVad}. */
export interface EnergyVadOptions {
  /** Chunk length, 10 to 30 ms. @defaultValue 20 */
  frameMs?: number;
  /**
   * How far above its noise floor a band must be for a probability of 0.5,
   * in dB, 1 to 30. Higher sends less noise and loses more weak speech.
   * @defaultValue 6
   */
  marginDb?: number;
  /**
   * The quietest chunk that can be speech, in dB against full scale (the
   * RMS of both bands against a full-scale square wave), -100 to 0. Quieter
   * chunks are silence whatever the noise floor.
   * @defaultValue -60
   */
  minLevelDb?: number;
}

/** The defaults of {@link EnergyVadOptions}; how they were chosen: bench/ANALYSIS.md in the repository (row 9). */
export const ENERGY_VAD_DEFAULTS = Object.freeze({ frameMs: 20, marginDb: 6, minLevelDb: -60 });

/** The option names {@link createEnergyVad} takes. */
export const ENERGY_VAD_OPTIONS: readonly string[] = optionNames<EnergyVadOptions>()(['frameMs', 'marginDb', 'minLevelDb']);

/** Half the width of the probability ramp around `marginDb`, in dB. */
const RAMP_DB = 3;
/** How fast a noise floor follows a quieter chunk (share of the distance per chunk). */
const FLOOR_DOWN = 0.3;
/** How fast a noise floor rises under louder chunks, in dB per second. */
const FLOOR_UP_DB_PER_S = 1.5;
/** A band whose level stayed within this range (dB) over the last block and the current one is steady (noise): its floor rises to their minimum at once. */
const STEADY_DB = 5;
/** One block of the steadiness test, in ms (the test spans this block and the one before). */
const BLOCK_MS = 500;
/** The analysis rate is the input rate divided by the largest whole number that keeps it at or above this (Hz). */
const ANALYSIS_MIN_RATE = 8000;
/** The two bands: voice (HIGH_PASS_HZ to SPLIT_HZ) and upper (SPLIT_HZ to half the analysis rate). */
const HIGH_PASS_HZ = 200;
const SPLIT_HZ = 1000;
const FULL_SCALE_SQUARED = 32768 * 32768;
/** The floor of every level, so that digital silence has a finite level. */
const LEVEL_MIN_DB = -120;

/**
 * Creates the default detector. Each chunk is averaged down to an analysis
 * rate of 8 to 16 kHz (16 kHz → 8 kHz, 48 kHz → 8 kHz, 8 kHz as it is) and
 * split into two bands, voice (200 Hz to 1 kHz) and upper (1 kHz up);
 * each band's level is compared with that band's noise floor, and the
 * probability rises from 0 to 1 as the better band goes from `marginDb` −
 * 3 dB to `marginDb` + 3 dB above its floor. A floor follows quieter chunks
 * quickly and rises under louder ones by 1.5 dB a second, so that a
 * sentence barely moves it; a level that stays within 5 dB for 0.5 to 1 s
 * (a fan, a line that starts after digital silence, a noise that got
 * louder) is noise, and the floor rises to it at once. Two bands make it
 * robust to coloured noise: a low rumble swamps the voice band but not the
 * upper one; hiss the reverse.
 *
 * It answers for energy, not for voice: a tone, music or a knock is
 * "speech" to it until it has lasted 0.5 to 1 s at one level (so a note or
 * a vowel held that long is too); the gate's `minSpeechMs` lets clicks and
 * key presses pass.
 * Any sample rate from 8 to 48 kHz.
 *
 * @throws TypeError or RangeError naming a bad option.
 * @example
 * ```ts
 * const vad = createEnergyVad();
 * const p = vad.process(new Int16Array(320), 16000); // 20 ms at 16 kHz → 0 (silence)
 * ```
 */
export function createEnergyVad(options: EnergyVadOptions = {}): VoiceActivityDetector {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Invalid energy VAD options: expected an object, got ${options === null ? 'null' : typeof options}`);
  }
  checkOptionNames(options, ENERGY_VAD_OPTIONS, 'createEnergyVad()');
  const d = ENERGY_VAD_DEFAULTS;
  const frameMs = numberOption(options.frameMs, 'frameMs', d.frameMs, 10, 30);
  const marginDb = numberOption(options.marginDb, 'marginDb', d.marginDb, 1, 30);
  const minLevelDb = numberOption(options.minLevelDb, 'minLevelDb', d.minLevelDb, -100, 0);
  return new EnergyVad(frameMs, marginDb, minLevelDb);
}

/** Per band: floor, current block's min and max, previous block's min and max. */
const FLOOR = 0;
const CUR_MIN = 1;
const CUR_MAX = 2;
const PREV_MIN = 3;
const PREV_MAX = 4;
const BAND_FIELDS = 5;

class EnergyVad implements VoiceActivityDetector {
  readonly name = 'energy';
  readonly frameMs: number;
  readonly #marginDb: number;
  /** `minLevelDb` as a mean square (the chunk's level is compared without a logarithm). */
  readonly #minMeanSquare: number;
  #sampleRate = 0;
  /** Input samples averaged into one analysis sample. */
  #factor = 1;
  /** Biquads at the analysis rate: [0, 5) high-pass 200 Hz, [5, 10) low-pass 1 kHz (b0, b1, b2, a1, a2). */
  readonly #coef = new Float64Array(10);
  /** Filter state (transposed direct form II, two per biquad), then the sum of the partial average carried to the next chunk. */
  readonly #state = new Float64Array(5);
  /** Input samples in that partial average (an integer below `#factor`). */
  #carried = 0;
  /** {@link BAND_FIELDS} per band, voice band first. */
  readonly #bands = new Float64Array(2 * BAND_FIELDS);
  #started = false;
  #upPerChunk = 0;
  #chunksPerBlock = 1;
  #blockChunk = 0;

  constructor(frameMs: number, marginDb: number, minLevelDb: number) {
    this.frameMs = frameMs;
    this.#marginDb = marginDb;
    this.#minMeanSquare = FULL_SCALE_SQUARED * 10 ** (minLevelDb / 10);
    this.#upPerChunk = (FLOOR_UP_DB_PER_S * frameMs) / 1000;
    this.#chunksPerBlock = Math.max(1, Math.round(BLOCK_MS / frameMs));
  }

  reset(): void {
    this.#state.fill(0);
    this.#carried = 0;
    this.#started = false;
    this.#blockChunk = 0;
  }

  #configure(sampleRate: number): void {
    assertVadSampleRate(sampleRate, 'sampleRate');
    this.#sampleRate = sampleRate;
    this.#factor = Math.floor(sampleRate / ANALYSIS_MIN_RATE);
    const rate = sampleRate / this.#factor;
    biquad(this.#coef, 0, false, HIGH_PASS_HZ, rate);
    biquad(this.#coef, 5, true, SPLIT_HZ, rate);
    this.reset();
  }

  process(samples: Int16Array, sampleRate: number): number {
    if (sampleRate !== this.#sampleRate) this.#configure(sampleRate);
    const n = samples.length;
    const c = this.#coef;
    const s = this.#state;
    const h0 = c[0]!, h1 = c[1]!, h2 = c[2]!, ha1 = c[3]!, ha2 = c[4]!;
    const l0 = c[5]!, l1 = c[6]!, l2 = c[7]!, la1 = c[8]!, la2 = c[9]!;
    let hz1 = s[0]!, hz2 = s[1]!, lz1 = s[2]!, lz2 = s[3]!;
    const factor = this.#factor;
    let voice = 0;
    let upper = 0;
    let used = 0;
    let i = 0;
    // Whole groups of `factor` samples (the first one completes the group carried from the last chunk);
    // the count is an integer (carried apart from the sum), so the loops compare integers.
    let sum = s[4]!;
    let count = this.#carried;
    const scale = 1 / factor;
    while (n - i >= factor - count) {
      for (const end = i + factor - count; i < end; i++) sum += samples[i]!;
      const x = sum * scale;
      sum = 0;
      count = 0;
      const hp = h0 * x + hz1;
      hz1 = h1 * x - ha1 * hp + hz2;
      hz2 = h2 * x - ha2 * hp;
      const lp = l0 * hp + lz1;
      lz1 = l1 * hp - la1 * lp + lz2;
      lz2 = l2 * hp - la2 * lp;
      const up = hp - lp;
      voice += lp * lp;
      upper += up * up;
      used++;
    }
    this.#carried = count + n - i;
    for (; i < n; i++) sum += samples[i]!;
    s[4] = sum;
    // Decayed filter state would go subnormal in digital silence (slow on most CPUs).
    s[0] = Math.abs(hz1) < 1e-9 ? 0 : hz1;
    s[1] = Math.abs(hz2) < 1e-9 ? 0 : hz2;
    s[2] = Math.abs(lz1) < 1e-9 ? 0 : lz1;
    s[3] = Math.abs(lz2) < 1e-9 ? 0 : lz2;
    if (used === 0) return 0;
    const voiceDb = levelDb(voice / used);
    const upperDb = levelDb(upper / used);
    if (!this.#started) {
      this.#started = true;
      this.#startBand(0, voiceDb);
      this.#startBand(BAND_FIELDS, upperDb);
    }
    const above = Math.max(this.#track(0, voiceDb), this.#track(BAND_FIELDS, upperDb));
    if (++this.#blockChunk >= this.#chunksPerBlock) {
      this.#blockChunk = 0;
      this.#endBlock(0);
      this.#endBlock(BAND_FIELDS);
    }
    if ((voice + upper) / used < this.#minMeanSquare) return 0;
    const p = (above - this.#marginDb + RAMP_DB) / (2 * RAMP_DB);
    return p <= 0 ? 0 : p >= 1 ? 1 : p;
  }

  #startBand(at: number, db: number): void {
    const b = this.#bands;
    b[at + FLOOR] = db;
    b[at + CUR_MIN] = db;
    b[at + CUR_MAX] = db;
    // No previous block yet: not steady until one has ended.
    b[at + PREV_MIN] = -Infinity;
    b[at + PREV_MAX] = Infinity;
  }

  /** Updates the band at `at` with a chunk at `db`; returns how far the chunk is above the floor it had. */
  #track(at: number, db: number): number {
    const b = this.#bands;
    const floor = b[at + FLOOR]!;
    const above = db - floor;
    let next = above < 0 ? floor + FLOOR_DOWN * above : floor + Math.min(above, this.#upPerChunk);
    if (db < b[at + CUR_MIN]!) b[at + CUR_MIN] = db;
    if (db > b[at + CUR_MAX]!) b[at + CUR_MAX] = db;
    const low = Math.min(b[at + CUR_MIN]!, b[at + PREV_MIN]!);
    if (Math.max(b[at + CUR_MAX]!, b[at + PREV_MAX]!) - low < STEADY_DB && low > next) next = low;
    b[at + FLOOR] = next;
    return above;
  }

  #endBlock(at: number): void {
    const b = this.#bands;
    b[at + PREV_MIN] = b[at + CUR_MIN]!;
    b[at + PREV_MAX] = b[at + CUR_MAX]!;
    b[at + CUR_MIN] = Infinity;
    b[at + CUR_MAX] = -Infinity;
  }
}

/** RBJ biquad coefficients (b0, b1, b2, a1, a2, normalised by a0; Q = 1/√2) into `out` at `at`. */
function biquad(out: Float64Array, at: number, lowpass: boolean, f0: number, sampleRate: number): void {
  const w0 = (2 * Math.PI * f0) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) * Math.SQRT1_2;
  const a0 = 1 + alpha;
  const k = (lowpass ? 1 - cos : 1 + cos) / 2;
  out[at] = k / a0;
  out[at + 1] = (lowpass ? 2 * k : -2 * k) / a0;
  out[at + 2] = k / a0;
  out[at + 3] = (-2 * cos) / a0;
  out[at + 4] = (1 - alpha) / a0;
}

function levelDb(meanSquare: number): number {
  const db = 10 * Math.log10(meanSquare / FULL_SCALE_SQUARED);
  return db > LEVEL_MIN_DB ? db : LEVEL_MIN_DB;
}
