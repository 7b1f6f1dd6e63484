/**
 * The audio a stream may still need: everything written since the commit
 * point, as the wire frames that carried it, addressed by stream sample
 * position (per channel).
 *
 * @module
 */

/**
 * A queue of interleaved Int16 frames addressed by sample position. Dropping
 * from the front and reading from any retained position are cheap; frames are
 * never copied (reads are `subarray` views).
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
  #chunks: Int16Array[] = [];
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

  /** Appends one frame at the end. */
  append(data: Int16Array): void {
    if (data.length === 0) return;
    this.#chunks.push(data);
    this.#starts.push(this.#end);
    this.#end += data.length / this.channels;
  }

  /** Forgets every sample before `position` (clamped to what is retained). */
  dropBefore(position: number): void {
    const pos = Math.min(position, this.#end);
    if (pos <= this.#start) return;
    while (this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head]!;
      const chunkStart = this.#starts[this.#head]!;
      const chunkEnd = chunkStart + chunk.length / this.channels;
      if (chunkEnd <= pos) {
        this.#head++;
        continue;
      }
      if (chunkStart < pos) {
        this.#chunks[this.#head] = chunk.subarray((pos - chunkStart) * this.channels);
        this.#starts[this.#head] = pos;
      }
      break;
    }
    this.#start = pos;
    if (this.#head > 256 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#starts = this.#starts.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * The retained samples from `from` to the end of the frame that holds it,
   * but not past `until`. `null` when nothing is retained at `from`.
   */
  read(from: number, until: number): Int16Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    let lo = this.#head;
    let hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= from) lo = mid;
      else hi = mid - 1;
    }
    const chunk = this.#chunks[lo]!;
    const chunkStart = this.#starts[lo]!;
    const chunkEnd = chunkStart + chunk.length / this.channels;
    const stop = Math.min(chunkEnd, until);
    return chunk.subarray((from - chunkStart) * this.channels, (stop - chunkStart) * this.channels);
  }
}
