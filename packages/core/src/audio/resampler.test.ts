import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Resampler } from './resampler.ts';

/** A sine of `freq` Hz sampled at `rate`, `frames` long, `channels` interleaved copies. */
function sine(freq: number, rate: number, frames: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(frames);
  for (let i = 0; i < frames; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Runs `input` through a fresh resampler in blocks of the given sizes (the rest in one block), then flushes. */
function resample(options: { inRate: number; outRate: number; channels?: number }, input: Float32Array, sizes: number[] = []): Float32Array {
  const channels = options.channels ?? 1;
  const r = new Resampler({ channels, ...options });
  const parts: Float32Array[] = [];
  let at = 0;
  for (const size of sizes) {
    if (at >= input.length) break;
    const n = Math.min(size * channels, input.length - at);
    parts.push(r.process(input.subarray(at, at + n)));
    at += n;
  }
  parts.push(r.process(input.subarray(at)));
  parts.push(r.flush());
  return concat(parts);
}

const rms = (x: Float32Array, from: number, to: number) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! ** 2;
  return Math.sqrt(sum / (to - from));
};
const dB = (ratio: number) => 20 * Math.log10(ratio);
/** Index of the first sample whose bits differ, the shorter length if one is a prefix, or -1 when identical. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : n;
}

const RATES: [number, number][] = [
  [48000, 16000],
  [44100, 16000],
  [8000, 16000],
  [22050, 16000],
  [44101, 16000], // a ratio that reduces badly: the interpolated table
];

describe('Resampler', () => {
  it('Resampler - emits ceil(totalIn × outRate / inRate) samples however the input is split', () => {
    for (const [inRate, outRate] of RATES) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 12 }), (sizes) => {
          const r = new Resampler({ inRate, outRate, channels: 1 });
          let totalIn = 0;
          let totalOut = 0;
          for (const size of sizes) {
            totalIn += size;
            totalOut += r.process(new Float32Array(size)).length;
          }
          totalOut += r.flush().length;
          expect(totalOut).toBe(Math.ceil((totalIn * outRate) / inRate));
          expect(Math.abs(totalOut - Math.round((totalIn * outRate) / inRate))).toBeLessThanOrEqual(1);
        }),
        { numRuns: 60 },
      );
    }
  });

  it('Resampler - stereo lengths count frames, not samples', () => {
    const r = new Resampler({ inRate: 44100, outRate: 16000, channels: 2 });
    const out = r.process(new Float32Array(2 * 4410)).length + r.flush().length;
    expect(out).toBe(2 * 1600);
  });

  it('Resampler - output is bit-identical however the input was split', () => {
    for (const [inRate, outRate] of RATES) {
      const input = new Float32Array(6000);
      for (let i = 0; i < input.length; i++) input[i] = Math.sin(i * 0.05) * 0.6 + Math.sin(i * 1.3) * 0.3;
      const whole = resample({ inRate, outRate }, input);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 30 }), (sizes) => {
          expect(firstDifference(resample({ inRate, outRate }, input, sizes), whole)).toBe(-1);
        }),
        { numRuns: 40 },
      );
    }
  });

  it('Resampler - keeps a 1 kHz tone within 0.1 dB and in time (output k is the input at k / outRate)', () => {
    for (const [inRate, outRate] of RATES) {
      const y = resample({ inRate, outRate }, sine(1000, inRate, inRate));
      const ideal = sine(1000, outRate, outRate);
      // Away from the edges, where the filter has settled.
      const from = 1000;
      const to = outRate - 1000;
      expect(Math.abs(dB(rms(y, from, to) / rms(ideal, from, to)))).toBeLessThan(0.1);
      const error = new Float32Array(to - from);
      for (let i = from; i < to; i++) error[i - from] = y[i]! - ideal[i]!;
      // A delay of even one output sample would leave about -8 dB of error.
      expect(dB(rms(error, 0, error.length) / rms(ideal, from, to))).toBeLessThan(-60);
    }
  });

  it('Resampler - takes a 10 kHz tone at least 60 dB down when going to 16 kHz', () => {
    for (const inRate of [48000, 44100, 44101]) {
      const y = resample({ inRate, outRate: 16000 }, sine(10000, inRate, inRate));
      expect(y).toHaveLength(16000);
      expect(dB(rms(y, 1000, 15000) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
    }
  });

  it('Resampler - upsampling 8 kHz to 16 kHz leaves no image of a 2 kHz tone', () => {
    const y = resample({ inRate: 8000, outRate: 16000 }, sine(2000, 8000, 8000));
    const ideal = sine(2000, 16000, 16000);
    const error = Float32Array.from({ length: 14000 }, (_, i) => y[i + 1000]! - ideal[i + 1000]!);
    // The image would sit at 6 kHz; whatever differs from the ideal tone is at least 60 dB down.
    expect(dB(rms(error, 0, error.length) / (0.5 / Math.SQRT2))).toBeLessThan(-60);
  });

  it('Resampler - an impulse comes out where it went in, not a filter delay later', () => {
    for (const [inRate, outRate, at, expected] of [
      [48000, 16000, 3000, 1000],
      [44100, 16000, 4410, 1600],
      [8000, 16000, 500, 1000],
    ] as const) {
      const input = new Float32Array(inRate / 2);
      input[at] = 1;
      const y = resample({ inRate, outRate }, input, [777, 1, 1]);
      let peak = 0;
      for (let i = 1; i < y.length; i++) if (Math.abs(y[i]!) > Math.abs(y[peak]!)) peak = i;
      expect(peak).toBe(expected);
      // And the response is symmetric about it (zero phase).
      for (let d = 1; d < 20; d++) expect(y[expected + d]).toBeCloseTo(y[expected - d]!, 6);
    }
  });

  it('Resampler - a sine stays smooth across block borders', () => {
    // At 16 kHz a 1 kHz sine of amplitude 0.5 moves at most 2 × 0.5 × sin(π / 16) per sample.
    const maxStep = 2 * 0.5 * Math.sin(Math.PI / 16);
    for (const [inRate] of RATES) {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 50, maxLength: 400 }), (sizes) => {
          const r = new Resampler({ inRate, outRate: 16000, channels: 1 });
          const input = sine(1000, inRate, inRate / 2);
          const parts: Float32Array[] = [];
          let at = 0;
          for (const size of sizes) {
            parts.push(r.process(input.subarray(at, at + size)));
            at += size;
          }
          const y = concat(parts);
          // Skip the onset (the input jumps in from silence there).
          for (let i = 60; i + 1 < y.length; i++) {
            expect(Math.abs(y[i + 1]! - y[i]!)).toBeLessThanOrEqual(maxStep * 1.001);
          }
        }),
        { numRuns: 10 },
      );
    }
  });

  it('Resampler - keeps interleaved channels apart', () => {
    const frames = 4800;
    const left = sine(1000, 48000, frames);
    const stereo = new Float32Array(2 * frames);
    for (let i = 0; i < frames; i++) stereo[2 * i] = left[i]!;
    const y = resample({ inRate: 48000, outRate: 16000, channels: 2 }, stereo, [100, 333]);
    const mono = resample({ inRate: 48000, outRate: 16000 }, left);
    expect(y).toHaveLength(2 * mono.length);
    for (let i = 0; i < mono.length; i++) {
      expect(Math.abs(y[2 * i]! - mono[i]!)).toBeLessThan(1e-6);
      expect(y[2 * i + 1]).toBe(0);
    }
    // Three channels take the general path.
    const three = new Float32Array(3 * frames);
    for (let i = 0; i < frames; i++) three[3 * i + 1] = left[i]!;
    const z = resample({ inRate: 48000, outRate: 16000, channels: 3 }, three, [1000]);
    for (let i = 0; i < mono.length; i++) {
      expect(z[3 * i]).toBe(0);
      expect(Math.abs(z[3 * i + 1]! - mono[i]!)).toBeLessThan(1e-6);
    }
  });

  it('Resampler - returns the input itself when the rates are equal', () => {
    const r = new Resampler({ inRate: 16000, outRate: 16000, channels: 2 });
    const input = new Float32Array([0.1, 0.2, 0.3, 0.4]);
    expect(r.process(input)).toBe(input);
    expect(r.flush()).toHaveLength(0);
  });

  it('Resampler - starts a new stream after flush', () => {
    const r = new Resampler({ inRate: 44100, outRate: 16000, channels: 1 });
    const input = sine(440, 44100, 5000);
    const first = concat([r.process(input), r.flush()]);
    const second = concat([r.process(input), r.flush()]);
    expect(firstDifference(second, first)).toBe(-1);
    expect(r.flush()).toHaveLength(0);
  });

  it('Resampler - rejects bad options and input, naming the field', () => {
    expect(() => new Resampler({ inRate: 7999, outRate: 16000, channels: 1 })).toThrow(
      new RangeError('Invalid option `inRate`: must be an integer from 8000 to 192000, got 7999'),
    );
    expect(() => new Resampler({ inRate: 16000, outRate: 16000.5, channels: 1 })).toThrow(/`outRate`.*got 16000.5/);
    expect(() => new Resampler({ inRate: 16000, outRate: 8000, channels: 9 })).toThrow(
      new RangeError('Invalid option `channels`: must be an integer from 1 to 8, got 9'),
    );
    const r = new Resampler({ inRate: 48000, outRate: 16000, channels: 2 });
    expect(() => r.process(new Float32Array(3))).toThrow(
      new TypeError('Invalid argument: `input.length` must be a multiple of `channels` (2), got 3'),
    );
    expect(() => r.process(new Float64Array(2) as unknown as Float32Array)).toThrow(
      new TypeError('Invalid argument: `input` must be a Float32Array, got Float64Array'),
    );
  });
});
