/**
 * The audio a stream may still need: everything written since the commit
 * point, addressed by stream sample position (per channel), in blocks of
 * fixed size that every stream of the process shares through one pool.
 *
 * @module
 */

/**
 * Spare blocks by length (Int16 values), shared by every stream of the
 * process: a block a stream let go is the next block another stream takes,
 * so a process with many streams reuses memory that is already resident
 * instead of asking for fresh memory (and making the garbage collector
 * account for it) at every stream's growth.
 */
const spare = new Map<number, Int16Array[]>();
let spareBytes = 0;
/** The most the pool keeps for later: past it, a returned block is left to the garbage collector. */
export const MAX_SPARE_BYTES = 16 * 1024 * 1024;

/** The pool's list of spare blocks of `length` values (one list per length, shared by the streams that use it). */
function spareList(length: number): Int16Array[] {
  let list = spare.get(length);
  if (!list) spare.set(length, (list = []));
  return list;
}

function takeBlock(list: Int16Array[], length: number): Int16Array {
  const block = list.pop();
  if (!block) return new Int16Array(length);
  // Not zeroed: a stream reads only positions it wrote itself (from `start` to `end`).
  spareBytes -= block.byteLength;
  return block;
}

function giveBlock(list: Int16Array[], block: Int16Array): void {
  if (spareBytes + block.byteLength > MAX_SPARE_BYTES) return;
  list.push(block);
  spareBytes += block.byteLength;
}

/** Bytes the shared pool holds for later (for tests and benchmarks). */
export function spareBlockBytes(): number {
  return spareBytes;
}

/**
 * The retained audio of a stream: interleaved Int16 samples addressed by
 * stream sample position (per channel), in blocks of `blockSamples` each.
 *
 * {@link ReplayBuffer.append} copies the samples in, so the caller may reuse
 * its array at once. Dropping from the front ({@link ReplayBuffer.dropBefore})
 * only moves a position; {@link ReplayBuffer.release} hands the blocks wholly
 * before a position back to the pool (the caller says how far: a block must
 * stay while a socket may still hold a view of it). So a stream holds about
 * what it retains, rounded up to a block, and a long stream costs no
 * allocation once the pool has blocks.
 *
 * Reads are views of a block, valid until the block is released: use them
 * at once (send, copy). A read stops at a block's end (read on from there);
 * with `blockSamples` a multiple of the wire frame, reads of whole frames
 * never straddle one.
 *
 * @example
 * ```ts
 * const buf = new ReplayBuffer(1, { blockSamples: 1600 });
 * buf.append(new Int16Array(4000)); // samples 0..4000, in three blocks
 * buf.dropBefore(2000);             // a final committed the first 125 ms
 * buf.release(2000);                // the first block goes back to the pool
 * buf.read(2000, Infinity)?.length; // 1200: up to the second block's end
 * ```
 */
export class ReplayBuffer {
  readonly channels: number;
  /** Samples per channel in one block. */
  #blockSamples: number;
  #blockLength: number;
  #spare: Int16Array[];
  readonly #align: number;
  readonly #writesPerBlock: number;
  /** `#blocks[i]` holds positions `#base + i·blockSamples` up to the next block's. */
  readonly #blocks: Int16Array[] = [];
  #base = 0;
  #start = 0;
  #end = 0;

  /**
   * @param channels Interleaved channels.
   * @param options `blockSamples`: samples per channel in one block
   *   (default 8192). `writesPerBlock` (default none): at the first append,
   *   blocks grow to hold at least that many appends of its length, so that
   *   few appends straddle two blocks (a straddling append costs a second
   *   copy call); `align` (default 1): that grown size stays a multiple of
   *   it (the wire frame).
   */
  constructor(channels: number, options: { blockSamples?: number; writesPerBlock?: number; align?: number } = {}) {
    this.channels = channels;
    this.#align = Math.max(1, Math.round(options.align ?? 1));
    this.#writesPerBlock = Math.max(0, Math.round(options.writesPerBlock ?? 0));
    this.#blockSamples = Math.max(1, Math.round(options.blockSamples ?? 8192));
    this.#blockLength = this.#blockSamples * channels;
    this.#spare = spareList(this.#blockLength);
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
    this.#spare = spareList(this.#blockLength);
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

  /** Bytes of the blocks this stream holds (retained audio, rounded up to blocks, plus blocks not yet released). */
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
      if (index === this.#blocks.length) this.#blocks.push(takeBlock(this.#spare, blockLength));
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

  /** Whether a block is wholly before the first retained sample (what {@link release} could hand back). */
  get releasable(): boolean {
    return this.#blocks.length > 0 && this.#base + this.#blockSamples <= this.#start;
  }

  /**
   * Hands the blocks wholly before both the first retained sample and
   * `upTo` back to the pool. Pass how far no reader may still use a view:
   * for audio handed to a socket, what the socket has let go of.
   */
  release(upTo: number = Infinity): void {
    const limit = Math.min(upTo, this.#start);
    let n = 0;
    while (n < this.#blocks.length && this.#base + (n + 1) * this.#blockSamples <= limit) n++;
    for (let i = 0; i < n; i++) giveBlock(this.#spare, this.#blocks.shift()!);
    this.#base += n * this.#blockSamples;
  }

  /** Hands every block back to the pool: the stream is over. Reads return `null` after it. */
  clear(): void {
    for (const block of this.#blocks) giveBlock(this.#spare, block);
    this.#blocks.length = 0;
    this.#base = this.#start = this.#end;
  }

  /**
   * The retained samples from `from` up to `until`, or fewer where a block
   * ends (read on from there). `null` when nothing is retained at `from`.
   */
  read(from: number, until: number): Int16Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    const rel = from - this.#base;
    const index = Math.floor(rel / this.#blockSamples);
    const at = rel - index * this.#blockSamples;
    const n = Math.min(Math.min(until, this.#end) - from, this.#blockSamples - at);
    const ch = this.channels;
    return this.#blocks[index]!.subarray(at * ch, (at + n) * ch);
  }

  /** {@link read} as bytes (little-endian Int16, what goes on the wire): one view, nothing copied. */
  readBytes(from: number, until: number): Uint8Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    const stop = Math.min(until, this.#end);
    const rel = from - this.#base;
    const index = Math.floor(rel / this.#blockSamples);
    const at = rel - index * this.#blockSamples;
    const n = Math.min(stop - from, this.#blockSamples - at);
    const block = this.#blocks[index]!;
    const bytesPerSample = 2 * this.channels;
    return new Uint8Array(block.buffer, block.byteOffset + at * bytesPerSample, n * bytesPerSample);
  }
}
