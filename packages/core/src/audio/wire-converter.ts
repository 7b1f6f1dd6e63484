/**
 * The audio path from the caller's {@link PCMFrame}s to wire samples:
 * validate, repair, down-mix, resample, convert to Int16. Cutting wire
 * frames is the session's framing (`session/framing.ts`), not this.
 *
 * @module
 */
import { kindOf } from './describe-value.ts';
import { checkOptionNames, optionNames } from '../known-options.ts';
import type { PCMFrame } from '../types.ts';
import { downmix } from './downmix.ts';
import { assertPCMFrame } from './pcm-frame.ts';
import type { Resampler } from './resampler.ts';

/**
 * The resampler is loaded the first time a stream's input is not at the wire
 * rate: bundlers that split (Vite, Rollup, esbuild with `splitting`) give it a
 * chunk of its own, so a page that captures at the wire rate never loads it.
 */
let ResamplerClass: typeof Resampler | undefined;
let loading: Promise<void> | undefined;
function loadResampler(): Promise<void> {
  loading ??= import('./resampler.ts').then((m) => {
    ResamplerClass = m.Resampler;
  });
  return loading;
}
import { floatToInt16, int16ToFloat, sanitizeFloat } from './sample-convert.ts';

const EMPTY = new Int16Array(0);
const MIN_RATE = 8000;
const MAX_RATE = 192000;

/** Something wrong with the input that the converter repaired; reported once per converter and code. */
export interface AudioWarning {
  /** `non_finite_samples`: NaN or ±Infinity became silence. `clipped_samples`: Float32 samples outside [-1, 1] were clipped. */
  code: 'non_finite_samples' | 'clipped_samples';
  message: string;
}

/** Options of a {@link WireConverter}: the wire format. */
export interface WireConverterOptions {
  /** Wire sample rate: an integer from 8000 to 192000. */
  sampleRate: number;
  /** Wire channels. */
  channels: 1 | 2;
  /**
   * Called at most once per code, before the frame that caused it is
   * processed. If it throws, `convert` throws the same error and the frame is not
   * consumed.
   */
  onWarning?: (warning: AudioWarning) => void;
}

/** The option names {@link WireConverter} takes. */
export const WIRE_CONVERTER_OPTIONS: readonly string[] = optionNames<WireConverterOptions>()(['sampleRate', 'channels', 'onWarning']);

/** Flags returned by the repair-and-copy loops below. */
const NON_FINITE = 1;
const CLIPPED = 2;

/**
 * Copies `src` into `dst` from `offset` with NaN and ±Infinity as 0 and the
 * rest clipped to [-1, 1] (the values `WireConverter.#repair` gives). Returns
 * which repairs were made: `NON_FINITE | CLIPPED` bits.
 */
function repairInto(src: Float32Array, dst: Float64Array, offset: number): number {
  let found = 0;
  for (let i = 0; i < src.length; i++) {
    let s = src[i]!;
    // NaN fails the test, as it does every comparison.
    if (!(Math.abs(s) <= 1)) {
      found |= fixFlag(s);
      s = fixValue(s);
    }
    dst[offset + i] = s;
  }
  return found;
}

/**
 * {@link repairInto} for interleaved stereo, each frame averaged to one mono
 * sample (as `downmix` does, rounded to Float32 as its Float32Array output
 * would be). Each channel is repaired before the average.
 */
function repairStereoToMonoInto(src: Float32Array, dst: Float64Array, offset: number): number {
  let found = 0;
  const frames = src.length >> 1;
  for (let i = 0, j = 0; i < frames; i++, j += 2) {
    let l = src[j]!;
    let r = src[j + 1]!;
    // NaN fails the test, as it does every comparison.
    if (!(Math.abs(l) <= 1 && Math.abs(r) <= 1)) {
      found |= fixFlag(l) | fixFlag(r);
      l = fixValue(l);
      r = fixValue(r);
    }
    dst[offset + i] = Math.fround((l + r) * 0.5);
  }
  return found;
}

/** The repair a sample needs: 0, NON_FINITE or CLIPPED. */
function fixFlag(s: number): number {
  if (s - s !== 0) return NON_FINITE; // NaN or ±Infinity
  return s > 1 || s < -1 ? CLIPPED : 0;
}

/** The sample repaired: non-finite to 0, then clipped to [-1, 1]. */
function fixValue(s: number): number {
  if (s - s !== 0) return 0;
  return s > 1 ? 1 : s < -1 ? -1 : s;
}

/**
 * Turns the caller's {@link PCMFrame}s into interleaved Int16 at the wire
 * rate and channel count: NaN and ±Infinity become silence and Float32
 * beyond [-1, 1] is clipped (each reported once through `onWarning`), then
 * down-mix, anti-aliased resampling and conversion. The transcriber stores
 * the result in its replay blocks and cuts wire frames from there.
 *
 * @example Convert, then keep a copy
 * ```ts
 * const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
 * const wire = converter.convert({ data: new Float32Array(4800), sampleRate: 48000, channels: 1 });
 * const kept = wire.slice(); // `wire` is valid until the next call
 * ```
 */
export class WireConverter {
  /** Wire sample rate. */
  readonly sampleRate: number;
  /** Wire channels. */
  readonly channels: 1 | 2;

  readonly #onWarning: ((warning: AudioWarning) => void) | undefined;
  /** Int16 output reused between calls (valid until the next). */
  #wire = new Int16Array(0);
  #inRate = 0;
  #inChannels = 0;
  #resampler: Resampler | null = null;
  #warnedNonFinite = false;
  #warnedClipped = false;

  /**
   * @param options The wire format and a warning listener.
   * @throws TypeError for a value of the wrong type; RangeError naming the
   *   field for `sampleRate` outside 8000–192000 or `channels` other than 1 or 2.
   */
  constructor(options: WireConverterOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Invalid options: expected an object { sampleRate, channels }, got ${kindOf(options)}`);
    }
    checkOptionNames(options, WIRE_CONVERTER_OPTIONS, 'new WireConverter()');
    const { sampleRate, channels, onWarning } = options;
    if (typeof sampleRate !== 'number') {
      throw new TypeError(`Invalid option \`sampleRate\`: must be a number, got ${kindOf(sampleRate)}`);
    }
    if (!Number.isInteger(sampleRate) || sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
      throw new RangeError(`Invalid option \`sampleRate\`: must be an integer from ${MIN_RATE} to ${MAX_RATE}, got ${sampleRate}`);
    }
    if (channels !== 1 && channels !== 2) {
      throw new RangeError(`Invalid option \`channels\`: must be 1 or 2, got ${String(channels)}`);
    }
    if (onWarning !== undefined && typeof onWarning !== 'function') {
      throw new TypeError(`Invalid option \`onWarning\`: must be a function, got ${kindOf(onWarning)}`);
    }
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.#onWarning = onWarning;
  }

  /**
   * Resolves when `frame` can be converted: the first frame whose rate is not
   * the wire rate loads the resampler (once per program). `undefined` when
   * there is nothing to wait for, which is every frame after the first.
   *
   * @example
   * ```ts
   * await converter.ready(frame);
   * const wire = converter.convert(frame);
   * ```
   */
  ready(frame: PCMFrame): Promise<void> | undefined {
    if (this.#inRate !== 0 || ResamplerClass || typeof frame !== 'object' || frame === null) return undefined;
    return frame.sampleRate !== this.sampleRate && typeof frame.sampleRate === 'number' ? loadResampler() : undefined;
  }

  /**
   * Validates, repairs, down-mixes, resamples and converts one frame, and
   * returns its wire samples (nothing is held back but the resampler's
   * look-ahead).
   *
   * @param frame Audio in any supported format; its rate and channel count
   *   must match the first frame's.
   * @returns Interleaved Int16 wire samples, possibly empty. Valid until the
   *   next call: it may be the input itself (Int16 already in the wire
   *   format) or a buffer the converter reuses. Copy what you keep.
   * @throws TypeError naming the field for an invalid frame (see
   *   `assertPCMFrame`) or a `sampleRate` or `channels` different from
   *   the first frame's.
   *
   * @example Store the wire audio in a buffer of your own
   * ```ts
   * const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
   * const wire = converter.convert({ data: new Float32Array(4800), sampleRate: 48000, channels: 1 });
   * store.append(wire); // a copy, e.g. ReplayBuffer.append
   * ```
   */
  convert(frame: PCMFrame): Int16Array {
    assertPCMFrame(frame);
    const { data, sampleRate, channels } = frame;
    if (this.#inRate === 0) {
      this.#inRate = sampleRate;
      this.#inChannels = channels;
      if (sampleRate !== this.sampleRate) {
        if (!ResamplerClass) throw new Error('Internal error: `WireConverter.ready(frame)` must resolve before a frame that needs resampling');
        this.#resampler = new ResamplerClass({ inRate: sampleRate, outRate: this.sampleRate, channels: this.channels });
      }
    } else if (sampleRate !== this.#inRate) {
      throw new TypeError(
        `Invalid frame: \`sampleRate\` changed mid-stream from ${this.#inRate} to ${sampleRate}; every frame must have the first frame's rate`,
      );
    } else if (channels !== this.#inChannels) {
      throw new TypeError(
        `Invalid frame: \`channels\` changed mid-stream from ${this.#inChannels} to ${channels}; every frame must have the first frame's channel count`,
      );
    }
    if (data.length === 0) return EMPTY;
    if (data instanceof Int16Array) {
      return this.#resampler === null && channels === this.channels ? data : this.#fromFloat(int16ToFloat(data));
    }
    if (this.#resampler !== null && channels === this.channels) return this.#resampleFloat(data, 1);
    if (this.#resampler !== null && channels === 2 && this.channels === 1) return this.#resampleFloat(data, 2);
    return this.#fromFloat(this.#repair(data));
  }

  /**
   * Ends the stream's conversion: the wire samples the resampler held back for its look-ahead (taking the input to be silent
   * after its end), or an empty array.
   */
  convertTail(): Int16Array {
    if (this.#resampler === null) return EMPTY;
    const tail = this.#resampler.flush();
    return tail.length === 0 ? EMPTY : floatToInt16(tail);
  }

  /** Down-mix, resample, convert. */
  #fromFloat(samples: Float32Array): Int16Array {
    const mixed = downmix(samples, this.#inChannels, this.channels);
    return floatToInt16(this.#resampler === null ? mixed : this.#resampler.process(mixed));
  }

  /**
   * The common Float32 path (same channel count, or stereo to mono, with
   * resampling) in one pass and no per-push allocation: repair each input
   * sample (before the down-mix, as `#repair` does),
   * down-mix and write straight into the resampler's input history, then
   * convert the outputs to Int16 in a reused buffer. Bit-identical to
   * `#fromFloat(#repair(samples))`.
   *
   * `mix` is the number of input channels averaged into one (1 or 2).
   */
  #resampleFloat(samples: Float32Array, mix: 1 | 2): Int16Array {
    const resampler = this.#resampler!;
    const frames = samples.length / this.#inChannels;
    const at = resampler.reserveInput(frames);
    const found = mix === 1 ? repairInto(samples, resampler.history, at) : repairStereoToMonoInto(samples, resampler.history, at);
    const newNonFinite = (found & NON_FINITE) !== 0 && !this.#warnedNonFinite;
    const newClipped = (found & CLIPPED) !== 0 && !this.#warnedClipped;
    if (newNonFinite || newClipped) {
      // A first warning: nothing is consumed yet, so a listener that throws
      // leaves the stream as it was. The listener might even push to this
      // converter, overwriting what was written: write it again afterwards.
      if ((found & NON_FINITE) !== 0) this.#warn('non_finite_samples');
      if ((found & CLIPPED) !== 0) this.#warn('clipped_samples');
      return this.#resampleFloat(samples, mix);
    }
    const out = resampler.commitInput(frames);
    if (this.#wire.length < out.length) this.#wire = new Int16Array(Math.max(out.length, 2 * this.#wire.length));
    return floatToInt16(out, this.#wire);
  }

  /** Returns `samples` when every sample is in [-1, 1], else a repaired copy. */
  #repair(samples: Float32Array): Float32Array {
    const n = samples.length;
    let i = 0;
    // The usual path: every sample in range (NaN fails the test too). Four at
    // a time, which is measurably faster than one.
    for (; i + 3 < n; i += 4) {
      const a = samples[i]!;
      const b = samples[i + 1]!;
      const c = samples[i + 2]!;
      const d = samples[i + 3]!;
      if (!(a >= -1 && a <= 1 && b >= -1 && b <= 1 && c >= -1 && c <= 1 && d >= -1 && d <= 1)) break;
    }
    while (i < n && samples[i]! >= -1 && samples[i]! <= 1) i++;
    if (i === n) return samples;

    const sanitized = sanitizeFloat(samples);
    if (sanitized !== null) this.#warn('non_finite_samples');
    const fixed = sanitized ?? samples.slice();
    let clipped = false;
    for (; i < n; i++) {
      const s = fixed[i]!;
      if (s > 1) {
        fixed[i] = 1;
        clipped = true;
      } else if (s < -1) {
        fixed[i] = -1;
        clipped = true;
      }
    }
    if (clipped) this.#warn('clipped_samples');
    return fixed;
  }

  #warn(code: AudioWarning['code']): void {
    if (code === 'non_finite_samples') {
      if (this.#warnedNonFinite) return;
      this.#warnedNonFinite = true;
      this.#onWarning?.({
        code,
        message: 'The audio held NaN or Infinity samples; they were replaced with silence (reported once per stream)',
      });
    } else {
      if (this.#warnedClipped) return;
      this.#warnedClipped = true;
      this.#onWarning?.({
        code,
        message: 'The audio held Float32 samples outside [-1, 1]; they were clipped (reported once per stream)',
      });
    }
  }
}
