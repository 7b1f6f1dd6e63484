import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PCMFrame } from '../types.ts';
import { AudioPipeline, type AudioPipelineWarning } from './audio-pipeline.ts';
import { downmix } from './downmix.ts';
import { Resampler } from './resampler.ts';
import { floatToInt16 } from './sample-convert.ts';

function join(frames: Int16Array[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
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

describe('AudioPipeline', () => {
  it('AudioPipeline - 16 kHz mono Int16 in comes out byte for byte, however it is split', () => {
    fc.assert(
      fc.property(
        fc.int16Array({ maxLength: 6000 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 12 }),
        (input, cuts) => {
          const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 20 });
          const frames: Int16Array[] = [];
          let at = 0;
          for (const cut of [...cuts, input.length]) {
            const end = Math.min(input.length, at + cut);
            frames.push(...pipeline.push({ data: input.subarray(at, end), sampleRate: 16000, channels: 1 }));
            at = end;
          }
          frames.push(...pipeline.flush());
          for (const f of frames.slice(0, -1)) expect(f.length).toBe(320);
          expect(byteView(join(frames))).toEqual(byteView(input));
          expect(pipeline.samplesOut).toBe(input.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('AudioPipeline - Int16 stereo in the wire format passes through too', () => {
    const pipeline = new AudioPipeline({ sampleRate: 8000, channels: 2, frameMs: 10 });
    const input = Int16Array.from({ length: 500 }, (_, i) => (i * 131) % 65536 - 32768);
    const frames = [...pipeline.push({ data: input, sampleRate: 8000, channels: 2 }), ...pipeline.flush()];
    expect(frames.map((f) => f.length)).toEqual([160, 160, 160, 20]);
    expect(join(frames)).toEqual(input);
    expect(pipeline.samplesOut).toBe(250);
  });

  it('AudioPipeline - 48 kHz stereo Float32 becomes 16 kHz mono frames of 100 ms, level kept', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
    const input = tone(1000, 48000, 48000, 2);
    const frames: Int16Array[] = [];
    for (let at = 0; at < input.length; at += 2 * 441) {
      frames.push(...pipeline.push({ data: input.subarray(at, at + 2 * 441), sampleRate: 48000, channels: 2 }));
    }
    frames.push(...pipeline.flush());
    expect(frames).toHaveLength(10);
    for (const f of frames) expect(f.length).toBe(1600);
    expect(pipeline.samplesOut).toBe(16000);
    const out = join(frames);
    const level = rms(out, 1000, 15000) / 32767;
    expect(Math.abs(20 * Math.log10(level / (0.5 / Math.SQRT2)))).toBeLessThan(0.1);
  });

  it('AudioPipeline - averages the channels when it down-mixes', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 10 });
    const stereo = tone(440, 16000, 1600, 2);
    for (let i = 1; i < stereo.length; i += 2) stereo[i] = -stereo[i]!; // right = -left
    const out = join([...pipeline.push({ data: stereo, sampleRate: 16000, channels: 2 }), ...pipeline.flush()]);
    expect(out).toEqual(new Int16Array(1600));
    // Int16 stereo to mono at the wire rate: the average, exactly.
    const p2 = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 10 });
    const data = new Int16Array([1000, 3000, -32768, -32768, 32767, 32767, 100, -100]);
    expect(join([...p2.push({ data, sampleRate: 16000, channels: 2 }), ...p2.flush()])).toEqual(new Int16Array([2000, -32768, 32767, 0]));
  });

  it('AudioPipeline - resamples Int16 input that is not at the wire rate', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
    const f = tone(1000, 44100, 44100);
    const data = Int16Array.from(f, (v) => Math.round(v * 32767));
    const frames = [...pipeline.push({ data, sampleRate: 44100, channels: 1 }), ...pipeline.flush()];
    expect(pipeline.samplesOut).toBe(16000);
    const out = join(frames);
    for (let i = 1000; i < 15000; i++) {
      expect(Math.abs(out[i]! - 0.5 * 32767 * Math.sin((2 * Math.PI * 1000 * i) / 16000))).toBeLessThan(8);
    }
  });

  it('AudioPipeline - NaN and Infinity become silence with one warning, and the caller’s array is left alone', () => {
    const warnings: AudioPipelineWarning[] = [];
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 10, onWarning: (w) => warnings.push(w) });
    const data = new Float32Array(160).fill(0.5);
    data[3] = NaN;
    data[7] = Infinity;
    data[9] = -Infinity;
    const frames = pipeline.push({ data, sampleRate: 16000, channels: 1 });
    frames.push(...pipeline.push({ data, sampleRate: 16000, channels: 1 }));
    expect(frames).toHaveLength(2);
    for (const f of frames) {
      expect([f[2], f[3], f[7], f[9], f[10]]).toEqual([16384, 0, 0, 0, 16384]);
    }
    expect(warnings).toEqual([{ code: 'non_finite_samples', message: expect.stringMatching(/NaN or Infinity/) }]);
    expect(Number.isNaN(data[3])).toBe(true);
    expect(data[7]).toBe(Infinity);
  });

  it('AudioPipeline - clips Float32 beyond [-1, 1] with one warning', () => {
    const warnings: AudioPipelineWarning['code'][] = [];
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 10, onWarning: (w) => warnings.push(w.code) });
    const data = new Float32Array([1.5, -2, 0.5, 1, -1, NaN]);
    pipeline.push({ data, sampleRate: 16000, channels: 1 });
    pipeline.push({ data, sampleRate: 16000, channels: 1 });
    expect([...pipeline.flush()[0]!]).toEqual([32767, -32768, 16384, 32767, -32768, 0, 32767, -32768, 16384, 32767, -32768, 0]);
    expect(warnings).toEqual(['non_finite_samples', 'clipped_samples']);
    expect(data[0]).toBe(1.5);
  });

  it('AudioPipeline - clipping happens per input channel, before the down-mix', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 10 });
    const out = [...pipeline.push({ data: new Float32Array([3, 0]), sampleRate: 16000, channels: 2 }), ...pipeline.flush()];
    expect([...out[0]!]).toEqual([16384]); // (1 + 0) / 2, not (3 + 0) / 2 clipped to 1
  });

  it('AudioPipeline - a mid-stream change of rate or channels is a TypeError naming both values', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
    pipeline.push({ data: new Float32Array(480), sampleRate: 48000, channels: 1 });
    expect(() => pipeline.push({ data: new Float32Array(441), sampleRate: 44100, channels: 1 })).toThrow(
      new TypeError(
        'Invalid frame: `sampleRate` changed mid-stream from 48000 to 44100; every frame must have the first frame\'s rate',
      ),
    );
    expect(() => pipeline.push({ data: new Float32Array(960), sampleRate: 48000, channels: 2 })).toThrow(
      /`channels` changed mid-stream from 1 to 2/,
    );
    // The stream goes on in its own format.
    expect(() => pipeline.push({ data: new Int16Array(480), sampleRate: 48000, channels: 1 })).not.toThrow();
  });

  it('AudioPipeline - rejects bad frames with a TypeError naming the field', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
    const bad: [unknown, RegExp][] = [
      [{ data: new Float64Array(160), sampleRate: 16000, channels: 1 }, /`data` must be an Int16Array or Float32Array, got Float64Array/],
      [{ data: new Int16Array(3), sampleRate: 16000, channels: 2 }, /`data.length` must be a multiple of `channels` \(2\), got 3/],
      [{ data: new Int16Array(160), sampleRate: 7999, channels: 1 }, /`sampleRate` must be an integer from 8000 to 192000, got 7999/],
      [{ data: new Int16Array(18), sampleRate: 16000, channels: 9 }, /`channels` must be an integer from 1 to 8, got 9/],
    ];
    for (const [frame, message] of bad) {
      expect(() => pipeline.push(frame as PCMFrame)).toThrow(TypeError);
      expect(() => pipeline.push(frame as PCMFrame)).toThrow(message);
    }
    expect(pipeline.samplesOut).toBe(0);
  });

  it('AudioPipeline - rejects bad options, naming the field', () => {
    const ok = { sampleRate: 16000, channels: 1 as const, frameMs: 100 };
    expect(() => new AudioPipeline({ ...ok, frameMs: 9 })).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 1000, got 9'));
    expect(() => new AudioPipeline({ ...ok, frameMs: 1001 })).toThrow(RangeError);
    expect(() => new AudioPipeline({ ...ok, frameMs: NaN })).toThrow(RangeError);
    expect(() => new AudioPipeline({ ...ok, sampleRate: 7999 })).toThrow(/`sampleRate`.*got 7999/);
    expect(() => new AudioPipeline({ ...ok, channels: 3 as 1 })).toThrow(new RangeError('Invalid option `channels`: must be 1 or 2, got 3'));
    expect(() => new AudioPipeline({ ...ok, onWarning: 'log' as never })).toThrow(TypeError);
    expect(new AudioPipeline({ ...ok, sampleRate: 44100, frameMs: 10 }).samplesPerFrame).toBe(441);
    expect(new AudioPipeline({ ...ok, sampleRate: 22050, frameMs: 10 }).samplesPerFrame).toBe(221); // 220.5 rounds up
  });

  it('AudioPipeline - an empty frame is a no-op', () => {
    const pipeline = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 10 });
    expect(pipeline.push({ data: new Float32Array(0), sampleRate: 16000, channels: 1 })).toEqual([]);
    expect(pipeline.flush()).toEqual([]);
    expect(pipeline.samplesOut).toBe(0);
  });

  it('AudioPipeline - the one-pass Float32 path equals repair, downmix, Resampler and floatToInt16 in turn, however split', () => {
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
        const pipeline = new AudioPipeline({ sampleRate: 16000, channels: outChannels, frameMs: 20, onWarning: (w) => warnings.push(w.code) });
        const out: Int16Array[] = [];
        for (let at = 0; at < frames; at += size) {
          const part = data.subarray(at * inChannels, Math.min(frames, at + size) * inChannels);
          out.push(...pipeline.push({ data: part, sampleRate: inRate, channels: inChannels }));
        }
        out.push(...pipeline.flush());
        expect(join(out)).toEqual(expected);
        expect(warnings.sort()).toEqual(['clipped_samples', 'non_finite_samples']); // once each
      }
    }
  });

  it('AudioPipeline - a throwing warning listener leaves the frame unconsumed', () => {
    let fail = true;
    const pipeline = new AudioPipeline({
      sampleRate: 16000,
      channels: 1,
      frameMs: 100,
      onWarning: () => {
        if (fail) throw new Error('listener');
      },
    });
    const clean = new Float32Array(9600).fill(0.25);
    const bad = clean.slice();
    bad[5] = 2;
    expect(() => pipeline.push({ data: bad, sampleRate: 48000, channels: 2 })).toThrow('listener');
    fail = false;
    const out = join([...pipeline.push({ data: clean, sampleRate: 48000, channels: 2 }), ...pipeline.flush()]);
    expect(out.length).toBe(1600);
    expect(pipeline.samplesOut).toBe(1600);
    const fresh = new AudioPipeline({ sampleRate: 16000, channels: 1, frameMs: 100 });
    expect(out).toEqual(join([...fresh.push({ data: clean, sampleRate: 48000, channels: 2 }), ...fresh.flush()]));
  });

  it('AudioPipeline.convert - the same wire samples as push + flush, unchunked, for every input format', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(8000, 16000, 44100, 48000),
        fc.constantFrom(1, 2),
        fc.constantFrom<1 | 2>(1, 2),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }),
        (inRate, inChannels, wireChannels, int16, sizes) => {
          const opts = { sampleRate: 16000, channels: wireChannels, frameMs: 20 };
          const chunked = new AudioPipeline(opts);
          const flat = new AudioPipeline(opts);
          const pushed: Int16Array[] = [];
          const converted: Int16Array[] = [];
          let phase = 0;
          for (const n of sizes) {
            const f = tone(440, inRate, n + phase, inChannels).subarray(phase * inChannels);
            phase += n;
            const frame: PCMFrame = { data: int16 ? floatToInt16(f) : f, sampleRate: inRate, channels: inChannels };
            pushed.push(...chunked.push(frame));
            converted.push(flat.convert(frame).slice()); // valid until the next call: keep a copy
          }
          pushed.push(...chunked.flush());
          converted.push(flat.convertTail());
          expect(byteView(join(converted))).toEqual(byteView(join(pushed)));
        },
      ),
      { numRuns: 60 },
    );
  });
});
