/**
 * Streaming sample-rate conversion: a polyphase windowed-sinc (Kaiser) filter.
 *
 * Filter design, with fLow the lower of the two Nyquist frequencies
 * (min(inRate, outRate) / 2):
 *
 * - cutoff (the -6 dB point) at 0.92 × fLow, transition band 0.4 × fLow wide:
 *   flat (±0.002 dB) to 0.72 × fLow, -3 dB near 0.88 × fLow, at least 80 dB
 *   down from 1.12 × fLow. For a 16 kHz output: flat to 5.76 kHz, -3 dB at
 *   about 7 kHz, -80 dB from 8.96 kHz. What aliases from between 8 and 8.96 kHz
 *   folds to 7.04 to 8 kHz, above the -3 dB point, never into the passband;
 * - Kaiser window, β = 7.86 (80 dB);
 * - length from Kaiser's formula, rounded up to a multiple of 4 taps per
 *   output sample: 76 for 48 kHz → 16 kHz, 72 for 44.1 kHz → 16 kHz, 36 for
 *   22.05 kHz → 16 kHz, 28 for 8 kHz → 16 kHz;
 * - the ratio is reduced to L/M and one row of taps is precomputed per phase
 *   (L rows), each row normalised to unit gain at DC. Where that table would
 *   pass 2^20 coefficients (rates whose ratio reduces badly, such as
 *   44101/16000), 513 rows are kept and the two rows either side of the
 *   wanted phase are interpolated linearly.
 *
 * The filter is centred (zero phase): output sample k is the input's value at
 * time k / outRate, so nothing is delayed; the look-ahead is held back until
 * more input or {@link Resampler.flush} arrives.
 *
 * @module
 */
import { checkOptionNames, optionNames } from '../known-options.ts';

const MIN_RATE = 8000;
const MAX_RATE = 192000;
const MAX_CHANNELS = 8;

/** The -6 dB point, as a fraction of the lower Nyquist frequency. */
const CUTOFF = 0.92;
/** Width of the transition band, as a fraction of the lower Nyquist frequency. */
const TRANSITION = 0.4;
/** Stopband attenuation the Kaiser window is designed for, in dB. */
const ATTENUATION_DB = 80;
/** Largest exact polyphase table, in coefficients (8 MB as Float64). */
const MAX_TABLE = 1 << 20;
/** Rows of the interpolated table used when the exact one would be larger. */
const INTERP_PHASES = 512;

/** Options of a {@link Resampler}. */
export interface ResamplerOptions {
  /** Input sample rate: an integer from 8000 to 192000. */
  inRate: number;
  /** Output sample rate: an integer from 8000 to 192000. */
  outRate: number;
  /** Interleaved channels: an integer from 1 to 8. */
  channels: number;
}

/** The option names a {@link Resampler} takes. */
export const RESAMPLER_OPTIONS: readonly string[] = optionNames<ResamplerOptions>()(['inRate', 'outRate', 'channels']);

function kindOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/**
 * Builds `rows` rows of `2 * half` coefficients: row r holds the kernel at
 * τ = r / denom + half - 1 - m for m = 0 … 2·half - 1 (in input samples),
 * each row normalised to sum 1 (unit gain at DC).
 */
function buildTable(rows: number, denom: number, half: number, fc: number, beta: number): Float32Array {
  const taps = 2 * half;
  const table = new Float32Array(rows * taps);
  const row = new Float64Array(taps);
  const i0Beta = besselI0(beta);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let m = 0; m < taps; m++) {
      const tau = r / denom + half - 1 - m;
      const x = tau / half;
      let v = 0;
      if (x > -1 && x < 1) {
        const arg = 2 * fc * tau;
        const sinc = arg === 0 ? 1 : Math.sin(Math.PI * arg) / (Math.PI * arg);
        v = 2 * fc * sinc * (besselI0(beta * Math.sqrt(1 - x * x)) / i0Beta);
      }
      row[m] = v;
      sum += v;
    }
    for (let m = 0; m < taps; m++) table[r * taps + m] = row[m]! / sum;
  }
  return table;
}

/**
 * A streaming sample-rate converter for interleaved Float32 audio.
 *
 * Feed it blocks of any size with {@link Resampler.process}; end the stream
 * with {@link Resampler.flush}. State carries across calls, so there are no
 * clicks at block borders and the output of a whole stream is bit-identical
 * however the input was split. After `flush()` the output holds exactly
 * `ceil(totalIn × outRate / inRate)` samples per channel (the output instants
 * k / outRate that fall within the input; within 1 of the rounded value), and
 * output sample k is the input at time k / outRate (the filter delay is
 * compensated). The filter is described in this module's header. When the
 * rates are equal, `process` returns its input untouched.
 *
 * @example 48 kHz to 16 kHz
 * ```ts
 * const resampler = new Resampler({ inRate: 48000, outRate: 16000, channels: 1 });
 * const head = resampler.process(new Float32Array(4800)); // a little less than 1600 samples: the look-ahead is held back
 * const tail = resampler.flush(); // the rest: head.length + tail.length === 1600
 * ```
 */
export class Resampler {
  /** Input sample rate. */
  readonly inRate: number;
  /** Output sample rate. */
  readonly outRate: number;
  /** Interleaved channels. */
  readonly channels: number;

  readonly #identity: boolean;
  /** The rate ratio reduced to up / down (L / M). */
  readonly #up: number;
  readonly #down: number;
  readonly #stepInt: number;
  readonly #stepFrac: number;
  /** Half the filter length, in input samples. */
  readonly #half: number;
  readonly #taps: number;
  /** Float32 coefficients, held as Float64 so the inner loops load without a conversion. */
  readonly #table: Float64Array;
  /** True: one table row per phase. False: INTERP_PHASES + 1 rows, interpolated. */
  readonly #exact: boolean;

  /**
   * Interleaved input history; frame `#base` is the first tap of the next
   * output. It holds Float32 values only, but as Float64: the inner loops then
   * load without a conversion (measurably faster; same results).
   */
  #buf: Float64Array;
  #bufLen = 0;
  #base = 0;
  /** The next output's position between input samples, in 1 / L steps. */
  #phase = 0;
  #totalIn = 0;
  #totalOut = 0;
  /** Output buffer reused by {@link Resampler.commitInput}. */
  #scratch = new Float32Array(0);

  /**
   * @param options Rates and channel count.
   * @throws TypeError when `options` is not an object; RangeError naming the
   *   field for a rate outside 8000–192000 or a channel count outside 1–8.
   */
  constructor(options: ResamplerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Invalid options: expected an object { inRate, outRate, channels }, got ${kindOf(options)}`);
    }
    checkOptionNames(options, RESAMPLER_OPTIONS, 'new Resampler()');
    const { inRate, outRate, channels } = options;
    for (const [name, value] of [
      ['inRate', inRate],
      ['outRate', outRate],
    ] as const) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_RATE || value > MAX_RATE) {
        throw new RangeError(`Invalid option \`${name}\`: must be an integer from ${MIN_RATE} to ${MAX_RATE}, got ${String(value)}`);
      }
    }
    if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
      throw new RangeError(`Invalid option \`channels\`: must be an integer from 1 to ${MAX_CHANNELS}, got ${String(channels)}`);
    }
    this.inRate = inRate;
    this.outRate = outRate;
    this.channels = channels;
    this.#identity = inRate === outRate;

    const g = gcd(inRate, outRate);
    this.#up = outRate / g;
    this.#down = inRate / g;
    this.#stepInt = Math.floor(this.#down / this.#up);
    this.#stepFrac = this.#down % this.#up;

    // Kaiser design (see the module header), in cycles per input sample.
    const fLow = Math.min(inRate, outRate) / 2;
    const fc = (CUTOFF * fLow) / inRate;
    const width = (TRANSITION * fLow) / inRate;
    const beta = 0.1102 * (ATTENUATION_DB - 8.7);
    const length = Math.ceil((ATTENUATION_DB - 7.95) / (2.285 * 2 * Math.PI * width));
    this.#half = this.#identity ? 0 : Math.ceil(length / 4) * 2;
    this.#taps = 2 * this.#half;
    this.#exact = this.#up * this.#taps <= MAX_TABLE;
    this.#table = Float64Array.from(
      this.#identity
        ? []
        : this.#exact
          ? buildTable(this.#up, this.#up, this.#half, fc, beta)
          : buildTable(INTERP_PHASES + 1, INTERP_PHASES, this.#half, fc, beta),
    );
    this.#buf = new Float64Array(Math.max(1, (this.#taps + 4096) * channels));
    this.#reset();
  }

  /**
   * Resamples the next block of the stream.
   *
   * @param input Interleaved samples; `input.length` must be a multiple of `channels`.
   * @returns The output samples that the input so far determines (a new array,
   *   possibly empty), or `input` itself when the rates are equal.
   * @throws TypeError when `input` is not a Float32Array or is not whole frames.
   *
   * @example Blocks of any size
   * ```ts
   * const r = new Resampler({ inRate: 44100, outRate: 16000, channels: 2 });
   * const parts = [r.process(new Float32Array(882)), r.process(new Float32Array(2)), r.flush()];
   * ```
   */
  process(input: Float32Array): Float32Array {
    if (!(input instanceof Float32Array)) {
      throw new TypeError(`Invalid argument: \`input\` must be a Float32Array, got ${kindOf(input)}`);
    }
    const channels = this.channels;
    if (input.length % channels !== 0) {
      throw new TypeError(
        `Invalid argument: \`input.length\` must be a multiple of \`channels\` (${channels}), got ${input.length}`,
      );
    }
    if (this.#identity) return input;
    const frames = input.length / channels;
    const at = this.reserveInput(frames); // may replace #buf
    this.#buf.set(input, at);
    const count = this.#commit(frames);
    const out = new Float32Array(count * channels);
    this.#run(out, count);
    return out;
  }

  /**
   * For `WireConverter`, which writes its repaired, down-mixed input
   * straight into the history instead of handing over a new array: makes room
   * for `frames` more input frames and returns the sample offset in
   * {@link Resampler.history} where they go. Nothing is consumed until
   * {@link Resampler.commitInput}, so a caller that gives up in between leaves
   * the stream as it was. Not for the rate-identity case.
   *
   * @internal
   */
  reserveInput(frames: number): number {
    this.#reserve(frames);
    return this.#bufLen * this.channels;
  }

  /**
   * The interleaved input history (see {@link Resampler.reserveInput}). Values
   * written must already be Float32 values (`Math.fround`): the history is
   * Float64 only so that the inner loops skip a conversion per load.
   *
   * @internal
   */
  get history(): Float64Array {
    return this.#buf;
  }

  /**
   * Consumes the `frames` frames written after {@link Resampler.reserveInput}
   * and returns the outputs they complete, in a buffer the resampler reuses:
   * valid until its next call.
   *
   * @internal
   */
  commitInput(frames: number): Float32Array {
    const count = this.#commit(frames);
    const n = count * this.channels;
    if (this.#scratch.length < n) this.#scratch = new Float32Array(Math.max(n, 2 * this.#scratch.length));
    const out = this.#scratch.subarray(0, n);
    this.#run(out, count);
    return out;
  }

  /** Appends `frames` written frames to the history; returns how many outputs are now available. */
  #commit(frames: number): number {
    this.#bufLen += frames;
    this.#totalIn += frames;
    return this.#available();
  }

  /**
   * Ends the stream: emits the samples held back for the filter's look-ahead
   * (the input is taken to be silent after its end) and resets the resampler,
   * which can then start a new stream.
   *
   * @returns The remaining output samples (a new array, possibly empty).
   *
   * @example Drain at end of stream
   * ```ts
   * const r = new Resampler({ inRate: 8000, outRate: 16000, channels: 1 });
   * const all = [...r.process(new Float32Array(80)), ...r.flush()]; // 160 samples
   * ```
   */
  flush(): Float32Array {
    if (this.#identity) return new Float32Array(0);
    const channels = this.channels;
    const expected = Math.floor((this.#totalIn * this.#up + this.#down - 1) / this.#down);
    const remaining = expected - this.#totalOut;
    // The outputs still owed lie before the end of the input, so their taps
    // reach at most `#half` frames past it: pad with that much silence.
    const pad = this.#half + 1;
    this.#reserve(pad);
    this.#buf.fill(0, this.#bufLen * channels, (this.#bufLen + pad) * channels);
    this.#bufLen += pad;
    const count = Math.max(0, Math.min(remaining, this.#available()));
    const out = new Float32Array(count * channels);
    this.#run(out, count);
    this.#reset();
    return out;
  }

  #reset(): void {
    // History before the first sample is silence: `#half - 1` frames of it,
    // so that output 0 (centred on input 0) has all its taps.
    const lead = Math.max(0, this.#half - 1);
    this.#buf.fill(0, 0, lead * this.channels);
    this.#bufLen = lead;
    this.#base = 0;
    this.#phase = 0;
    this.#totalIn = 0;
    this.#totalOut = 0;
  }

  /** Drops history no output needs any more and makes room for `frames` more. */
  #reserve(frames: number): void {
    const channels = this.channels;
    if (this.#base > 0) {
      this.#buf.copyWithin(0, this.#base * channels, this.#bufLen * channels);
      this.#bufLen -= this.#base;
      this.#base = 0;
    }
    const needed = (this.#bufLen + frames) * channels;
    if (needed > this.#buf.length) {
      const grown = new Float64Array(Math.max(needed, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#bufLen * channels));
      this.#buf = grown;
    }
  }

  /** How many outputs the buffered input determines: those whose last tap is buffered. */
  #available(): number {
    const spare = this.#bufLen - this.#taps - this.#base;
    if (spare < 0) return 0;
    // Output k's first tap is #base + floor((#phase + k·M) / L); it must be ≤ spare + #base.
    const span = (spare + 1) * this.#up - this.#phase;
    return Math.floor((span + this.#down - 1) / this.#down);
  }

  /** Computes `count` outputs into `out` and advances the position. */
  #run(out: Float32Array, count: number): void {
    if (count === 0) return;
    const up = this.#up;
    const base = this.#base;
    const phase = this.#phase;
    // Each loop lives in its own function so that the JIT keeps each one
    // specialised (one resampler's shape never de-optimises another's).
    if (up === 1 && this.channels === 1) {
      decimateMono(this.#buf, this.#table, out, count, base, this.#stepInt, this.#half);
    } else if (this.#exact && this.channels === 1) {
      polyphaseMono(this.#buf, this.#table, out, count, base, phase, this.#taps, up, this.#stepInt, this.#stepFrac);
    } else if (this.#exact && this.channels === 2) {
      polyphaseStereo(this.#buf, this.#table, out, count, base, phase, this.#taps, up, this.#stepInt, this.#stepFrac);
    } else if (this.#exact) {
      polyphase(this.#buf, this.#table, out, count, base, phase, this.#taps, up, this.#stepInt, this.#stepFrac, this.channels);
    } else {
      interpolated(this.#buf, this.#table, out, count, base, phase, this.#taps, up, this.#stepInt, this.#stepFrac, this.channels);
    }
    const advance = phase + count * this.#stepFrac;
    this.#base = base + count * this.#stepInt + Math.floor(advance / up);
    this.#phase = advance % up;
    this.#totalOut += count;
  }
}

// The inner loops. `base` is the buffer frame of the first output's first tap;
// each output moves it on by `stepInt` frames and `phase` by `stepFrac`/`up` of a frame.

/**
 * Integer decimation, mono (48 → 16 kHz and the like): one row of taps,
 * symmetric about tap `half - 1` (the last tap is zero), so each pair of input
 * samples shares a multiplication.
 */
function decimateMono(
  buf: Float64Array,
  table: Float64Array,
  out: Float32Array,
  count: number,
  base: number,
  stepInt: number,
  half: number,
): void {
  const centre = half - 1;
  const pairs = centre;
  const quads = pairs & ~3;
  const c0 = table[centre]!;
  const span = 2 * half - 2;
  let k = 0;
  // Two outputs per pass share each coefficient load; each output still sums
  // its products in the same order as the single-output loop below, so the
  // result is bit-identical however the outputs fall into pairs.
  for (; k + 1 < count; k += 2) {
    const baseB = base + stepInt;
    const end = base + span;
    const endB = end + stepInt;
    let a0 = buf[base + centre]! * c0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let b0 = buf[baseB + centre]! * c0;
    let b1 = 0;
    let b2 = 0;
    let b3 = 0;
    let m = 0;
    for (; m < quads; m += 4) {
      const h0 = table[m]!;
      const h1 = table[m + 1]!;
      const h2 = table[m + 2]!;
      const h3 = table[m + 3]!;
      a0 += (buf[base + m]! + buf[end - m]!) * h0;
      a1 += (buf[base + m + 1]! + buf[end - m - 1]!) * h1;
      a2 += (buf[base + m + 2]! + buf[end - m - 2]!) * h2;
      a3 += (buf[base + m + 3]! + buf[end - m - 3]!) * h3;
      b0 += (buf[baseB + m]! + buf[endB - m]!) * h0;
      b1 += (buf[baseB + m + 1]! + buf[endB - m - 1]!) * h1;
      b2 += (buf[baseB + m + 2]! + buf[endB - m - 2]!) * h2;
      b3 += (buf[baseB + m + 3]! + buf[endB - m - 3]!) * h3;
    }
    for (; m < pairs; m++) {
      const h = table[m]!;
      a0 += (buf[base + m]! + buf[end - m]!) * h;
      b0 += (buf[baseB + m]! + buf[endB - m]!) * h;
    }
    out[k] = a0 + a1 + (a2 + a3);
    out[k + 1] = b0 + b1 + (b2 + b3);
    base = baseB + stepInt;
  }
  for (; k < count; k++) {
    const end = base + span;
    let a0 = buf[base + centre]! * c0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let m = 0;
    for (; m < quads; m += 4) {
      a0 += (buf[base + m]! + buf[end - m]!) * table[m]!;
      a1 += (buf[base + m + 1]! + buf[end - m - 1]!) * table[m + 1]!;
      a2 += (buf[base + m + 2]! + buf[end - m - 2]!) * table[m + 2]!;
      a3 += (buf[base + m + 3]! + buf[end - m - 3]!) * table[m + 3]!;
    }
    for (; m < pairs; m++) a0 += (buf[base + m]! + buf[end - m]!) * table[m]!;
    out[k] = a0 + a1 + (a2 + a3);
    base += stepInt;
  }
}

/** One table row per phase, mono. `taps` is a multiple of 4. */
function polyphaseMono(
  buf: Float64Array,
  table: Float64Array,
  out: Float32Array,
  count: number,
  base: number,
  phase: number,
  taps: number,
  up: number,
  stepInt: number,
  stepFrac: number,
): void {
  for (let k = 0; k < count; k++) {
    const t = phase * taps;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    for (let m = 0; m < taps; m += 4) {
      a0 += buf[base + m]! * table[t + m]!;
      a1 += buf[base + m + 1]! * table[t + m + 1]!;
      a2 += buf[base + m + 2]! * table[t + m + 2]!;
      a3 += buf[base + m + 3]! * table[t + m + 3]!;
    }
    out[k] = a0 + a1 + (a2 + a3);
    base += stepInt;
    phase += stepFrac;
    if (phase >= up) {
      phase -= up;
      base++;
    }
  }
}

/** One table row per phase, stereo: both channels share each coefficient load. */
function polyphaseStereo(
  buf: Float64Array,
  table: Float64Array,
  out: Float32Array,
  count: number,
  base: number,
  phase: number,
  taps: number,
  up: number,
  stepInt: number,
  stepFrac: number,
): void {
  for (let k = 0; k < count; k++) {
    const t = phase * taps;
    let l0 = 0;
    let l1 = 0;
    let r0 = 0;
    let r1 = 0;
    for (let m = 0, j = 2 * base; m < taps; m += 2, j += 4) {
      const h0 = table[t + m]!;
      const h1 = table[t + m + 1]!;
      l0 += buf[j]! * h0;
      r0 += buf[j + 1]! * h0;
      l1 += buf[j + 2]! * h1;
      r1 += buf[j + 3]! * h1;
    }
    out[2 * k] = l0 + l1;
    out[2 * k + 1] = r0 + r1;
    base += stepInt;
    phase += stepFrac;
    if (phase >= up) {
      phase -= up;
      base++;
    }
  }
}

/** One table row per phase, any number of interleaved channels. */
function polyphase(
  buf: Float64Array,
  table: Float64Array,
  out: Float32Array,
  count: number,
  base: number,
  phase: number,
  taps: number,
  up: number,
  stepInt: number,
  stepFrac: number,
  channels: number,
): void {
  for (let k = 0, o = 0; k < count; k++) {
    const t = phase * taps;
    for (let c = 0; c < channels; c++) {
      let a0 = 0;
      let a1 = 0;
      for (let m = 0, j = base * channels + c; m < taps; m += 2, j += 2 * channels) {
        a0 += buf[j]! * table[t + m]!;
        a1 += buf[j + channels]! * table[t + m + 1]!;
      }
      out[o++] = a0 + a1;
    }
    base += stepInt;
    phase += stepFrac;
    if (phase >= up) {
      phase -= up;
      base++;
    }
  }
}

/**
 * `INTERP_PHASES + 1` rows; the phase falls between two rows and the two dot
 * products are interpolated linearly.
 */
function interpolated(
  buf: Float64Array,
  table: Float64Array,
  out: Float32Array,
  count: number,
  base: number,
  phase: number,
  taps: number,
  up: number,
  stepInt: number,
  stepFrac: number,
  channels: number,
): void {
  const scale = INTERP_PHASES / up;
  for (let k = 0, o = 0; k < count; k++) {
    const pos = phase * scale;
    const row = Math.floor(pos);
    const frac = pos - row;
    const t0 = row * taps;
    const t1 = t0 + taps;
    for (let c = 0; c < channels; c++) {
      let acc0 = 0;
      let acc1 = 0;
      for (let m = 0, j = base * channels + c; m < taps; m++, j += channels) {
        const s = buf[j]!;
        acc0 += s * table[t0 + m]!;
        acc1 += s * table[t1 + m]!;
      }
      out[o++] = acc0 + frac * (acc1 - acc0);
    }
    base += stepInt;
    phase += stepFrac;
    if (phase >= up) {
      phase -= up;
      base++;
    }
  }
}
