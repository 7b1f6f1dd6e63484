/**
 * The whole audio path from caller's {@link PCMFrame}s to wire frames:
 * validate, repair, down-mix, resample, convert to Int16 and cut into frames.
 *
 * @module
 */
import type { PCMFrame } from '../types.ts';
import { downmix } from './downmix.ts';
import { FrameChunker } from './frame-chunker.ts';
import { assertPCMFrame } from './pcm-frame.ts';
import { Resampler } from './resampler.ts';
import { floatToInt16, int16ToFloat, sanitizeFloat } from './sample-convert.ts';

const EMPTY = new Int16Array(0);
const MIN_RATE = 8000;
const MAX_RATE = 192000;
const MIN_FRAME_MS = 10;
const MAX_FRAME_MS = 1000;

/** Something wrong with the input that the pipeline repaired; reported once per pipeline and code. */
export interface AudioPipelineWarning {
  /** `non_finite_samples`: NaN or ±Infinity became silence. `clipped_samples`: Float32 samples outside [-1, 1] were clipped. */
  code: 'non_finite_samples' | 'clipped_samples';
  message: string;
}

/** Options of an {@link AudioPipeline}: the wire format. */
export interface AudioPipelineOptions {
  /** Wire sample rate: an integer from 8000 to 192000. */
  sampleRate: number;
  /** Wire channels. */
  channels: 1 | 2;
  /** Wire frame duration in milliseconds, from 10 to 1000. */
  frameMs: number;
  /**
   * Called at most once per code, before the frame that caused it is
   * processed. If it throws, `push` throws the same error and the frame is not
   * consumed.
   */
  onWarning?: (warning: AudioPipelineWarning) => void;
}

/** Flags returned by the repair-and-copy loops below. */
const NON_FINITE = 1;
const CLIPPED = 2;

/**
 * Copies `src` into `dst` from `offset` with NaN and ±Infinity as 0 and the
 * rest clipped to [-1, 1] (the values `AudioPipeline.#repair` gives). Returns
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

function kindOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/**
 * The conversion half of an {@link AudioPipeline}: turns the caller's
 * {@link PCMFrame}s into interleaved Int16 at the wire rate and channel count
 * (repair, down-mix, resample, convert, as `AudioPipeline` describes),
 * without cutting frames. For code that stores the wire audio itself, as the
 * transcriber does in its replay ring.
 *
 * @example Convert, then keep a copy
 * ```ts
 * const converter = new WireConverter({ sampleRate: 16000, channels: 1, frameMs: 100 });
 * const wire = converter.convert({ data: new Float32Array(4800), sampleRate: 48000, channels: 1 });
 * const kept = wire.slice(); // `wire` is valid until the next call
 * ```
 */
export class WireConverter {
  /** Wire sample rate. */
  readonly sampleRate: number;
  /** Wire channels. */
  readonly channels: 1 | 2;
  /** Wire frame duration in milliseconds. */
  readonly frameMs: number;
  /** Samples per channel in a full wire frame. */
  readonly samplesPerFrame: number;

  readonly #onWarning: ((warning: AudioPipelineWarning) => void) | undefined;
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
   *   field for `sampleRate` outside 8000–192000, `channels` other than 1 or 2,
   *   or `frameMs` outside 10–1000.
   */
  constructor(options: AudioPipelineOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Invalid options: expected an object { sampleRate, channels, frameMs }, got ${kindOf(options)}`);
    }
    const { sampleRate, channels, frameMs, onWarning } = options;
    if (typeof sampleRate !== 'number') {
      throw new TypeError(`Invalid option \`sampleRate\`: must be a number, got ${kindOf(sampleRate)}`);
    }
    if (!Number.isInteger(sampleRate) || sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
      throw new RangeError(`Invalid option \`sampleRate\`: must be an integer from ${MIN_RATE} to ${MAX_RATE}, got ${sampleRate}`);
    }
    if (channels !== 1 && channels !== 2) {
      throw new RangeError(`Invalid option \`channels\`: must be 1 or 2, got ${String(channels)}`);
    }
    if (typeof frameMs !== 'number') {
      throw new TypeError(`Invalid option \`frameMs\`: must be a number, got ${kindOf(frameMs)}`);
    }
    if (!(frameMs >= MIN_FRAME_MS && frameMs <= MAX_FRAME_MS)) {
      throw new RangeError(`Invalid option \`frameMs\`: must be from ${MIN_FRAME_MS} to ${MAX_FRAME_MS}, got ${frameMs}`);
    }
    if (onWarning !== undefined && typeof onWarning !== 'function') {
      throw new TypeError(`Invalid option \`onWarning\`: must be a function, got ${kindOf(onWarning)}`);
    }
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.frameMs = frameMs;
    this.samplesPerFrame = Math.round((sampleRate * frameMs) / 1000);
    this.#onWarning = onWarning;
  }

  /**
   * Validates, repairs,
   * down-mixes, resamples and converts one frame, and returns its wire
   * samples without cutting them into frames (nothing is held back but the
   * resampler's look-ahead). For callers that store the audio themselves.
   *
   * On an {@link AudioPipeline}, do not mix with `push` (`push` holds
   * partial frames back, `convert` does not); `samplesOut` does not count
   * what `convert` returns.
   *
   * @param frame Audio in any supported format; its rate and channel count
   *   must match the first frame's.
   * @returns Interleaved Int16 wire samples, possibly empty. Valid until the
   *   next call: it may be the input itself (Int16 already in the wire
   *   format) or a buffer the pipeline reuses. Copy what you keep.
   * @throws TypeError naming the field for an invalid frame (see
   *   {@link assertPCMFrame}) or a `sampleRate` or `channels` different from
   *   the first frame's.
   *
   * @example Store the wire audio in a buffer of your own
   * ```ts
   * const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
   * const wire = pipeline.convert({ data: new Float32Array(4800), sampleRate: 48000, channels: 1 });
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
        this.#resampler = new Resampler({ inRate: sampleRate, outRate: this.sampleRate, channels: this.channels });
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
   * sample (before the down-mix, as {@link AudioPipeline.#repair} does),
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
      // pipeline, overwriting what was written: write it again afterwards.
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

  #warn(code: AudioPipelineWarning['code']): void {
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

/**
 * Turns the caller's {@link PCMFrame}s into wire frames: interleaved Int16 at
 * the wire rate and channel count, `round(sampleRate × frameMs / 1000)`
 * samples per channel each (the last one, from {@link AudioPipeline.flush}, may
 * be shorter).
 *
 * The first frame fixes the input's rate and channel count for the whole
 * stream. Float32 input is repaired (NaN and ±Infinity become 0, values
 * outside [-1, 1] are clipped; each reported once through `onWarning`),
 * down-mixed (see {@link downmix}), resampled (see {@link Resampler}) and
 * converted (see {@link floatToInt16}). Int16 input already in the wire format
 * goes through byte for byte; other Int16 input takes the Float32 path.
 * Returned frames are views of the pipeline's own blocks (see
 * {@link FrameChunker}): they stay valid, and the caller may reuse its input.
 *
 * @example 48 kHz stereo Float32 in, 16 kHz mono 100 ms frames out
 * ```ts
 * const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
 * // One second: nine frames of 1600 samples now, the resampler holds back its look-ahead…
 * const frames = pipeline.push({ data: new Float32Array(96000), sampleRate: 48000, channels: 2 });
 * // …and flush() releases it: one more frame, and pipeline.samplesOut === 16000.
 * const rest = pipeline.flush();
 * ```
 */
export class AudioPipeline extends WireConverter {
  readonly #chunker: FrameChunker;
  #samplesOut = 0;

  /**
   * @param options The wire format and a warning listener.
   * @throws TypeError for a value of the wrong type; RangeError naming the
   *   field for `sampleRate` outside 8000–192000, `channels` other than 1 or 2,
   *   or `frameMs` outside 10–1000.
   */
  constructor(options: AudioPipelineOptions) {
    super(options);
    this.#chunker = new FrameChunker({ samplesPerFrame: this.samplesPerFrame, channels: this.channels });
  }

  /** Samples per channel in the wire frames returned so far. */
  get samplesOut(): number {
    return this.#samplesOut;
  }

  /**
   * Adds one frame of the caller's audio.
   *
   * @param frame Audio in any supported format; its rate and channel count
   *   must match the first frame's.
   * @returns The wire frames completed so far (possibly none).
   * @throws TypeError naming the field for an invalid frame (see
   *   {@link assertPCMFrame}) or a `sampleRate` or `channels` different from
   *   the first frame's.
   *
   * @example Int16 in the wire format passes through unchanged
   * ```ts
   * const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 20 });
   * pipeline.push({ data: new Int16Array(640), sampleRate: 16000, channels: 1 }); // two frames of 320, same bytes
   * ```
   */
  push(frame: PCMFrame): Int16Array[] {
    const wire = this.convert(frame);
    return wire.length === 0 ? [] : this.#count(this.#chunker.push(wire));
  }

  /**
   * Ends the stream: emits what the resampler held back for its look-ahead
   * (taking the input to be silent after its end) and the partial last frame.
   * The pipeline keeps its input format and can go on.
   *
   * @returns The remaining wire frames; the last may be shorter than a full frame.
   *
   * @example End of stream
   * ```ts
   * const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
   * pipeline.push({ data: new Float32Array(4410), sampleRate: 44100, channels: 1 });
   * pipeline.flush(); // [Int16Array(1600)]; pipeline.samplesOut === 1600
   * ```
   */
  flush(): Int16Array[] {
    const frames: Int16Array[] = [];
    const tail = this.convertTail();
    if (tail.length > 0) frames.push(...this.#chunker.push(tail));
    const rest = this.#chunker.flush();
    if (rest !== null) frames.push(rest);
    return this.#count(frames);
  }

  /**
   * Releases the partial frame the chunker holds, without ending the stream
   * (the resampler keeps its state). For `finalize`: what was written so far
   * goes on the wire now.
   *
   * @example
   * ```ts
   * const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
   * pipeline.push({ data: new Int16Array(2000), sampleRate: 16000, channels: 1 }); // one frame of 1600
   * pipeline.flushPartial(); // [Int16Array(400)]
   * ```
   */
  flushPartial(): Int16Array[] {
    const rest = this.#chunker.flush();
    return rest === null ? [] : this.#count([rest]);
  }

  #count(frames: Int16Array[]): Int16Array[] {
    let samples = 0;
    for (const f of frames) samples += f.length;
    this.#samplesOut += samples / this.channels;
    return frames;
  }
}
