import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PCMFrame } from '../types.ts';
import { downmix } from './downmix.ts';
import { Resampler } from './resampler.ts';
import { floatToInt16 } from './sample-convert.ts';
import { type AudioWarning, WireConverter } from './wire-converter.ts';

function join(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of parts) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** The whole wire output of `frames`: each `convert` result copied (it is valid only until the next call), then the tail. */
function convertAll(converter: WireConverter, frames: PCMFrame[]): Int16Array {
  const out: Int16Array[] = [];
  for (const frame of frames) out.push(converter.convert(frame).slice());
  out.push(converter.convertTail());
  return join(out);
}

const byteView = (x: Int16Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

function tone(freq: number, rate: number, frames: number, channels = 1, amplitude = 0.5): Float32Array {
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
    for (let c = 0; c < channels; c++) out[i * channels + c] = v;
  }
  return out;
}

const rms = (x: ArrayLike<number>, from: number, to: number) => {
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i]! ** 2;
  return Math.sqrt(sum / (to - from));
};

describe('WireConverter loading', () => {
  it('WireConverter - a frame off the wire rate needs the resampler loaded first: ready() loads it, once', async () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    const atWireRate = { data: new Float32Array(160), sampleRate: 16000, channels: 1 };
    expect(converter.ready(atWireRate)).toBeUndefined();
    const off = { data: new Float32Array(480), sampleRate: 48000, channels: 1 };
    const loading = converter.ready(off);
    expect(loading).toBeInstanceOf(Promise);
    await loading;
    expect(converter.ready(off)).toBeUndefined();
    expect(converter.convert(off).length).toBeGreaterThan(0);
  });

});

describe('WireConverter', () => {
  // These convert at other rates: load the resampler once for them (the test above ran first).
  beforeAll(() => new WireConverter({ sampleRate: 16000, channels: 1 }).ready({ data: new Float32Array(0), sampleRate: 48000, channels: 1 }));

  it('WireConverter - 16 kHz mono Int16 in comes out byte for byte, however it is split', () => {
    fc.assert(
      fc.property(
        fc.int16Array({ maxLength: 6000 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 12 }),
        (input, cuts) => {
          const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
          const frames: PCMFrame[] = [];
          let at = 0;
          for (const cut of [...cuts, input.length]) {
            const end = Math.min(input.length, at + cut);
            frames.push({ data: input.subarray(at, end), sampleRate: 16000, channels: 1 });
            at = end;
          }
          expect(byteView(convertAll(converter, frames))).toEqual(byteView(input));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('WireConverter - Int16 in the wire format is returned as is, not copied', () => {
    const converter = new WireConverter({ sampleRate: 8000, channels: 2 });
    const input = Int16Array.from({ length: 500 }, (_, i) => (i * 131) % 65536 - 32768);
    expect(converter.convert({ data: input, sampleRate: 8000, channels: 2 })).toBe(input);
    expect(converter.convertTail()).toEqual(new Int16Array(0));
  });

  it('WireConverter - Int16 stereo in the wire format passes through too', () => {
    const converter = new WireConverter({ sampleRate: 8000, channels: 2 });
    const input = Int16Array.from({ length: 500 }, (_, i) => (i * 131) % 65536 - 32768);
    const frames = [input.subarray(0, 2), input.subarray(2, 322), input.subarray(322)].map((data) => ({ data, sampleRate: 8000, channels: 2 }));
    expect(convertAll(converter, frames)).toEqual(input);
  });

  it('WireConverter - 48 kHz stereo Float32 becomes 16 kHz mono, level kept', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    const input = tone(1000, 48000, 48000, 2);
    const frames: PCMFrame[] = [];
    for (let at = 0; at < input.length; at += 2 * 441) {
      frames.push({ data: input.subarray(at, at + 2 * 441), sampleRate: 48000, channels: 2 });
    }
    const out = convertAll(converter, frames);
    expect(out.length).toBe(16000);
    const level = rms(out, 1000, 15000) / 32767;
    expect(Math.abs(20 * Math.log10(level / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
  });

  it('WireConverter - averages the channels when it down-mixes', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    const stereo = tone(440, 16000, 1600, 2);
    for (let i = 1; i < stereo.length; i += 2) stereo[i] = -stereo[i]!; // right = -left
    expect(convertAll(converter, [{ data: stereo, sampleRate: 16000, channels: 2 }])).toEqual(new Int16Array(1600));
    // Int16 stereo to mono at the wire rate: the average, exactly.
    const c2 = new WireConverter({ sampleRate: 16000, channels: 1 });
    const data = new Int16Array([1000, 3000, -32768, -32768, 32767, 32767, 100, -100]);
    expect(convertAll(c2, [{ data, sampleRate: 16000, channels: 2 }])).toEqual(new Int16Array([2000, -32768, 32767, 0]));
  });

  it('WireConverter - resamples Int16 input that is not at the wire rate', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    const f = tone(1000, 44100, 44100);
    const data = Int16Array.from(f, (v) => Math.round(v * 32767));
    const out = convertAll(converter, [{ data, sampleRate: 44100, channels: 1 }]);
    expect(out.length).toBe(16000);
    for (let i = 1000; i < 15000; i++) {
      expect(Math.abs(out[i]! - 0.5 * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 16000))).toBeLessThan(8);
    }
  });

  it('WireConverter - NaN and Infinity become silence with one warning, and the caller’s array is left alone', () => {
    const warnings: AudioWarning[] = [];
    const converter = new WireConverter({ sampleRate: 16000, channels: 1, onWarning: (w) => warnings.push(w) });
    const data = new Float32Array(160).fill(0.5);
    data[3] = NaN;
    data[7] = Infinity;
    data[9] = -Infinity;
    const outs = [converter.convert({ data, sampleRate: 16000, channels: 1 }).slice()];
    outs.push(converter.convert({ data, sampleRate: 16000, channels: 1 }).slice());
    for (const f of outs) {
      expect(f.length).toBe(160);
      expect([f[2], f[3], f[7], f[9], f[10]]).toEqual([16384, 0, 0, 0, 16384]);
    }
    expect(warnings).toEqual([
      { code: 'non_finite_samples', message: 'The audio held NaN or Infinity samples; they were replaced with silence (reported once per stream)' },
    ]);
    expect(Number.isNaN(data[3])).toBe(true);
    expect(data[7]).toBe(Infinity);
  });

  it('WireConverter - clips Float32 beyond [-1, 1] with one warning', () => {
    const warnings: AudioWarning['code'][] = [];
    const converter = new WireConverter({ sampleRate: 16000, channels: 1, onWarning: (w) => warnings.push(w.code) });
    const data = new Float32Array([1.5, -2, 0.5, 1, -1, NaN]);
    const frame = { data, sampleRate: 16000, channels: 1 };
    expect([...convertAll(converter, [frame, frame])]).toEqual([32767, -32768, 16384, 32767, -32768, 0, 32767, -32768, 16384, 32767, -32768, 0]);
    expect(warnings).toEqual(['non_finite_samples', 'clipped_samples']);
    expect(data[0]).toBe(1.5);
  });

  it('WireConverter - clipping happens per input channel, before the down-mix', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    expect([...converter.convert({ data: new Float32Array([3, 0]), sampleRate: 16000, channels: 2 })]).toEqual([16384]); // (1 + 0) / 2, not (3 + 0) / 2 clipped to 1
    // The same on the one-pass path (stereo to mono with resampling).
    const resampled = new WireConverter({ sampleRate: 16000, channels: 1 });
    const loud = new Float32Array(9600);
    for (let i = 0; i < loud.length; i += 2) loud[i] = 3;
    const quiet = new Float32Array(9600);
    for (let i = 0; i < quiet.length; i += 2) quiet[i] = 1;
    const reference = new WireConverter({ sampleRate: 16000, channels: 1 });
    expect(convertAll(resampled, [{ data: loud, sampleRate: 48000, channels: 2 }])).toEqual(
      convertAll(reference, [{ data: quiet, sampleRate: 48000, channels: 2 }]),
    );
  });

  it('WireConverter - a mid-stream change of rate or channels is a TypeError naming both values', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    converter.convert({ data: new Float32Array(480), sampleRate: 48000, channels: 1 });
    expect(() => converter.convert({ data: new Float32Array(441), sampleRate: 44100, channels: 1 })).toThrow(
      new TypeError(
        'Invalid frame: `sampleRate` changed mid-stream from 48000 to 44100; every frame must have the first frame\'s rate',
      ),
    );
    expect(() => converter.convert({ data: new Float32Array(960), sampleRate: 48000, channels: 2 })).toThrow(
      new TypeError(
        'Invalid frame: `channels` changed mid-stream from 1 to 2; every frame must have the first frame\'s channel count',
      ),
    );
    // The stream goes on in its own format.
    expect(converter.convert({ data: new Int16Array(480), sampleRate: 48000, channels: 1 }).length).toBe(160);
  });

  it('WireConverter - rejects bad frames with a TypeError naming the field, and takes nothing from them', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    const bad: [unknown, RegExp][] = [
      [{ data: new Float64Array(160), sampleRate: 16000, channels: 1 }, /`data` must be an Int16Array or Float32Array, got Float64Array/],
      [{ data: new Int16Array(3), sampleRate: 16000, channels: 2 }, /`data.length` must be a multiple of `channels` \(2\), got 3/],
      [{ data: new Int16Array(160), sampleRate: 7999, channels: 1 }, /`sampleRate` must be an integer from 8000 to 192000, got 7999/],
      [{ data: new Int16Array(18), sampleRate: 16000, channels: 9 }, /`channels` must be an integer from 1 to 8, got 9/],
    ];
    for (const [frame, message] of bad) {
      expect(() => converter.convert(frame as PCMFrame)).toThrow(TypeError);
      expect(() => converter.convert(frame as PCMFrame)).toThrow(message);
    }
    // A bad frame does not fix the stream's format: a first good one at another rate is still taken.
    expect(converter.convert({ data: new Float32Array(480), sampleRate: 48000, channels: 1 }).length).toBeGreaterThan(0);
  });

  it('WireConverter - rejects bad options, naming the field', () => {
    const ok = { sampleRate: 16000, channels: 1 as const };
    expect(() => new WireConverter(null as never)).toThrow(new TypeError('Invalid options: expected an object { sampleRate, channels }, got Null'));
    expect(() => new WireConverter({ ...ok, sampleRate: '16000' as never })).toThrow(
      new TypeError('Invalid option `sampleRate`: must be a number, got String'),
    );
    expect(() => new WireConverter({ ...ok, sampleRate: 7999 })).toThrow(
      new RangeError('Invalid option `sampleRate`: must be an integer from 8000 to 192000, got 7999'),
    );
    expect(() => new WireConverter({ ...ok, sampleRate: 192001 })).toThrow(RangeError);
    expect(() => new WireConverter({ ...ok, sampleRate: 16000.5 })).toThrow(/`sampleRate`.*got 16000.5/);
    expect(() => new WireConverter({ ...ok, channels: 3 as 1 })).toThrow(new RangeError('Invalid option `channels`: must be 1 or 2, got 3'));
    expect(() => new WireConverter({ ...ok, onWarning: 'log' as never })).toThrow(
      new TypeError('Invalid option `onWarning`: must be a function, got String'),
    );
    const converter = new WireConverter({ sampleRate: 44100, channels: 2 });
    expect([converter.sampleRate, converter.channels]).toEqual([44100, 2]);
  });

  it('WireConverter - an empty frame gives nothing', () => {
    const converter = new WireConverter({ sampleRate: 16000, channels: 1 });
    expect(converter.convert({ data: new Float32Array(0), sampleRate: 16000, channels: 1 })).toEqual(new Int16Array(0));
    expect(converter.convertTail()).toEqual(new Int16Array(0));
    const resampling = new WireConverter({ sampleRate: 16000, channels: 1 });
    expect(resampling.convert({ data: new Int16Array(0), sampleRate: 48000, channels: 2 })).toEqual(new Int16Array(0));
    expect(resampling.convertTail()).toEqual(new Int16Array(0));
  });

  it('WireConverter - the one-pass Float32 path equals repair, downmix, Resampler and floatToInt16 in turn, however split', () => {
    // Noise beyond [-1, 1] with NaN and ±Infinity sprinkled in.
    const frames = 4000;
    let seed = 5;
    const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2.6 - 1.3;
    for (const [inChannels, outChannels, inRate] of [[2, 1, 48000], [1, 1, 48000], [2, 2, 44100]] as const) {
      const data = new Float32Array(frames * inChannels).map(rnd);
      data[10] = NaN;
      data[333] = Infinity;
      data[1001] = -Infinity;
      const repaired = data.map((s) => (Number.isFinite(s) ? Math.min(1, Math.max(-1, s)) : 0));
      const resampler = new Resampler({ inRate, outRate: 16000, channels: outChannels });
      const mixed = downmix(repaired, inChannels, outChannels);
      const expected = floatToInt16(Float32Array.from([...resampler.process(mixed), ...resampler.flush()]));
      for (const size of [1, 7, 128, 4800, frames]) {
        const warnings: string[] = [];
        const converter = new WireConverter({ sampleRate: 16000, channels: outChannels, onWarning: (w) => warnings.push(w.code) });
        const parts: PCMFrame[] = [];
        for (let at = 0; at < frames; at += size) {
          parts.push({ data: data.subarray(at * inChannels, Math.min(frames, at + size) * inChannels), sampleRate: inRate, channels: inChannels });
        }
        expect(convertAll(converter, parts)).toEqual(expected);
        expect(warnings.sort()).toEqual(['clipped_samples', 'non_finite_samples']); // once each
      }
    }
  });

  it('WireConverter - the same wire samples however the stream is split, for every input format', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(8000, 16000, 44100, 48000),
        fc.constantFrom(1, 2),
        fc.constantFrom<1 | 2>(1, 2),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }),
        (inRate, inChannels, wireChannels, int16, sizes) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const f = tone(440, inRate, total, inChannels);
          const data = int16 ? floatToInt16(f) : f;
          const parts: PCMFrame[] = [];
          let at = 0;
          for (const n of sizes) {
            parts.push({ data: data.subarray(at * inChannels, (at + n) * inChannels), sampleRate: inRate, channels: inChannels });
            at += n;
          }
          const opts = { sampleRate: 16000, channels: wireChannels };
          const whole = convertAll(new WireConverter(opts), [{ data, sampleRate: inRate, channels: inChannels }]);
          expect(byteView(convertAll(new WireConverter(opts), parts))).toEqual(byteView(whole));
          // As long as the input, at the wire rate (the resampler's tail included).
          expect(whole.length).toBe(Math.ceil((total * 16000) / inRate) * wireChannels);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('WireConverter - a throwing warning listener leaves the frame unconsumed', () => {
    let fail = true;
    const converter = new WireConverter({
      sampleRate: 16000,
      channels: 1,
      onWarning: () => {
        if (fail) throw new Error('listener');
      },
    });
    const clean = new Float32Array(9600).fill(0.25);
    const bad = clean.slice();
    bad[5] = 2;
    expect(() => converter.convert({ data: bad, sampleRate: 48000, channels: 2 })).toThrow(new Error('listener'));
    fail = false;
    const out = convertAll(converter, [{ data: clean, sampleRate: 48000, channels: 2 }]);
    expect(out.length).toBe(1600);
    const fresh = new WireConverter({ sampleRate: 16000, channels: 1 });
    expect(out).toEqual(convertAll(fresh, [{ data: clean, sampleRate: 48000, channels: 2 }]));
  });
});
