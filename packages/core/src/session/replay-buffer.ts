/**
 * The audio a stream may still need: everything written since the commit
 * point, addressed by stream sample position (per channel), in blocks of
 * fixed size taken from a {@link BlockPool}. How large a block is, and that
 * reads come out whole whatever blocks they cross, is this file's business.
 *
 * @module
 */
import { BlockPool } from './block-pool.ts';

/** Options of a {@link ReplayBuffer}. */
export interface ReplayBufferOptions {
  /** Samples per channel in one block. @defaultValue 8192 */
  blockSamples?: number;
  /**
   * At the first append, blocks grow to hold at least this many appends of
   * its length, so that few appends straddle two blocks (a straddling
   * append costs a second copy call). @defaultValue 0 (no growth)
   */
  writesPerBlock?: number;
  /** The block size stays a multiple of this (the wire message), so that reads of whole messages rarely straddle two. @defaultValue 1 */
  align?: number;
  /** Where blocks come from and go back to. @defaultValue a pool of this buffer's own */
  pool?: BlockPool;
  /**
   * Where a block let go goes. A reader may still hold a view of it (a send
   * not yet carried out): the session core defers it until its commands
   * have run. @defaultValue straight back to `pool`
   */
  retire?: (block: Int16Array) => void;
}

/**
 * Samples per channel in a block of about `blockBytes` (at least one `unit`)
 * that holds a whole number of `unit`s.
 *
 * @example
 * ```ts
 * blockSamplesFor(1600, 1, 16 * 1024); // 8000: five 100 ms frames of 16 kHz mono
 * ```
 */
export function blockSamplesFor(unit: number, channels: number, blockBytes: number): number {
  return unit * Math.max(1, Math.floor(blockBytes / (unit * channels * 2)));
}

/**
 * The retained audio of a stream: interleaved Int16 samples addressed by
 * stream sample position (per channel).
 *
 * {@link ReplayBuffer.append} copies the samples in, so the caller may reuse
 * its array at once. Dropping from the front ({@link ReplayBuffer.dropBefore})
 * only moves a position; {@link ReplayBuffer.release} hands the blocks wholly
 * before the first retained sample back to the pool. So a stream holds about
 * what it retains, rounded up to a block, and a long stream costs no
 * allocation once the pool has blocks.
 *
 * Reads ({@link ReplayBuffer.read}, {@link ReplayBuffer.readBytes}) return the
 * whole span asked for: a view of one block, or, where the span crosses a
 * block's end, a copy. A view is valid until its block is let go.
 *
 * @example
 * ```ts
 * const buf = new ReplayBuffer(1, { blockSamples: 1600 });
 * buf.append(new Int16Array(4000)); // samples 0..4000, in three blocks
 * buf.dropBefore(2000);             // a final committed the first 125 ms
 * buf.release();                    // the first block goes back to the pool
 * buf.read(2000, 4000)?.length;     // 2000, across the second block's end
 * ```
 */
export class ReplayBuffer {
  readonly channels: number;
  readonly #pool: BlockPool;
  readonly #retire: (block: Int16Array) => void;
  /** Samples per channel in one block. */
  #blockSamples: number;
  #blockLength: number;
  readonly #align: number;
  readonly #writesPerBlock: number;
  /** `#blocks[i]` holds positions `#base + i·blockSamples` up to the next block's. */
  readonly #blocks: Int16Array[] = [];
  #base = 0;
  #start = 0;
  #end = 0;

  constructor(channels: number, options: ReplayBufferOptions = {}) {
    this.channels = channels;
    const pool = (this.#pool = options.pool ?? new BlockPool());
    this.#retire = options.retire ?? ((block) => pool.give(block));
    this.#align = Math.max(1, Math.round(options.align ?? 1));
    this.#writesPerBlock = Math.max(0, Math.round(options.writesPerBlock ?? 0));
    this.#blockSamples = Math.max(1, Math.round(options.blockSamples ?? 8192));
    this.#blockLength = this.#blockSamples * channels;
  }

  /** Samples per channel in one block (settled at the first append). */
  get blockSamples(): number {
    return this.#blockSamples;
  }

  /** The first append sets the block size: at least `writesPerBlock` appends like it per block. */
  #settle(samples: number): void {
    const wanted = Math.ceil((samples * this.#writesPerBlock) / this.#align) * this.#align;
    if (wanted <= this.#blockSamples) return;
    this.#blockSamples = wanted;
    this.#blockLength = wanted * this.channels;
  }

  /** Position of the first retained sample. */
  get start(): number {
    return this.#start;
  }

  /** Position just past the last sample appended: the samples written so far. */
  get end(): number {
    return this.#end;
  }

  /** Retained samples per channel. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Retained bytes (Int16, all channels). */
  get byteLength(): number {
    return (this.#end - this.#start) * this.channels * 2;
  }

  /** Bytes of the blocks this stream holds (retained audio rounded up to blocks, plus blocks not yet released). */
  get heldBytes(): number {
    return this.#blocks.length * this.#blockLength * 2;
  }

  /** Copies interleaved samples in at the end (a whole number of sample frames). */
  append(data: Int16Array): void {
    const ch = this.channels;
    if (this.#end === 0 && this.#writesPerBlock > 0) this.#settle(data.length / ch);
    const blockLength = this.#blockLength;
    let at = 0;
    while (at < data.length) {
      const offset = (this.#end - this.#base) * ch;
      const index = Math.floor(offset / blockLength);
      if (index === this.#blocks.length) this.#blocks.push(this.#pool.take(blockLength));
      const into = offset - index * blockLength;
      const n = Math.min(data.length - at, blockLength - into);
      this.#blocks[index]!.set(n === data.length ? data : data.subarray(at, at + n), into);
      at += n;
      this.#end += n / ch;
    }
  }

  /** Forgets every sample before `position` (clamped to what is retained). */
  dropBefore(position: number): void {
    const pos = Math.min(position, this.#end);
    if (pos > this.#start) this.#start = pos;
  }

  /** Whether a block is wholly before the first retained sample (what {@link release} would hand back). */
  get releasable(): boolean {
    return this.#blocks.length > 0 && this.#base + this.#blockSamples <= this.#start;
  }

  /** Hands the blocks wholly before the first retained sample back to the pool. */
  release(): void {
    let n = 0;
    while (n < this.#blocks.length && this.#base + (n + 1) * this.#blockSamples <= this.#start) n++;
    for (let i = 0; i < n; i++) this.#retire(this.#blocks.shift()!);
    this.#base += n * this.#blockSamples;
  }

  /** Hands every block back to the pool: the stream is over. Reads return `null` after it. */
  clear(): void {
    for (const block of this.#blocks) this.#retire(block);
    this.#blocks.length = 0;
    this.#base = this.#start = this.#end;
  }

  /**
   * The retained samples from `from` up to `until` (or the end), interleaved;
   * `null` when nothing is retained at `from`. A view of a block, or a copy
   * where the span crosses a block's end.
   */
  read(from: number, until: number): Int16Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    const stop = Math.min(until, this.#end);
    const ch = this.channels;
    const size = this.#blockSamples;
    const rel = from - this.#base;
    let index = Math.floor(rel / size);
    let at = rel - index * size;
    const n = stop - from;
    if (at + n <= size) return this.#blocks[index]!.subarray(at * ch, (at + n) * ch);
    const out = new Int16Array(n * ch);
    for (let done = 0; done < n; index++, at = 0) {
      const k = Math.min(n - done, size - at);
      out.set(this.#blocks[index]!.subarray(at * ch, (at + k) * ch), done * ch);
      done += k;
    }
    return out;
  }

  /** {@link read} as bytes (little-endian Int16, what goes on the wire). */
  readBytes(from: number, until: number): Uint8Array | null {
    const samples = this.read(from, until);
    return samples && new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  }
}
