import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { floatToInt16, int16ToFloat, sanitizeFloat } from './sample-convert.ts';

describe('floatToInt16', () => {
  it('floatToInt16 - maps -1, 0 and +1 to -32768, 0 and 32767 and clips beyond', () => {
    expect([...floatToInt16(new Float32Array([-1, 0, 1]))]).toEqual([-32768, 0, 32767]);
    expect([...floatToInt16(new Float32Array([-1.0001, -7, 1.0001, 3, -Infinity, Infinity]))]).toEqual([
      -32768, -32768, 32767, 32767, -32768, 32767,
    ]);
  });

  it('floatToInt16 - scales 32767 up and 32768 down, rounding to nearest', () => {
    const up = (n: number) => n / 32767;
    const down = (n: number) => n / 32768;
    expect([...floatToInt16(new Float32Array([0.5, -0.5, 0.25, -0.25]))]).toEqual([16384, -16384, 8192, -8192]);
    expect([...floatToInt16(new Float32Array([up(1.4), up(1.6), up(100.49), up(100.51)]))]).toEqual([1, 2, 100, 101]);
    expect([...floatToInt16(new Float32Array([down(-1.4), down(-1.6), down(-100.49), down(-100.51)]))]).toEqual([
      -1, -2, -100, -101,
    ]);
  });

  it('floatToInt16 - turns NaN into 0', () => {
    expect([...floatToInt16(new Float32Array([0.5, NaN, -0.5]))]).toEqual([16384, 0, -16384]);
  });

  it('floatToInt16 - writes into `out` and returns it', () => {
    const out = new Int16Array(3);
    expect(floatToInt16(new Float32Array([1, -1, 0]), out)).toBe(out);
    expect([...out]).toEqual([32767, -32768, 0]);
    const long = new Int16Array(5).fill(7);
    const view = floatToInt16(new Float32Array([1, 1]), long);
    expect([...view]).toEqual([32767, 32767]);
    expect([...long]).toEqual([32767, 32767, 7, 7, 7]);
  });

  it('floatToInt16 - rejects bad arguments, naming them', () => {
    expect(() => floatToInt16(new Float64Array(2) as unknown as Float32Array)).toThrow(
      new TypeError('Invalid argument: `input` must be a Float32Array, got Float64Array'),
    );
    expect(() => floatToInt16(new Float32Array(4), new Int16Array(3))).toThrow(
      new RangeError('Invalid argument: `out` must hold at least 4 samples, got 3'),
    );
    expect(() => floatToInt16(new Float32Array(4), new Int32Array(4) as unknown as Int16Array)).toThrow(/`out` must be a Int16Array, got Int32Array/);
  });
});

describe('int16ToFloat', () => {
  it('int16ToFloat - maps the ends of the range to exactly -1 and +1', () => {
    expect([...int16ToFloat(new Int16Array([-32768, -16384, 0, 32767]))]).toEqual([-1, -0.5, 0, 1]);
  });

  it('int16ToFloat - round trip through Float32 gives back every Int16 value', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const back = floatToInt16(int16ToFloat(all));
    expect(back).toEqual(all);
  });

  it('int16ToFloat - float → int16 → float moves a sample by at most half a step', () => {
    fc.assert(
      fc.property(fc.float32Array({ min: -1, max: 1, noDefaultInfinity: true, noNaN: true, minLength: 1 }), (input) => {
        const back = int16ToFloat(floatToInt16(input));
        for (let i = 0; i < input.length; i++) {
          expect(Math.abs(back[i]! - input[i]!)).toBeLessThanOrEqual(0.5 / 32767 + 1e-9);
        }
      }),
    );
  });

  it('int16ToFloat - writes into `out` and rejects a short one', () => {
    const out = new Float32Array(2);
    expect(int16ToFloat(new Int16Array([32767, -32768]), out)).toBe(out);
    expect([...out]).toEqual([1, -1]);
    expect(() => int16ToFloat(new Int16Array(3), new Float32Array(2))).toThrow(RangeError);
    expect(() => int16ToFloat(new Float32Array(3) as unknown as Int16Array)).toThrow(
      new TypeError('Invalid argument: `input` must be an Int16Array, got Float32Array'),
    );
  });
});

describe('sanitizeFloat', () => {
  it('sanitizeFloat - returns null when every sample is finite', () => {
    const input = new Float32Array([0.5, -3, 0, 1e-30]);
    expect(sanitizeFloat(input)).toBeNull();
    expect(sanitizeFloat(new Float32Array(0))).toBeNull();
  });

  it('sanitizeFloat - returns a copy with NaN and ±Infinity as 0 and leaves the input alone', () => {
    const input = new Float32Array([0.5, NaN, -Infinity, 0.25, Infinity, 2]);
    const clean = sanitizeFloat(input);
    expect(clean).not.toBe(input);
    expect([...clean!]).toEqual([0.5, 0, 0, 0.25, 0, 2]);
    expect([...input]).toEqual([0.5, NaN, -Infinity, 0.25, Infinity, 2]);
  });

  it('sanitizeFloat - result is null exactly when all samples are finite; finite samples are kept', () => {
    const sample = fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(NaN, Infinity, -Infinity));
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 64 }), (values) => {
        const input = Float32Array.from(values);
        const clean = sanitizeFloat(input);
        const allFinite = values.every(Number.isFinite);
        expect(clean === null).toBe(allFinite);
        if (clean) {
          expect([...clean]).toEqual(values.map((v) => (Number.isFinite(v) ? Math.fround(v) : 0)));
          expect(Array.from(input, (v) => Object.is(v, NaN) || v)).toEqual(values.map((v) => Object.is(v, NaN) || Math.fround(v)));
        }
      }),
    );
  });
});
