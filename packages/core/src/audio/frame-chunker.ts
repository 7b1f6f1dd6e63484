/**
 * Cutting a stream of interleaved Int16 samples into fixed-size wire frames.
 *
 * @module
 */

function kindOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** Options of a {@link FrameChunker}. */
export interface FrameChunkerOptions {
  /** Samples per channel in each frame: an integer ≥ 1. */
  samplesPerFrame: number;
  /** Interleaved channels: an integer from 1 to 8. */
  channels: number;
}

/**
 * Cuts interleaved Int16 samples into frames of exactly
 * `samplesPerFrame × channels` samples, carrying the remainder over to the
 * next {@link FrameChunker.push}; {@link FrameChunker.flush} emits the partial
 * last frame.
 *
 * Every frame is a copy with an `ArrayBuffer` of its own, exactly its size:
 * it can be sent or transferred as is, and the caller may reuse the buffer it
 * pushed as soon as `push` returns.
 *
 * @example 10 ms frames at 16 kHz
 * ```ts
 * const chunker = new FrameChunker({ samplesPerFrame: 160, channels: 1 });
 * chunker.push(new Int16Array(400)); // two frames of 160; 80 samples held back
 * chunker.flush(); // Int16Array(80)
 * ```
 */
export class FrameChunker {
  /** Samples per channel in each frame. */
  readonly samplesPerFrame: number;
  /** Interleaved channels. */
  readonly channels: number;
  readonly #frameLength: number;
  readonly #pending: Int16Array;
  #pendingLength = 0;

  /**
   * @param options Frame size and channel count.
   * @throws TypeError when `options` is not an object; RangeError naming the
   *   field for `samplesPerFrame` < 1 or `channels` outside 1–8.
   */
  constructor(options: FrameChunkerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Invalid options: expected an object { samplesPerFrame, channels }, got ${kindOf(options)}`);
    }
    const { samplesPerFrame, channels } = options;
    if (typeof samplesPerFrame !== 'number' || !Number.isInteger(samplesPerFrame) || samplesPerFrame < 1) {
      throw new RangeError(`Invalid option \`samplesPerFrame\`: must be an integer ≥ 1, got ${String(samplesPerFrame)}`);
    }
    if (typeof channels !== 'number' || !Number.isInteger(channels) || channels < 1 || channels > 8) {
      throw new RangeError(`Invalid option \`channels\`: must be an integer from 1 to 8, got ${String(channels)}`);
    }
    this.samplesPerFrame = samplesPerFrame;
    this.channels = channels;
    this.#frameLength = samplesPerFrame * channels;
    this.#pending = new Int16Array(this.#frameLength);
  }

  /**
   * Adds samples and returns the frames completed by them (possibly none).
   *
   * @param samples Interleaved samples of any length that is a multiple of `channels`.
   * @returns Whole frames, each a new array of `samplesPerFrame × channels` samples.
   * @throws TypeError when `samples` is not an Int16Array or is not whole sample frames.
   *
   * @example Small pushes add up
   * ```ts
   * const chunker = new FrameChunker({ samplesPerFrame: 2, channels: 2 });
   * chunker.push(new Int16Array([1, 2])); // []
   * chunker.push(new Int16Array([3, 4, 5, 6])); // [Int16Array [1, 2, 3, 4]]
   * ```
   */
  push(samples: Int16Array): Int16Array[] {
    if (!(samples instanceof Int16Array)) {
      throw new TypeError(`Invalid argument: \`samples\` must be an Int16Array, got ${kindOf(samples)}`);
    }
    if (samples.length % this.channels !== 0) {
      throw new TypeError(
        `Invalid argument: \`samples.length\` must be a multiple of \`channels\` (${this.channels}), got ${samples.length}`,
      );
    }
    const size = this.#frameLength;
    const frames: Int16Array[] = [];
    let offset = 0;
    if (this.#pendingLength > 0) {
      const take = Math.min(size - this.#pendingLength, samples.length);
      this.#pending.set(samples.subarray(0, take), this.#pendingLength);
      this.#pendingLength += take;
      offset = take;
      if (this.#pendingLength < size) return frames;
      frames.push(this.#pending.slice());
      this.#pendingLength = 0;
    }
    for (; offset + size <= samples.length; offset += size) frames.push(samples.slice(offset, offset + size));
    if (offset < samples.length) {
      this.#pending.set(samples.subarray(offset), 0);
      this.#pendingLength = samples.length - offset;
    }
    return frames;
  }

  /**
   * Ends the stream: returns the partial frame held back, or `null` when there
   * is none. The chunker is then empty and can go on.
   *
   * @returns The remainder (shorter than a frame, a whole number of sample frames), or `null`.
   *
   * @example Flush the tail
   * ```ts
   * const chunker = new FrameChunker({ samplesPerFrame: 160, channels: 1 });
   * chunker.push(new Int16Array(100));
   * chunker.flush(); // Int16Array(100)
   * chunker.flush(); // null
   * ```
   */
  flush(): Int16Array | null {
    if (this.#pendingLength === 0) return null;
    const rest = this.#pending.slice(0, this.#pendingLength);
    this.#pendingLength = 0;
    return rest;
  }
}
