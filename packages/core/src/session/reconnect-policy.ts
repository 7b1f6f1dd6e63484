/**
 * The reconnect policy: the one place that decides what a dropped, refused
 * or stalled connection leads to. One table from close code, refusal status
 * and local condition to an action, one backoff formula, one retry budget
 * with one reset rule. Pure: time and randomness come in as arguments.
 *
 * @module
 */
import { MAX_RETRY_AFTER_MS, SttError, createSttError, type ErrorEnvelope, type SttErrorCode, type SttErrorOptions } from '../errors.ts';

/** Reconnect settings, resolved (see `ReconnectOptions`). */
export interface ReconnectSettings {
  /** Failed attempts in one incident before the stream fails with `connection_failed`. */
  retries: number;
  /** The first delay, and the least time between two attempts. */
  minDelayMs: number;
  /** The longest delay between two attempts (applied after jitter). */
  maxDelayMs: number;
  /** The most time one incident (from its first failure) may take before the stream fails. */
  maxRetryTimeMs: number;
}


/**
 * A connection that lasted at least this long may be closed with 4008 or
 * 4010 (idle, maximum session length) without that counting as a failure.
 */
export const MIN_UPTIME_MS = 10_000;

/** What a client does on a close code (PROTOCOL.md, "Close codes"). */
export type CloseAction = 'done' | 'reconnect' | 'reconnect_now' | 'reconnect_when_audio' | 'fail';

/** One row of the close-code table. */
export interface CloseCodeInfo {
  code: SttErrorCode;
  action: CloseAction;
  message: string;
}

const CLOSE_CODES: Record<number, CloseCodeInfo> = {
  1000: { code: 'connection_lost', action: 'done', message: 'closed normally' },
  1001: { code: 'connection_lost', action: 'reconnect', message: 'the server is going away' },
  1006: { code: 'connection_lost', action: 'reconnect', message: 'the connection dropped with no close frame' },
  // The peer broke the WebSocket protocol (a transport reports these too, e.g. for a
  // message over its size limit): trying again would meet the same peer.
  1002: { code: 'protocol_error', action: 'fail', message: 'the WebSocket protocol was broken' },
  1007: { code: 'protocol_error', action: 'fail', message: 'a message was not valid for its type' },
  1009: { code: 'protocol_error', action: 'fail', message: 'a message was larger than the limit' },
  1011: { code: 'server_error', action: 'reconnect', message: 'the server hit an internal error' },
  1012: { code: 'service_restart', action: 'reconnect', message: 'the service is restarting' },
  1013: { code: 'service_restart', action: 'reconnect', message: 'the service asked us to try again later' },
  4000: { code: 'invalid_input', action: 'fail', message: 'the server refused our input' },
  4001: { code: 'unauthenticated', action: 'fail', message: 'missing or invalid credentials' },
  4002: { code: 'insufficient_quota', action: 'fail', message: 'out of credit' },
  4008: { code: 'idle_timeout', action: 'reconnect_when_audio', message: 'no message for too long' },
  4010: { code: 'session_limit', action: 'reconnect_now', message: 'the session reached its maximum length' },
  4029: { code: 'rate_limited', action: 'reconnect', message: 'rate limited' },
  4502: { code: 'provider_unavailable', action: 'reconnect', message: 'every provider for the model is unavailable' },
};

/**
 * What a close code means: the error code it maps to and what the client does.
 * Unknown codes in 4000–4499 fail; every other unknown code reconnects.
 *
 * @example
 * ```ts
 * describeCloseCode(4029).action; // 'reconnect'
 * ```
 */
export function describeCloseCode(closeCode: number): CloseCodeInfo {
  const known = CLOSE_CODES[closeCode];
  if (known) return known;
  if (closeCode >= 4000 && closeCode < 4500) return { code: 'invalid_input', action: 'fail', message: `closed with code ${closeCode}` };
  return { code: 'connection_lost', action: 'reconnect', message: `closed with code ${closeCode}` };
}

/**
 * Makes the error for a close, preferring the server's own `error` message
 * when it sent one just before closing.
 *
 * @example
 * ```ts
 * errorFromClose(4001, '').code; // 'unauthenticated'
 * ```
 */
export function errorFromClose(closeCode: number, reason: string, serverError?: ErrorEnvelope['error']): SttError {
  const info = describeCloseCode(closeCode);
  const code = serverError?.code ?? info.code;
  const detail = serverError?.message ?? (reason || info.message);
  const options: SttErrorOptions = { closeCode, retryable: info.action !== 'fail' };
  if (serverError?.param !== undefined) options.param = serverError.param;
  if (serverError?.retry_after !== undefined) options.retryAfterMs = Math.min(MAX_RETRY_AFTER_MS, serverError.retry_after * 1000);
  return createSttError(code, `Connection closed (${closeCode}): ${detail}`, options);
}

/** Why a connection ended or could not be made: the input of {@link ReconnectPolicy.decide}. */
export type DropCause =
  /** The server (or the network) closed an open connection. */
  | { kind: 'closed'; code: number; reason: string; serverError?: ErrorEnvelope['error'] | undefined }
  /** Opening failed: refused upgrade, unreachable, handshake timeout, credentials. */
  | { kind: 'refused'; error: unknown }
  /** Local conditions: nothing drained or answered, or no `session.started`, within their bounds. */
  | { kind: 'stalled'; message: string };

/** What the connection's life looked like, for the decision. */
export interface DropContext {
  now: number;
  /** The connection got `session.ended` (so a 1000 after it is a normal end). */
  sessionEnded: boolean;
  /** The writer has ended and every sample was sent on this connection. */
  endedAndAllSent: boolean;
  /** Audio or markers wait: unconfirmed audio, unsent audio, a pending finalize or end. */
  pending: boolean;
  /** How long the connection was open (0 when it never opened). */
  uptimeMs: number;
}

/** The outcome of {@link ReconnectPolicy.decide}. */
export type Decision =
  | { action: 'done' }
  | { action: 'fail'; error: SttError | TypeError }
  /** Reconnect after `delayMs`; `attempt` counts the failures of this incident (0 when it was not one). */
  | { action: 'reconnect'; delayMs: number; attempt: number; error: SttError }
  /** Nothing to send: stay disconnected until audio comes again. */
  | { action: 'idle'; error: SttError };

/**
 * The backoff before attempt `failures` (1, 2, …) of an incident:
 * `minDelayMs · 2^(failures−1)`, times a jitter factor in [1, 2), then
 * capped at `maxDelayMs`: never under `minDelayMs`, never over
 * `maxDelayMs`. A server-given `retryAfterMs` replaces it (capped at
 * {@link MAX_RETRY_AFTER_MS}, never under `minDelayMs`).
 *
 * @example
 * ```ts
 * backoffDelay(3, { minDelayMs: 500, maxDelayMs: 5000 }, 0); // 2000
 * ```
 */
export function backoffDelay(
  failures: number,
  settings: Pick<ReconnectSettings, 'minDelayMs' | 'maxDelayMs'>,
  random: number,
  retryAfterMs?: number,
): number {
  const { minDelayMs, maxDelayMs } = settings;
  if (retryAfterMs !== undefined) return Math.max(minDelayMs, Math.min(MAX_RETRY_AFTER_MS, retryAfterMs));
  const raw = minDelayMs * 2 ** Math.max(0, failures - 1) * (1 + random);
  return Math.round(Math.max(minDelayMs, Math.min(maxDelayMs, raw)));
}

/**
 * The retry budget and the decision table. One incident runs from the first
 * failure after real progress to the next real progress ({@link progress}:
 * a final that moved the commit point); within it, at most `retries`
 * failures and `maxRetryTimeMs` of trying. Time alone never resets it.
 *
 * @example
 * ```ts
 * const policy = new ReconnectPolicy({ retries: 3, minDelayMs: 500, maxDelayMs: 5000, maxRetryTimeMs: 20000 });
 * policy.decide({ kind: 'closed', code: 1006, reason: '' }, { now: 0, sessionEnded: false, endedAndAllSent: false, pending: true, uptimeMs: 100 });
 * // { action: 'reconnect', delayMs: 500…1000, attempt: 1, error: SttError connection_lost }
 * ```
 */
export class ReconnectPolicy {
  readonly settings: ReconnectSettings | false;
  readonly #random: () => number;
  #failures = 0;
  #incidentStart = -1;

  constructor(settings: ReconnectSettings | false, random: () => number = Math.random) {
    this.settings = settings;
    this.#random = random;
  }

  /** Failures counted in the current incident. */
  get failures(): number {
    return this.#failures;
  }

  /** Real progress (a final moved the commit point): the incident is over. */
  progress(): void {
    this.#failures = 0;
    this.#incidentStart = -1;
  }

  /** What to do about a connection that ended or could not be made. */
  decide(cause: DropCause, ctx: DropContext): Decision {
    let error: SttError | TypeError;
    let action: CloseAction;
    if (cause.kind === 'closed') {
      const info = describeCloseCode(cause.code);
      error = errorFromClose(cause.code, cause.reason, cause.serverError);
      action = info.action;
      if (action === 'done') {
        if (ctx.sessionEnded && ctx.endedAndAllSent) return { action: 'done' };
        // A 1000 before `session.ended` (a draining gateway, a proxy): a drop,
        // or, with nothing waiting, the same as an idle close.
        error = createSttError('connection_lost', `Connection closed (1000) before the session ended${cause.reason ? `: ${cause.reason}` : ''}`, {
          closeCode: 1000,
        });
        action = ctx.pending ? 'reconnect' : 'reconnect_when_audio';
      }
      if (cause.serverError?.retry_after !== undefined && action === 'reconnect_now') action = 'reconnect';
    } else if (cause.kind === 'refused') {
      const e = cause.error;
      // An SttError says itself whether to try again; a TypeError from a
      // transport (a bad URL, no WebSocket in this runtime) is the caller's to fix.
      if (e instanceof SttError) {
        error = e;
        action = e.retryable ? 'reconnect' : 'fail';
      } else if (e instanceof TypeError) {
        error = e;
        action = 'fail';
      } else {
        error = createSttError('connection_failed', `Cannot connect: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        action = 'reconnect';
      }
    } else {
      error = createSttError('connection_lost', `Connection dropped: ${cause.message}`, { closeCode: 1006 });
      action = 'reconnect';
    }

    if (action === 'fail' || this.settings === false) return { action: 'fail', error };
    const err = error as SttError;
    // 4008 / 4010 after a long connection are part of a normal long session.
    const routine = ctx.uptimeMs >= MIN_UPTIME_MS;
    if (action === 'reconnect_when_audio') {
      if (!ctx.pending) return { action: 'idle', error: err };
      if (routine) return { action: 'reconnect', delayMs: 0, attempt: 0, error: err };
    } else if (action === 'reconnect_now' && routine) {
      return { action: 'reconnect', delayMs: 0, attempt: 0, error: err };
    }
    // A failure: counts against the budget and backs off.
    if (this.#incidentStart < 0) this.#incidentStart = ctx.now;
    this.#failures++;
    const { retries, maxRetryTimeMs } = this.settings;
    const delayMs = backoffDelay(this.#failures, this.settings, this.#random(), err.retryAfterMs);
    const elapsed = ctx.now - this.#incidentStart;
    if (this.#failures > retries || elapsed + delayMs > maxRetryTimeMs) {
      const why = this.#failures > retries ? `${this.#failures} failed attempt(s)` : `${(elapsed / 1000).toFixed(1)} s of reconnecting`;
      return {
        action: 'fail',
        error: createSttError('connection_failed', `Gave up after ${why}; last: ${err.code}: ${err.message}`, {
          cause: err,
          retryable: false,
          ...(err.status !== undefined ? { status: err.status } : {}),
          ...(err.closeCode !== undefined ? { closeCode: err.closeCode } : {}),
        }),
      };
    }
    return { action: 'reconnect', delayMs, attempt: this.#failures, error: err };
  }
}
