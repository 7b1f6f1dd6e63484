/**
 * The audio a stream may still need: everything written since the commit
 * point, addressed by stream sample position (per channel), in blocks of
 * fixed size taken from a {@link BlockPool}. How large a block is, that
 * reads come out whole whatever blocks they cross, and that a span of the
 * stream's clock may hold no audio at all (a hole: silence not sent) are
 * this file's business.
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
 * its array at once. {@link ReplayBuffer.jump} moves the end forward without
 * audio: the span jumped over is a hole, which takes stream time but no
 * memory, counts in no length, and no read crosses. Dropping from the front
 * ({@link ReplayBuffer.dropBefore}) only moves a position;
 * {@link ReplayBuffer.release} hands the blocks wholly before the first
 * retained sample back to the pool. So a stream holds about what it retains,
 * rounded up to a block, and a long stream costs no allocation once the pool
 * has blocks.
 *
 * Reads ({@link ReplayBuffer.read}, {@link ReplayBuffer.readBytes}) return the
 * whole span asked for, up to the next hole: a view of one block, or, where
 * the span crosses a block's end, a copy. A view is valid until its block is
 * let go.
 *
 * @example
 * ```ts
 * const buf = new ReplayBuffer(1, { blockSamples: 1600 });
 * buf.append(new Int16Array(4000)); // samples 0..4000, in three blocks
 * buf.jump(6000);                   // 4000..6000: a hole
 * buf.append(new Int16Array(1000)); // 6000..7000
 * buf.length;                       // 5000 samples held
 * buf.nextHole(3000);               // { start: 4000, end: 6000 }
 * buf.dropBefore(2000);             // a final committed the first 125 ms
 * buf.release();                    // the first block goes back to the pool
 * buf.read(2000, 7000)?.length;     // 2000: up to the hole, across the second block's end
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
  /** `#blocks[i]` holds stored samples `#base + i·blockSamples` up to the next block's (storage positions: holes left out). */
  readonly #blocks: Int16Array[] = [];
  #base = 0;
  /** Stream positions of the first retained sample and just past the last (or past a hole at the end). */
  #start = 0;
  #end = 0;
  /** Storage positions of the same. */
  #storedStart = 0;
  #storedEnd = 0;
  /** The holes after the first retained sample, in order: `[start, end)` in stream positions, flat pairs. */
  #holes: number[] = [];

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

  /** Position just past the last sample appended (or the hole jumped to). */
  get end(): number {
    return this.#end;
  }

  /** Retained samples per channel (holes hold none). */
  get length(): number {
    return this.#storedEnd - this.#storedStart;
  }

  /** Retained bytes (Int16, all channels). */
  get byteLength(): number {
    return this.length * this.channels * 2;
  }

  /** Bytes of the blocks this stream holds (retained audio rounded up to blocks, plus blocks not yet released). */
  get heldBytes(): number {
    return this.#blocks.length * this.#blockLength * 2;
  }

  /** The storage position of stream position `position` (at or after the start; one inside a hole maps to the hole's end). */
  #stored(position: number): number {
    const holes = this.#holes;
    let skipped = 0;
    for (let i = 0; i < holes.length; i += 2) {
      if (holes[i]! >= position) break;
      skipped += Math.min(position, holes[i + 1]!) - holes[i]!;
    }
    return this.#storedStart + (position - this.#start) - skipped;
  }

  /** Samples held from `position` (a stream position at or after the start) to the end. */
  heldAfter(position: number): number {
    return this.#holes.length === 0 ? this.#end - Math.max(position, this.#start) : this.#storedEnd - this.#stored(Math.max(position, this.#start));
  }

  /** The first hole that ends after `position`, as `{ start, end }`, or `null`. */
  nextHole(position: number): { start: number; end: number } | null {
    const holes = this.#holes;
    for (let i = 0; i < holes.length; i += 2) if (holes[i + 1]! > position) return { start: holes[i]!, end: holes[i + 1]! };
    return null;
  }

  /** The parts of `[from, until)` that hold audio (not holes), in order. */
  heldSpans(from: number, until: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    let at = from;
    const holes = this.#holes;
    for (let i = 0; i < holes.length && at < until; i += 2) {
      if (holes[i + 1]! <= at) continue;
      if (holes[i]! >= until) break;
      if (holes[i]! > at) out.push({ start: at, end: holes[i]! });
      at = holes[i + 1]!;
    }
    if (at < until) out.push({ start: at, end: until });
    return out;
  }

  /** Copies interleaved samples in at the end (a whole number of sample frames). */
  append(data: Int16Array): void {
    const ch = this.channels;
    if (this.#storedEnd === 0 && this.#writesPerBlock > 0) this.#settle(data.length / ch);
    const blockLength = this.#blockLength;
    let at = 0;
    while (at < data.length) {
      const offset = (this.#storedEnd - this.#base) * ch;
      const index = Math.floor(offset / blockLength);
      if (index === this.#blocks.length) this.#blocks.push(this.#pool.take(blockLength));
      const into = offset - index * blockLength;
      const n = Math.min(data.length - at, blockLength - into);
      this.#blocks[index]!.set(n === data.length ? data : data.subarray(at, at + n), into);
      at += n;
      this.#storedEnd += n / ch;
      this.#end += n / ch;
    }
  }

  /** The next audio appended goes at `position`: the span from the end to it is a hole. */
  jump(position: number): void {
    if (position <= this.#end) return;
    const holes = this.#holes;
    if (this.#storedEnd === this.#storedStart && holes.length === 0) {
      // Nothing retained: the buffer simply starts later.
      this.#start = this.#end = position;
      return;
    }
    if (holes.length > 0 && holes[holes.length - 1] === this.#end) holes[holes.length - 1] = position;
    else holes.push(this.#end, position);
    this.#end = position;
  }

  /** Forgets every sample before `position` (clamped to what is retained; inside a hole, the whole hole goes). */
  dropBefore(position: number): void {
    let pos = Math.min(position, this.#end);
    if (pos <= this.#start) return;
    const holes = this.#holes;
    for (let i = 0; i < holes.length; i += 2) {
      if (holes[i]! < pos && pos < holes[i + 1]!) {
        pos = holes[i + 1]!;
        break;
      }
    }
    const stored = this.#stored(pos);
    let k = 0;
    while (k < holes.length && holes[k + 1]! <= pos) k += 2;
    if (k > 0) this.#holes = holes.slice(k);
    this.#start = pos;
    this.#storedStart = stored;
  }

  /** Whether a block is wholly before the first retained sample (what {@link release} would hand back). */
  get releasable(): boolean {
    return this.#blocks.length > 0 && this.#base + this.#blockSamples <= this.#storedStart;
  }

  /** Hands the blocks wholly before the first retained sample back to the pool. */
  release(): void {
    let n = 0;
    while (n < this.#blocks.length && this.#base + (n + 1) * this.#blockSamples <= this.#storedStart) n++;
    for (let i = 0; i < n; i++) this.#retire(this.#blocks.shift()!);
    this.#base += n * this.#blockSamples;
  }

  /** Hands every block back to the pool: the stream is over. Reads return `null` after it. */
  clear(): void {
    for (const block of this.#blocks) this.#retire(block);
    this.#blocks.length = 0;
    this.#holes = [];
    this.#base = this.#storedStart = this.#storedEnd;
    this.#start = this.#end;
  }

  /**
   * The retained samples from `from` up to `until` (or the end, or the next
   * hole), interleaved; `null` when nothing is retained at `from` (before
   * the start, at the end, or in a hole). A view of a block, or a copy where
   * the span crosses a block's end.
   */
  read(from: number, until: number): Int16Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    let stop = Math.min(until, this.#end);
    if (this.#holes.length > 0) {
      const hole = this.nextHole(from);
      if (hole) {
        if (hole.start <= from) return null;
        stop = Math.min(stop, hole.start);
      }
    }
    const ch = this.channels;
    const size = this.#blockSamples;
    const rel = this.#stored(from) - this.#base;
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
