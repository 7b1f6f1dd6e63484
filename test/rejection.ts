// A test helper shared by the packages' unit tests, core's included: it
// imports nothing but core's errors module (no node:*, no test framework), so
// it runs unchanged under vitest on Node and Deno and under `bun test`.
// It lives outside packages/*, so no published package ships it.
import { SttError } from '../packages/core/src/errors.ts';

/**
 * The `SttError` that `p` rejects with. Throws (failing the test) when `p`
 * fulfils or rejects with anything else.
 *
 * @example Assert on the error's fields
 * ```ts
 * const err = await rejection(transcribe(audio, { model: 'm' }));
 * expect(err.code).toBe('invalid_input');
 * ```
 */
export async function rejection(p: Promise<unknown>): Promise<SttError> {
  let outcome: { value: unknown } | { error: unknown };
  try {
    outcome = { value: await p };
  } catch (error) {
    outcome = { error };
  }
  if (!('error' in outcome)) throw new Error('expected a rejection, but the promise fulfilled');
  if (!(outcome.error instanceof SttError)) {
    throw new Error(`expected a rejection with an SttError, got ${String(outcome.error)}`, { cause: outcome.error });
  }
  return outcome.error;
}
