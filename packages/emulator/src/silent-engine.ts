/**
 * The engine that hears nothing: for benchmarks of the transport alone.
 *
 * @module
 */
import type { Engine, EngineFactory } from './engine.ts';

/**
 * Creates an engine that emits no events at all.
 *
 * @example Benchmark without recognition
 * ```ts
 * const emulator = await startEmulator({ engine: 'silent' });
 * // or, explicitly:
 * const other = await startEmulator({ engine: createSilentEngine });
 * ```
 */
export const createSilentEngine: EngineFactory = (): Engine => ({
  push: () => [],
  finalize: () => [],
  end: () => [],
});
