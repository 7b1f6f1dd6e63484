/**
 * The allocator of replay blocks: spare blocks by length, handed out and
 * taken back. A process with many streams gives them one pool (the
 * transcriber does), so that a block one stream let go is the next block
 * another takes: memory that is already resident is reused instead of fresh
 * memory being asked for (and the garbage collector made to account for it)
 * at every stream's growth. Tests give each stream its own.
 *
 * @module
 */

/** The most a pool keeps for later by default: past it, a returned block is left to the garbage collector. */
export const MAX_SPARE_BYTES = 16 * 1024 * 1024;

/**
 * Spare `Int16Array` blocks by length, bounded in bytes.
 *
 * @example
 * ```ts
 * const pool = new BlockPool();
 * const block = pool.take(8192); // a fresh block: the pool was empty
 * pool.give(block);              // kept for the next take of 8192
 * pool.spareBytes;               // 16384
 * ```
 */
export class BlockPool {
  readonly maxSpareBytes: number;
  readonly #spare = new Map<number, Int16Array[]>();
  #spareBytes = 0;

  constructor(maxSpareBytes: number = MAX_SPARE_BYTES) {
    this.maxSpareBytes = maxSpareBytes;
  }

  /** Bytes the pool holds for later. */
  get spareBytes(): number {
    return this.#spareBytes;
  }

  /** A block of `length` values. Not zeroed: a stream reads only positions it wrote itself. */
  take(length: number): Int16Array {
    const block = this.#spare.get(length)?.pop();
    if (!block) return new Int16Array(length);
    this.#spareBytes -= block.byteLength;
    return block;
  }

  /** Takes a block back (dropped instead when the pool is full). */
  give(block: Int16Array): void {
    if (this.#spareBytes + block.byteLength > this.maxSpareBytes) return;
    let list = this.#spare.get(block.length);
    if (!list) this.#spare.set(block.length, (list = []));
    list.push(block);
    this.#spareBytes += block.byteLength;
  }
}
