/**
 * Canonical JSON for the conformance output: keys sorted, every non-integer
 * number rounded to the millisecond (3 decimals), ids removed, `undefined`
 * dropped. Two runtimes that behave the same print the same bytes.
 *
 * Runtime-agnostic: no `node:*`, no runtime globals (it also runs in Chromium).
 *
 * @module
 */

/** Keys whose values differ from run to run by design (counters, UUIDs). */
const ID_KEYS = new Set(['id', 'sessionId', 'session_id', 'requestId', 'request_id']);

function normalize(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isInteger(value) || !Number.isFinite(value)) return value;
    const rounded = Math.round(value * 1000) / 1000;
    return Object.is(rounded, -0) ? 0 : rounded;
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || ID_KEYS.has(key)) continue;
      out[key] = normalize(v);
    }
    return out;
  }
  return value;
}

/**
 * One canonical JSON line.
 *
 * @example
 * ```ts
 * canonicalJson({ b: 0.12345, a: 1, sessionId: 'x' }); // '{"a":1,"b":0.123}'
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}
