/**
 * Sample format conversion between Float32 in [-1, 1] and signed 16-bit PCM.
 *
 * The scale is asymmetric, as in most audio APIs that keep the full Int16 range:
 * negative samples scale by 32768 and positive ones by 32767, so -1 ↔ -32768,
 * 0 ↔ 0 and +1 ↔ 32767. Every Int16 value survives Int16 → Float32 → Int16
 * unchanged (the Float32 error is far below half a step, and the way back rounds
 * to nearest).
 *
 * @module
 */

import { assertFloat32Input, kindOf } from './describe-value.ts';

const NEG_SCALE = 32768;
const POS_SCALE = 32767;
const INV_NEG = 1 / NEG_SCALE;
const INV_POS = 1 / POS_SCALE;

/**
 * Converts Float32 samples to Int16: clips to [-1, 1], scales negative samples
 * by 32768 and positive ones by 32767, and rounds to nearest (halves round up).
 * NaN becomes 0.
 *
 * @param input Samples, nominally in [-1, 1].
 * @param out Where to write; must hold at least `input.length` samples. A new
 *   array when omitted.
 * @returns `out` (a view of its first `input.length` samples if it is longer),
 *   or a new `Int16Array`.
 * @throws TypeError when `input` is not a Float32Array or `out` not an Int16Array;
 *   RangeError when `out` is too short.
 *
 * @example Clip and scale
 * ```ts
 * floatToInt16(new Float32Array([-1.5, -1, 0, 0.5, 1, 2])); // Int16Array [-32768, -32768, 0, 16384, 32767, 32767]
 * ```
 */
export function floatToInt16(input: Float32Array, out?: Int16Array): Int16Array {
  assertFloat32Input(input);
  const n = input.length;
  const dst = prepareOut(out, n, Int16Array, 'Int16Array');
  for (let i = 0; i < n; i++) {
    const s = input[i]!;
    // Math.floor(x + 0.5) rounds like Math.round but is several times faster
    // here. NaN fails both comparisons, and NaN stores as 0.
    dst[i] =
      s >= 0
        ? s >= 1
          ? POS_SCALE
          : Math.floor(s * POS_SCALE + 0.5)
        : s <= -1
          ? -NEG_SCALE
          : Math.floor(s * NEG_SCALE + 0.5);
  }
  return dst;
}

/**
 * Converts Int16 samples to Float32 in [-1, 1]: negative samples divide by
 * 32768, positive ones by 32767 (the inverse of {@link floatToInt16}).
 *
 * @param input Signed 16-bit samples.
 * @param out Where to write; must hold at least `input.length` samples. A new
 *   array when omitted.
 * @returns `out` (a view of its first `input.length` samples if it is longer),
 *   or a new `Float32Array`.
 * @throws TypeError when `input` is not an Int16Array or `out` not a Float32Array;
 *   RangeError when `out` is too short.
 *
 * @example Full scale both ways
 * ```ts
 * int16ToFloat(new Int16Array([-32768, 0, 32767])); // Float32Array [-1, 0, 1]
 * ```
 */
export function int16ToFloat(input: Int16Array, out?: Float32Array): Float32Array {
  if (!(input instanceof Int16Array)) {
    throw new TypeError(`Invalid argument: \`input\` must be an Int16Array, got ${kindOf(input)}`);
  }
  const n = input.length;
  const dst = prepareOut(out, n, Float32Array, 'Float32Array');
  for (let i = 0; i < n; i++) {
    const v = input[i]!;
    dst[i] = v < 0 ? v * INV_NEG : v * INV_POS;
  }
  return dst;
}

/**
 * Replaces NaN and ±Infinity with 0 (silence).
 *
 * The caller's array is never modified. When every sample is finite (the usual
 * case) nothing is allocated and the result is `null`.
 *
 * @param input Samples to check.
 * @returns `null` when all samples are finite, else a repaired copy.
 * @throws TypeError when `input` is not a Float32Array.
 *
 * @example Repair a copy, keep the original
 * ```ts
 * const samples = new Float32Array([0.5, NaN, -Infinity]);
 * const clean = sanitizeFloat(samples) ?? samples; // Float32Array [0.5, 0, 0]
 * sanitizeFloat(new Float32Array([0.5])); // null
 * ```
 */
export function sanitizeFloat(input: Float32Array): Float32Array | null {
  assertFloat32Input(input);
  const n = input.length;
  let i = 0;
  // s - s is 0 for finite s and NaN for NaN and ±Infinity.
  while (i < n && input[i]! - input[i]! === 0) i++;
  if (i === n) return null;
  const copy = input.slice();
  for (; i < n; i++) {
    const s = copy[i]!;
    if (s - s !== 0) copy[i] = 0;
  }
  return copy;
}

function prepareOut<A extends Int16Array | Float32Array>(
  out: A | undefined,
  n: number,
  Ctor: new (length: number) => A,
  name: string,
): A {
  if (out === undefined) return new Ctor(n);
  if (!(out instanceof Ctor)) {
    throw new TypeError(`Invalid argument: \`out\` must be a ${name}, got ${kindOf(out)}`);
  }
  if (out.length < n) {
    throw new RangeError(`Invalid argument: \`out\` must hold at least ${n} samples, got ${out.length}`);
  }
  return out.length === n ? out : (out.subarray(0, n) as A);
}
