/**
 * The audio a stream may still need: everything written since the commit
 * point, as the wire frames that carried it, addressed by stream sample
 * position (per channel).
 *
 * @module
 */

/**
 * The retained audio of a stream: interleaved Int16 samples addressed by
 * stream sample position (per channel), stored in one ring buffer.
 *
 * {@link ReplayBuffer.append} copies the samples in, so the caller may reuse
 * its array at once; dropping from the front only moves a position. Once the
 * ring is as large as the most audio ever retained, a stream of any length
 * costs no allocation at all (nothing for the garbage collector to trace or
 * free). When more must be retained than fits, the ring grows (a copy): to
 * `maxCapacity` at once where one is given, else to twice its size, and
 * never less than needed.
 *
 * Reads are views of the ring, valid until that audio has been dropped and
 * the ring has taken `capacity` more samples: use them at once (send, copy).
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
  #ring: Int16Array;
  #capacity: number;
  readonly #maxCapacity: number;
  readonly #align: number;
  #start = 0;
  #end = 0;

  /**
   * @param channels Interleaved channels.
   * @param options `capacity`: samples per channel the ring holds before it
   *   first grows (allocated at the first append; default 16384).
   *   `maxCapacity`: the size to grow to when it first fills (default none:
   *   it doubles). One step to the largest expected size, so that a ring
   *   that must grow leaves a single smaller ring behind, not several.
   *   `align`: the capacity is always a multiple of it (default 1): with the
   *   wire frame's length, reads of whole frames never straddle the wrap.
   */
  constructor(channels: number, options: { capacity?: number; maxCapacity?: number; align?: number } = {}) {
    this.channels = channels;
    this.#align = Math.max(1, Math.round(options.align ?? 1));
    this.#capacity = this.#aligned(Math.max(1, options.capacity ?? 16384));
    this.#maxCapacity = options.maxCapacity ?? Infinity;
    this.#ring = EMPTY;
  }

  #aligned(samples: number): number {
    return Math.ceil(samples / this.#align) * this.#align;
  }

  /** Samples per channel the ring holds before it grows. */
  get capacity(): number {
    return this.#capacity;
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

  /** Copies interleaved samples in at the end (a whole number of sample frames). */
  append(data: Int16Array): void {
    const n = data.length / this.channels;
    if (n === 0) return;
    if (this.#end - this.#start + n > this.#capacity) this.#grow(this.#end - this.#start + n);
    else if (this.#ring === EMPTY) this.#ring = new Int16Array(this.#capacity * this.channels);
    const ring = this.#ring;
    const at = (this.#end % this.#capacity) * this.channels;
    const first = Math.min(data.length, ring.length - at);
    ring.set(first === data.length ? data : data.subarray(0, first), at);
    if (first < data.length) ring.set(data.subarray(first), 0);
    this.#end += n;
  }

  /** Forgets every sample before `position` (clamped to what is retained). */
  dropBefore(position: number): void {
    const pos = Math.min(position, this.#end);
    if (pos > this.#start) this.#start = pos;
  }

  /**
   * The retained samples from `from` up to `until`, or fewer where the ring
   * wraps around (read on from there). `null` when nothing is retained at
   * `from`.
   */
  read(from: number, until: number): Int16Array | null {
    if (from < this.#start || from >= this.#end || until <= from) return null;
    const stop = Math.min(until, this.#end);
    const at = from % this.#capacity;
    const n = Math.min(stop - from, this.#capacity - at);
    return this.#ring.subarray(at * this.channels, (at + n) * this.channels);
  }

  /** A larger ring with the retained samples at their places. */
  #grow(needed: number): void {
    const old = this.#ring;
    const oldCapacity = this.#capacity;
    const target = Number.isFinite(this.#maxCapacity) ? this.#maxCapacity : oldCapacity * 2;
    this.#capacity = this.#aligned(Math.max(needed, target));
    this.#ring = new Int16Array(this.#capacity * this.channels);
    if (old === EMPTY) return;
    for (let pos = this.#start; pos < this.#end; ) {
      const at = pos % oldCapacity;
      const n = Math.min(this.#end - pos, oldCapacity - at);
      const part = old.subarray(at * this.channels, (at + n) * this.channels);
      const to = (pos % this.#capacity) * this.channels;
      const first = Math.min(part.length, this.#ring.length - to);
      this.#ring.set(part.subarray(0, first), to);
      if (first < part.length) this.#ring.set(part.subarray(first), 0);
      pos += n;
    }
  }
}

const EMPTY = new Int16Array(0);
