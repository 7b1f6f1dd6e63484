/**
 * The batch client's attempt loop: p-retry makes the attempts (`retries`,
 * `signal`, which errors are retried), and every wait between them comes from
 * the one retry rule of `../retry.ts` (backoff with jitter, a server's
 * `Retry-After` instead, the `maxRetryTimeMs` budget); p-retry adds no delay
 * of its own.
 *
 * @module
 */
import pRetry from 'p-retry';
import { SttError, createSttError } from '../errors.ts';
import { nextRetry, type RetryTiming } from '../retry.ts';

/** The batch client's retry settings, resolved. */
export interface BatchRetrySettings extends RetryTiming {
  /** Attempts after the first. */
  retries: number;
}

/**
 * What `onRetry` is told before each wait: the failure, the wait, and the
 * number of the attempt that follows it (2 for the first retry).
 */
export interface BatchRetryInfo {
  /** The attempt that follows the wait: 2 for the first retry. */
  attempt: number;
  /** The wait before it, ms: the server's `Retry-After` when it sent one, else the backoff. */
  delayMs: number;
  /** Why the previous attempt failed (`rate_limited`, `server_error`, `timeout`, …); its `retryAfterMs` is what the server asked. */
  error: SttError;
}

/** A wait that a signal ends at once (rejecting with the signal's reason); no timer or listener is left behind. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error of a call the caller aborted (its `cause` the signal's reason). */
export function aborted(signal: AbortSignal | undefined): SttError {
  return createSttError('aborted', 'Transcription was aborted', { cause: signal?.reason, retryable: false });
}

/** What the `onRetry` callback threw: passed through as it is, not taken for a failed attempt. */
class CallbackError {
  constructor(readonly error: unknown) {}
}

/**
 * The server's error, as the call's outcome when the rule says not to try
 * again: the same code, status, `param`, request id, `retryAfterMs` (what the
 * server asked, uncapped) and `cause`, its message followed by why the client
 * gave up.
 */
function gaveUp(error: SttError, attempts: number, reason: string): SttError {
  return createSttError(error.code, `${error.message}; gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, {
    retryable: error.retryable,
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.param !== undefined ? { param: error.param } : {}),
    ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    ...(error.cause !== undefined ? { cause: error.cause } : {}),
  });
}

/**
 * Runs `attempt` until it succeeds, throws an error that is not a retryable
 * `SttError` (or one wrapped in p-retry's `AbortError`), or the rule gives
 * up. After a retryable failure with retries left, the wait is
 * {@link nextRetry}'s: when the next attempt would start past
 * `maxRetryTimeMs` from the first failure (measured on the monotonic clock),
 * the call fails at once with the server's error, its message saying why
 * (see `gaveUp`). When the retries are spent, the last error is thrown as it
 * is. A call whose `signal` fired fails with `aborted` (at once, in a wait
 * too); anything else that is not an `SttError` becomes `connection_failed`.
 *
 * @param onRetry - told before each wait; what it throws ends the call with that error
 * @example
 * ```ts
 * const result = await withRetries(() => send(), { retries: 2, minDelayMs: 500, maxDelayMs: 8000, maxRetryTimeMs: 60_000 }, signal);
 * ```
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  settings: BatchRetrySettings,
  signal: AbortSignal | undefined,
  onRetry?: (info: BatchRetryInfo) => void,
): Promise<T> {
  const retryable = (error: unknown): error is SttError => error instanceof SttError && error.retryable;
  let firstFailure: number | undefined;
  try {
    return await pRetry(attempt, {
      retries: settings.retries,
      // The waits are the rule's, taken in onFailedAttempt: p-retry's own backoff is zero.
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      ...(signal ? { signal } : {}),
      shouldRetry: ({ error }) => retryable(error),
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        // p-retry throws the error itself after this: not retryable, or no retries left.
        if (retriesLeft <= 0 || !retryable(error)) return;
        const now = performance.now();
        firstFailure ??= now;
        const step = nextRetry(attemptNumber, now - firstFailure, settings, Math.random(), error.retryAfterMs, '`maxRetryTimeMs`');
        if (step.reason !== undefined) throw gaveUp(error, attemptNumber, step.reason);
        if (onRetry) {
          try {
            onRetry({ attempt: attemptNumber + 1, delayMs: step.delayMs, error });
          } catch (thrown) {
            throw new CallbackError(thrown);
          }
        }
        await sleep(step.delayMs, signal);
      },
    });
  } catch (err) {
    if (err instanceof CallbackError) throw err.error;
    if (signal?.aborted && !(err instanceof SttError && err.code !== 'aborted')) throw aborted(signal);
    if (err instanceof SttError) throw err;
    throw createSttError('connection_failed', `Transcription failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retryable: false });
  }
}
