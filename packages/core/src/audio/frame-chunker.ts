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

const EMPTY = new Int16Array(0);

/** Size of the blocks frames are cut from: one allocation serves many frames. */
const BLOCK_BYTES = 64 * 1024;

/**
 * Cuts interleaved Int16 samples into frames of exactly
 * `samplesPerFrame × channels` samples, carrying the remainder over to the
 * next {@link FrameChunker.push}; {@link FrameChunker.flush} emits the partial
 * last frame.
 *
 * The chunker copies the input into blocks of its own (64 KiB, or one frame
 * when frames are larger) and returns frames as views of them, so one
 * allocation serves many frames. A block is never written again where a frame
 * was handed out: the caller may reuse the buffer it pushed as soon as `push`
 * returns, and a frame stays valid for as long as it is kept. A frame may
 * share its `ArrayBuffer` with its neighbours: send or copy the view
 * (`frame`, or `frame.slice()` to transfer), not `frame.buffer`.
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
  readonly #blockLength: number;
  /** The block being filled: frames before `#frameStart` are handed out, `#frameStart`–`#write` is pending. */
  #block: Int16Array;
  #frameStart = 0;
  #write = 0;

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
    const size = samplesPerFrame * channels;
    this.#frameLength = size;
    // A whole number of frames per block, so that aligned frames never straddle two.
    this.#blockLength = Math.max(1, Math.floor(BLOCK_BYTES / 2 / size)) * size;
    this.#block = EMPTY; // allocated at the first push
  }

  /**
   * Adds samples and returns the frames completed by them (possibly none).
   *
   * @param samples Interleaved samples of any length that is a multiple of `channels`.
   * @returns Whole frames of `samplesPerFrame × channels` samples each (views of the chunker's blocks, see the class).
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
    const n = samples.length;
    let offset = 0;
    while (offset < n) {
      let block = this.#block;
      if (this.#write === block.length) block = this.#nextBlock();
      const take = Math.min(n - offset, block.length - this.#write);
      block.set(take === n ? samples : samples.subarray(offset, offset + take), this.#write);
      this.#write += take;
      offset += take;
      while (this.#write - this.#frameStart >= size) {
        frames.push(block.subarray(this.#frameStart, this.#frameStart + size));
        this.#frameStart += size;
      }
    }
    return frames;
  }

  /** A fresh block, starting with the pending samples of the full one. */
  #nextBlock(): Int16Array {
    const pending = this.#block.subarray(this.#frameStart, this.#write);
    const block = new Int16Array(this.#blockLength);
    block.set(pending, 0);
    this.#block = block;
    this.#frameStart = 0;
    this.#write = pending.length;
    return block;
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
    if (this.#write === this.#frameStart) return null;
    const rest = this.#block.subarray(this.#frameStart, this.#write);
    this.#frameStart = this.#write;
    return rest;
  }
}
