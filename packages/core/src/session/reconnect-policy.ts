/**
 * The reconnect policy: the one place that decides what a dropped, refused
 * or stalled connection leads to. One table from close code, refusal status
 * and local condition to an action, the retry rule of `retry.ts` (backoff,
 * `Retry-After`, the budget), one reset rule, and the record of what the
 * server did since the last progress (what a failure's message tells). Pure:
 * time and randomness come in as arguments.
 *
 * @module
 */
import { SttError, createSttError, type ErrorEnvelope, type SttErrorCode, type SttErrorOptions } from '../errors.ts';
import { nextRetry } from '../retry.ts';

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

/** What a client does on a close code (docs/protocol.md, "Close codes"). */
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
  if (serverError?.retry_after !== undefined) options.retryAfterMs = serverError.retry_after * 1000;
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
  | { action: 'done'; error?: SttError }
  | { action: 'fail'; error: SttError | TypeError }
  /** Reconnect after `delayMs`; `attempt` counts the failures of this incident (0 when it was not one). */
  | { action: 'reconnect'; delayMs: number; attempt: number; error: SttError }
  /** Nothing to send: stay disconnected until audio comes again. */
  | { action: 'idle'; error: SttError };

/** One drop since the last progress, as a failure's message tells it. */
interface DropRecord {
  /** What happened, e.g. "closed with 4010 (session_limit)". */
  what: string;
  /** It came within a second of the connection opening (or it never opened). */
  early: boolean;
  /** The connection had opened (a refusal never did). */
  opened: boolean;
  /** How long the connection was open, ms (0 when it never opened). */
  uptimeMs: number;
}

/** Drops kept for the story of an incident: the most recent. */
const MAX_RECORDS = 32;

/** How a cause reads in a failure's message. */
function describeDrop(cause: DropCause, error: SttError | TypeError): string {
  if (cause.kind === 'closed') return `closed with ${cause.code} (${error instanceof SttError ? error.code : describeCloseCode(cause.code).code})`;
  if (cause.kind === 'stalled') return 'stalled';
  if (error instanceof SttError && error.status !== undefined) return `refused with ${error.status} (${error.code})`;
  return `not opened (${error instanceof SttError ? error.code : error.name})`;
}

/**
 * The retry budget, the decision table and the record of the incident. One
 * incident runs from the first failure after real progress to the next real
 * progress ({@link ReconnectPolicy.progress}: a final that moved the commit
 * point); within it, at most `retries` failures and `maxRetryTimeMs` of
 * trying. Time alone never resets it.
 *
 * @example
 * ```ts
 * const policy = new ReconnectPolicy({ retries: 3, minDelayMs: 500, maxDelayMs: 5000, maxRetryTimeMs: 20000 }, () => 0.5);
 * policy.decide({ kind: 'closed', code: 1006, reason: '' }, { now: 0, sessionEnded: false, endedAndAllSent: false, pending: true, uptimeMs: 100 });
 * // { action: 'reconnect', delayMs: 750, attempt: 1, error: SttError connection_lost }
 * ```
 */
export class ReconnectPolicy {
  readonly settings: ReconnectSettings | false;
  readonly #random: () => number;
  #failures = 0;
  #incidentStart = -1;
  #drops: DropRecord[] = [];
  #lastError: SttError | undefined;

  constructor(settings: ReconnectSettings | false, random: () => number) {
    this.settings = settings;
    this.#random = random;
  }

  /** Failures counted in the current incident. */
  get failures(): number {
    return this.#failures;
  }

  /** The error of the latest drop since the last progress, if any. */
  get lastError(): SttError | undefined {
    return this.#lastError;
  }

  /** Real progress (a final moved the commit point): the incident is over, and its record. */
  progress(): void {
    this.#failures = 0;
    this.#incidentStart = -1;
    this.#drops = [];
    this.#lastError = undefined;
  }

  /**
   * What the server did since the last progress, in words: the latest run
   * of drops that came the same way ("6 connections in a row were closed
   * with 4010 (session_limit) right after opening"), or the latest drop;
   * `''` when there was none.
   */
  story(): string {
    const drops = this.#drops;
    const last = drops[drops.length - 1];
    if (!last) return '';
    let run = 1;
    while (run < drops.length && drops[drops.length - 1 - run]!.what === last.what && drops[drops.length - 1 - run]!.early === last.early) run++;
    const early = last.early && last.opened ? ' right after opening' : '';
    if (run > 1) return `${run} ${last.opened ? 'connections' : 'connection attempts'} in a row were ${last.what}${early}`;
    const after = last.opened ? ` ${(last.uptimeMs / 1000).toFixed(1)} s after opening` : '';
    return `the last ${last.opened ? 'connection' : 'connection attempt'} was ${last.what}${after}`;
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
        // Done; an `error` the server sent before ending normally is told, with the close as it came.
        if (ctx.sessionEnded && ctx.endedAndAllSent) return cause.serverError ? { action: 'done', error: error as SttError } : { action: 'done' };
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
    this.#lastError = err;
    // "right after opening" tells of a server that closes at once; a stall takes its bound's time by definition.
    const early = cause.kind === 'closed' && ctx.uptimeMs < 1000;
    this.#drops.push({ what: describeDrop(cause, err), early, opened: cause.kind !== 'refused', uptimeMs: ctx.uptimeMs });
    if (this.#drops.length > MAX_RECORDS) this.#drops.shift();
    // 4008 / 4010 after a long connection are part of a normal long session.
    const routine = ctx.uptimeMs >= MIN_UPTIME_MS;
    if (action === 'reconnect_when_audio') {
      if (!ctx.pending) return { action: 'idle', error: err };
      if (routine) return { action: 'reconnect', delayMs: 0, attempt: 0, error: err };
    } else if (action === 'reconnect_now' && routine) {
      return { action: 'reconnect', delayMs: 0, attempt: 0, error: err };
    }
    // A failure: counts against the budget and backs off (or waits what the server asked).
    if (this.#incidentStart < 0) this.#incidentStart = ctx.now;
    this.#failures++;
    const { retries } = this.settings;
    const step = nextRetry(this.#failures, ctx.now - this.#incidentStart, this.settings, this.#random(), err.retryAfterMs, '`reconnect.maxRetryTimeMs`');
    if (this.#failures > retries || step.reason !== undefined) {
      const why = this.#failures > retries ? `${this.#failures} failed attempts (\`reconnect.retries\` is ${retries})` : step.reason!;
      return {
        action: 'fail',
        error: createSttError('connection_failed', `Gave up reconnecting after ${why}: ${this.story()}; last: ${err.code}: ${err.message}`, {
          cause: err,
          retryable: false,
          ...(err.status !== undefined ? { status: err.status } : {}),
          ...(err.closeCode !== undefined ? { closeCode: err.closeCode } : {}),
          ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
        }),
      };
    }
    return { action: 'reconnect', delayMs: step.delayMs, attempt: this.#failures, error: err };
  }
}
