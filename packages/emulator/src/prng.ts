/**
 * A small seeded PRNG for callers that build random (but repeatable) fault
 * plans or fixtures. The emulator itself never draws random numbers.
 *
 * `mulberry32(seed)` returns a function that yields floats in [0, 1); the
 * same seed always gives the same sequence.
 *
 * @example Pick a repeatable drop time
 * ```ts
 * const random = mulberry32(42);
 * const plan: FaultPlan = { drop: { afterMs: 100 + Math.floor(random() * 900) } };
 * ```
 *
 * @module
 */
export { mulberry32 } from '@stt-stream/core/internal';
