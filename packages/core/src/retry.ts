/**
 * The retry rule, one for the batch client and the stream: how long to wait
 * before the next attempt, and when to give up. Pure: time and randomness
 * come in as arguments.
 *
 * - Without a word from the server, the delay before failure `n` (1, 2, …)
 *   is `minDelayMs · 2^(n−1)` times a jitter factor in [1, 2), capped at
 *   `maxDelayMs` (after the jitter), never under `minDelayMs`.
 * - A server's `Retry-After` (the HTTP header, or `retry_after` in an error
 *   envelope before a close) replaces that delay, never under `minDelayMs`.
 * - Either way, an attempt that would start past the retry budget
 *   (`maxRetryTimeMs` from the first failure) is not made: the caller gives
 *   up at once, saying how long the server asked to wait and which option
 *   limits it.
 *
 * @module
 */

/** The settings of the rule (the stream's `reconnect` options, the batch client's retry options). */
/** The largest retry budget (`maxRetryTimeMs`) either client takes: an hour. */
export const MAX_RETRY_TIME_MS = 3_600_000;

/** The batch client's retry timing by default (the stream's is `reconnect`'s, in transcriber/options.ts). */
export const BATCH_RETRY_DEFAULTS: Readonly<{ retries: number } & RetryTiming> = Object.freeze({ retries: 2, minDelayMs: 500, maxDelayMs: 8000, maxRetryTimeMs: 60_000 });

export interface RetryTiming {
  /** The first delay, and the least time between two attempts. */
  minDelayMs: number;
  /** The longest delay without a `Retry-After` (applied after the jitter). */
  maxDelayMs: number;
  /** The most time from the first failure to the start of the last attempt. */
  maxRetryTimeMs: number;
}

/** The outcome of {@link nextRetry}: wait `delayMs`, or give up because of `reason`. */
export type RetryStep = { delayMs: number; reason?: undefined } | { delayMs?: undefined; reason: string };

/**
 * The backoff before failure `failures` (1, 2, …) with jitter `random` in [0, 1).
 *
 * @example
 * ```ts
 * backoffDelay(3, { minDelayMs: 500, maxDelayMs: 5000 }, 0); // 2000
 * ```
 */
export function backoffDelay(failures: number, timing: Pick<RetryTiming, 'minDelayMs' | 'maxDelayMs'>, random: number): number {
  const { minDelayMs, maxDelayMs } = timing;
  const raw = minDelayMs * 2 ** Math.max(0, failures - 1) * (1 + random);
  return Math.round(Math.max(minDelayMs, Math.min(maxDelayMs, raw)));
}

/**
 * What to do after failure `failures`, `elapsedMs` after the first failure
 * of the incident: the delay before the next attempt, or why to give up.
 *
 * @param budgetOption The option that sets `maxRetryTimeMs`, as the caller's API names it (for the message).
 * @example
 * ```ts
 * nextRetry(1, 0, { minDelayMs: 500, maxDelayMs: 5000, maxRetryTimeMs: 20000 }, 0.5, 3_600_000, '`reconnect.maxRetryTimeMs`');
 * // { reason: 'the server asked to wait 3600 s before trying again (Retry-After), longer than `reconnect.maxRetryTimeMs` (20000 ms) allows' }
 * ```
 */
export function nextRetry(
  failures: number,
  elapsedMs: number,
  timing: RetryTiming,
  random: number,
  retryAfterMs: number | undefined,
  budgetOption: string,
): RetryStep {
  const delayMs = retryAfterMs === undefined ? backoffDelay(failures, timing, random) : Math.max(timing.minDelayMs, Math.round(retryAfterMs));
  if (elapsedMs + delayMs <= timing.maxRetryTimeMs) return { delayMs };
  if (retryAfterMs !== undefined) {
    const asked = `the server asked to wait ${formatSeconds(retryAfterMs)} s before trying again (Retry-After)`;
    if (delayMs > timing.maxRetryTimeMs) return { reason: `${asked}, longer than ${budgetOption} (${timing.maxRetryTimeMs} ms) allows` };
    const left = Math.max(0, timing.maxRetryTimeMs - elapsedMs);
    return { reason: `${asked}, more than the ${formatSeconds(left)} s left of ${budgetOption} (${timing.maxRetryTimeMs} ms) after ${formatSeconds(elapsedMs)} s of retrying` };
  }
  return { reason: `${formatSeconds(elapsedMs)} s of retrying, and the next attempt would pass ${budgetOption} (${timing.maxRetryTimeMs} ms)` };
}

/** Seconds with at most one decimal: 3600, 2.5, 0.2. */
function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
