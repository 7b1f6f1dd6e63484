/**
 * How the audio functions' argument checks name what they were given: one
 * copy for the modules of `audio/` (each had its own). The resampler keeps
 * its own: it loads on demand, in a chunk of its own, and an import from here
 * would cost that chunk's users more than the copy.
 *
 * @module
 */

/** The built-in type of `value`: `Float32Array`, `Object`, `Null`, `Undefined`, … */
export function kindOf(value: unknown): string {
  return Object.prototype.toString.call(value).slice(8, -1);
}

/** A number as itself, a string quoted, anything else by {@link kindOf}. */
export function describeValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value === 'string' ? JSON.stringify(value) : kindOf(value);
}

/**
 * Throws the TypeError of a function whose `input` must be a Float32Array.
 *
 * @example
 * ```ts
 * assertFloat32Input(new Float32Array(4)); // passes
 * ```
 */
export function assertFloat32Input(input: unknown): asserts input is Float32Array {
  if (!(input instanceof Float32Array)) {
    throw new TypeError(`Invalid argument: \`input\` must be a Float32Array, got ${kindOf(input)}`);
  }
}
