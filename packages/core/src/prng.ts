/**
 * A small seeded PRNG, for what must be random but repeatable: the tests'
 * noise and runs (a printed seed replays them), the emulator's fixtures and
 * fault plans. The packages themselves draw no seeded numbers.
 *
 * @module
 */

/**
 * Mulberry32: a fast 32-bit seeded generator. Returns a function that yields
 * floats in [0, 1); the same seed always gives the same sequence.
 *
 * @param seed any integer (taken modulo 2³²)
 *
 * @example Repeatable noise
 * ```ts
 * const random = mulberry32(42);
 * const noise = Int16Array.from({ length: 160 }, () => Math.round((random() - 0.5) * 2000));
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
