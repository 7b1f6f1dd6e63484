/**
 * What a failed request's error says about why: `fetch failed` (undici)
 * and similar wrappers hold the reason (`connect ECONNREFUSED …`,
 * `getaddrinfo ENOTFOUND …`, a TLS error) down their `cause` chain.
 *
 * @module
 */

const GENERIC = /^(fetch failed|failed to fetch|network ?error|load failed|networkerror when attempting to fetch resource\.?)$/i;

/** An error's own text: its message, else its `code`. */
function own(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return typeof err === 'string' ? err : '';
}

/**
 * The reason a request failed, in words: the deepest cause's message (or
 * the messages of an `AggregateError`'s errors, such as one per address
 * tried), without the generic wrappers above it.
 *
 * @example
 * ```ts
 * describeNetworkError(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8080') }));
 * // 'connect ECONNREFUSED 127.0.0.1:8080'
 * ```
 */
export function describeNetworkError(err: unknown): string {
  const chain: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && chain.length < 8 && !chain.includes(e); e = (e as { cause?: unknown }).cause) chain.push(e);
  for (let i = chain.length - 1; i >= 0; i--) {
    const e = chain[i];
    const parts = e instanceof AggregateError && e.errors.length > 0 ? [...new Set(e.errors.map(own).filter(Boolean))] : [own(e)];
    const text = parts.join('; ');
    if (text && (!GENERIC.test(text) || i === 0)) return text;
  }
  return String(err);
}
