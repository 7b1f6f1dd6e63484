/**
 * Channel down-mixing (and mono → stereo up-mixing) of interleaved Float32 audio.
 *
 * @module
 */

import { assertFloat32Input } from './describe-value.ts';

/**
 * Mixes interleaved Float32 audio from `inChannels` to `outChannels` channels.
 *
 * - same count: returns `input` itself (no copy);
 * - N → 1: the average of all channels;
 * - 1 → 2: the mono channel on both sides;
 * - N → 2 (N > 2): left is the average of the even channels (0, 2, 4, …) and
 *   right the average of the odd ones (1, 3, 5, …). For 3 channels that is
 *   left = (c0 + c2) / 2, right = c1.
 *
 * Averaging never leaves [-1, 1] for input in [-1, 1].
 *
 * @param input Interleaved samples; `input.length` must be a multiple of `inChannels`.
 * @param inChannels Channels in `input`: an integer ≥ 1.
 * @param outChannels Channels wanted: 1 or 2.
 * @returns Interleaved samples with `outChannels` channels: `input` itself when
 *   the counts match, else a new array.
 * @throws TypeError when `input` is not a Float32Array or its length is not a
 *   multiple of `inChannels`; RangeError for a bad channel count.
 *
 * @example Stereo to mono
 * ```ts
 * downmix(new Float32Array([1, 0, 0.5, 0.5]), 2, 1); // Float32Array [0.5, 0.5]
 * ```
 */
export function downmix<T extends Float32Array>(input: Float32Array, inChannels: number, outChannels: 1 | 2): Float32Array {
  assertFloat32Input(input);
  if (!Number.isInteger(inChannels) || inChannels < 1) {
    throw new RangeError(`Invalid argument: \`inChannels\` must be an integer ≥ 1, got ${String(inChannels)}`);
  }
  if (outChannels !== 1 && outChannels !== 2) {
    throw new RangeError(`Invalid argument: \`outChannels\` must be 1 or 2, got ${String(outChannels)}`);
  }
  if (input.length % inChannels !== 0) {
    throw new TypeError(
      `Invalid argument: \`input.length\` must be a multiple of \`inChannels\` (${inChannels}), got ${input.length}`,
    );
  }
  if (inChannels === outChannels) return input;
  const frames = input.length / inChannels;
  const out = new Float32Array(frames * outChannels);

  if (inChannels === 1) {
    // 1 → 2
    for (let i = 0; i < frames; i++) {
      const s = input[i]!;
      out[2 * i] = s;
      out[2 * i + 1] = s;
    }
  } else if (outChannels === 1 && inChannels === 2) {
    for (let i = 0; i < frames; i++) out[i] = (input[2 * i]! + input[2 * i + 1]!) * 0.5;
  } else if (outChannels === 1) {
    const inv = 1 / inChannels;
    for (let i = 0, j = 0; i < frames; i++) {
      let sum = 0;
      for (let c = 0; c < inChannels; c++) sum += input[j++]!;
      out[i] = sum * inv;
    }
  } else {
    // N → 2 with N > 2: even channels left, odd channels right.
    const invL = 1 / Math.ceil(inChannels / 2);
    const invR = 1 / Math.floor(inChannels / 2);
    for (let i = 0, j = 0; i < frames; i++) {
      let left = 0;
      let right = 0;
      for (let c = 0; c < inChannels; c += 2) {
        left += input[j + c]!;
        if (c + 1 < inChannels) right += input[j + c + 1]!;
      }
      j += inChannels;
      out[2 * i] = left * invL;
      out[2 * i + 1] = right * invR;
    }
  }
  return out;
}
