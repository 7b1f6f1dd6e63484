/**
 * A small seeded PRNG for callers that build random (but repeatable) fault
 * plans or fixtures. The emulator itself never draws random numbers.
 *
 * @module
 */

/**
 * Mulberry32: a fast 32-bit seeded generator. Returns a function that yields
 * floats in [0, 1); the same seed always gives the same sequence.
 *
 * @param seed any integer (taken modulo 2³²)
 *
 * @example Pick a repeatable drop time
 * ```ts
 * const random = mulberry32(42);
 * const plan: FaultPlan = { drop: { afterMs: 100 + Math.floor(random() * 900) } };
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
