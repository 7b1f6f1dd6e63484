/**
 * The audio a stream may still need: everything written since the commit
 * point, as the wire frames that carried it, addressed by stream sample
 * position (per channel).
 *
 * @module
 */

/**
 * A queue of interleaved Int16 audio addressed by sample position. Dropping
 * from the front and reading from any retained position are cheap; audio is
 * never copied (reads are `subarray` views of what was appended).
 *
 * Appended arrays that continue one another in the same `ArrayBuffer` (as
 * consecutive {@link FrameChunker} frames do) are kept as one run: the buffer
 * holds a few numbers per run, not an object per frame, so a long window
 * costs the garbage collector next to nothing.
 *
 * @example
 * ```ts
 * const buf = new ReplayBuffer(1);
 * buf.append(new Int16Array(1600));  // samples 0..1600
 * buf.dropBefore(400);               // a final committed the first 25 ms
 * buf.read(400, Infinity)?.length;   // 1200
 * ```
 */
export class ReplayBuffer {
  readonly channels: number;
  /** Per run: the whole `ArrayBuffer` as Int16, the index of the run's first retained sample in it, and its stream position. */
  #blocks: Int16Array[] = [];
  #offsets: number[] = [];
  #starts: number[] = [];
  #head = 0;
  #start = 0;
  #end = 0;

  constructor(channels: number) {
    this.channels = channels;
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

  /**
   * Appends samples at the end. The array is kept, not copied: it must not
   * be changed afterwards.
   */
  append(data: Int16Array): void {
    if (data.length === 0) return;
    const last = this.#blocks.length - 1;
    const index = data.byteOffset >> 1; // an Int16Array's offset is always even
    if (
      last >= this.#head &&
      this.#blocks[last]!.buffer === data.buffer &&
      this.#offsets[last]! + (this.#end - this.#starts[last]!) * this.channels === index
    ) {
      // The next frame of the same block: the run grows.
      this.#end += data.length / this.channels;
      return;
    }
    this.#blocks.push(new Int16Array(data.buffer, 0, data.buffer.byteLength >> 1));
    this.#offsets.push(index);
    this.#starts.push(this.#end);
    this.#end += data.length / this.channels;
  }

  /** Forgets every sample before `position` (clamped to what is retained). */
  dropBefore(position: number): void {
    const pos = Math.min(position, this.#end);
    if (pos <= this.#start) return;
    const last = this.#blocks.length - 1;
    while (this.#head < last && this.#starts[this.#head + 1]! <= pos) this.#head++;
    this.#offsets[this.#head]! += (pos - this.#starts[this.#head]!) * this.channels;
    this.#starts[this.#head] = pos;
    this.#start = pos;
    if (this.#head > 64 && this.#head * 2 > this.#blocks.length) {
      this.#blocks = this.#blocks.slice(this.#head);
      this.#offsets = this.#offsets.slice(this.#head);
      this.#starts = this.#starts.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The retained samples from `from` to the end of the run that holds it,
   * but not past `until`. `null` when nothing is retained at `from`.
   */
  read(from: number, until: number): Int16Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    let lo = this.#head;
    let hi = this.#blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= from) lo = mid;
      else hi = mid - 1;
    }
    const runStart = this.#starts[lo]!;
    const runEnd = lo + 1 < this.#blocks.length ? this.#starts[lo + 1]! : this.#end;
    const stop = Math.min(runEnd, until);
    const base = this.#offsets[lo]! - runStart * this.channels;
    return this.#blocks[lo]!.subarray(base + from * this.channels, base + stop * this.channels);
  }
}
