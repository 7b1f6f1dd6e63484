import { describe, expect, it } from 'vitest';
import { downmix } from './downmix.ts';

const f32 = (...values: number[]) => new Float32Array(values);

describe('downmix', () => {
  it('downmix - returns the input itself when the counts match', () => {
    const mono = f32(0.1, 0.2);
    const stereo = f32(0.1, 0.2, 0.3, 0.4);
    expect(downmix(mono, 1, 1)).toBe(mono);
    expect(downmix(stereo, 2, 2)).toBe(stereo);
  });

  it('downmix - averages stereo to mono', () => {
    expect([...downmix(f32(1, 0, 0.5, 0.25, -1, 1, -0.5, -0.5), 2, 1)]).toEqual([0.5, 0.375, 0, -0.5]);
  });

  it('downmix - averages any count to mono', () => {
    expect([...downmix(f32(0.25, 0.5, 0.75, 0, 0.5, 0.25, 0.25, -1, 0), 3, 1)]).toEqual([0.5, 0.25, -0.25]);
    expect([...downmix(f32(1, 1, 1, 1, 1, 0.5, 0, -0.5), 4, 1)]).toEqual([1, 0.25]);
  });

  it('downmix - duplicates mono into both sides', () => {
    expect([...downmix(f32(0.5, -0.25), 1, 2)]).toEqual([0.5, 0.5, -0.25, -0.25]);
  });

  it('downmix - mixes even channels left and odd channels right', () => {
    // 3 channels: left = (c0 + c2) / 2, right = c1.
    expect([...downmix(f32(1, 0.25, 0, 0.5, -1, 0.5), 3, 2)]).toEqual([0.5, 0.25, 0.5, -1]);
    // 6 channels: left = (c0 + c2 + c4) / 3, right = (c1 + c3 + c5) / 3.
    expect(Array.from(downmix(f32(0.3, -0.3, 0.6, 0, 0, 0.9), 6, 2), (v) => Number(v.toFixed(6)))).toEqual([0.3, 0.2]);
  });

  it('downmix - handles empty input', () => {
    expect(downmix(f32(), 2, 1)).toHaveLength(0);
    expect(downmix(f32(), 1, 2)).toHaveLength(0);
  });

  it('downmix - rejects bad arguments, naming them', () => {
    expect(() => downmix(f32(1, 2, 3), 2, 1)).toThrow(
      new TypeError('Invalid argument: `input.length` must be a multiple of `inChannels` (2), got 3'),
    );
    expect(() => downmix(new Int16Array(2) as unknown as Float32Array, 2, 1)).toThrow(
      new TypeError('Invalid argument: `input` must be a Float32Array, got Int16Array'),
    );
    expect(() => downmix(f32(1), 0, 1)).toThrow(new RangeError('Invalid argument: `inChannels` must be an integer ≥ 1, got 0'));
    expect(() => downmix(f32(1, 2, 3), 1, 3 as 2)).toThrow(new RangeError('Invalid argument: `outChannels` must be 1 or 2, got 3'));
  });
});
