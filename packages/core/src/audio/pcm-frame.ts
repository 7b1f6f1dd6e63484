/**
 * Validation of {@link PCMFrame}s at the edge of the audio path.
 *
 * @module
 */
import { describeValue, kindOf } from './describe-value.ts';
import type { PCMFrame } from '../types.ts';

/** The smallest and largest sample rates a frame may carry. */
const MIN_RATE = 8000;
const MAX_RATE = 192000;
const MAX_CHANNELS = 8;

/**
 * Checks that `frame` is a usable {@link PCMFrame}: an object whose `data` is an
 * `Int16Array` or `Float32Array`, whose `sampleRate` is an integer from 8000 to
 * 192000, whose `channels` is an integer from 1 to 8, and whose `data.length` is
 * a multiple of `channels`. Empty `data` is allowed.
 *
 * @param frame The value to check.
 * @throws TypeError naming the first field that is wrong and what it got.
 *
 * @example Reject a Float64Array
 * ```ts
 * assertPCMFrame({ data: new Int16Array(160), sampleRate: 16000, channels: 1 }); // passes
 * assertPCMFrame({ data: new Float64Array(160), sampleRate: 16000, channels: 1 });
 * // TypeError: Invalid frame: `data` must be an Int16Array or Float32Array, got Float64Array
 * ```
 */
export function assertPCMFrame(frame: unknown): asserts frame is PCMFrame {
  if (typeof frame !== 'object' || frame === null) {
    throw new TypeError(`Invalid frame: expected an object { data, sampleRate, channels }, got ${kindOf(frame)}`);
  }
  const { data, sampleRate, channels } = frame as Record<string, unknown>;
  if (!(data instanceof Int16Array) && !(data instanceof Float32Array)) {
    throw new TypeError(`Invalid frame: \`data\` must be an Int16Array or Float32Array, got ${kindOf(data)}`);
  }
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
    throw new TypeError(
      `Invalid frame: \`sampleRate\` must be an integer from ${MIN_RATE} to ${MAX_RATE}, got ${describeValue(sampleRate)}`,
    );
  }
  if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new TypeError(`Invalid frame: \`channels\` must be an integer from 1 to ${MAX_CHANNELS}, got ${describeValue(channels)}`);
  }
  if (data.length % channels !== 0) {
    throw new TypeError(
      `Invalid frame: \`data.length\` must be a multiple of \`channels\` (${channels}), got ${data.length}`,
    );
  }
}

