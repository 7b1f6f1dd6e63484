/**
 * The one error envelope of docs/protocol.md ("Errors"), and the codes that go with HTTP
 * statuses and WebSocket close codes.
 *
 * @module
 */
import type { ErrorEnvelope } from '@stt-stream/core/internal';

/**
 * The `error` object of the envelope, as core defines it (the client reads
 * the same type): `code`, `message`, `param?` (the request field the error
 * is about), `retry_after?` (seconds to wait before trying again).
 *
 * @example A rate limit
 * ```ts
 * const body: ErrorBody = { code: 'rate_limited', message: 'Slow down', retry_after: 2 };
 * ```
 */
export type ErrorBody = ErrorEnvelope['error'];

/**
 * Builds `{ "error": { code, message, param? } }`.
 *
 * @example An error about a field
 * ```ts
 * errorEnvelope('invalid_input', 'model_id is required', { param: 'model_id' });
 * // { error: { code: 'invalid_input', message: 'model_id is required', param: 'model_id' } }
 * ```
 */
export function errorEnvelope(code: string, message: string, extra: Omit<Partial<ErrorBody>, 'code' | 'message'> = {}): { error: ErrorBody } {
  const error: ErrorBody = { code, message };
  if (extra.param !== undefined) error.param = extra.param;
  if (extra.retry_after !== undefined) error.retry_after = extra.retry_after;
  return { error };
}

/**
 * The envelope code docs/protocol.md ("Errors") gives an HTTP status.
 *
 * @example Code of a 429
 * ```ts
 * codeForStatus(429); // 'rate_limited'
 * ```
 */
export function codeForStatus(status: number): string {
  switch (status) {
    case 400:
    case 413:
    case 415:
    case 426:
      return 'invalid_input';
    case 401:
    case 403:
      return 'unauthenticated';
    case 402:
      return 'insufficient_quota';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 408:
      return 'timeout';
    case 429:
      return 'rate_limited';
    case 502:
      return 'provider_unavailable';
    default:
      return status >= 500 ? 'server_error' : 'invalid_input';
  }
}

/**
 * The envelope code sent in the `error` message before a 4xxx close, or
 * `undefined` for a code that gets no `error` message (1xxx).
 *
 * @example Code of close 4029
 * ```ts
 * codeForClose(4029); // 'rate_limited'
 * ```
 */
export function codeForClose(closeCode: number): string | undefined {
  switch (closeCode) {
    case 4000:
      return 'invalid_input';
    case 4001:
      return 'unauthenticated';
    case 4002:
      return 'insufficient_quota';
    case 4008:
      return 'idle_timeout';
    case 4010:
      return 'session_limit';
    case 4029:
      return 'rate_limited';
    case 4502:
      return 'provider_unavailable';
    default:
      return closeCode >= 4000 && closeCode < 5000 ? 'server_error' : undefined;
  }
}

/**
 * Whether a WebSocket close code may be sent in a close frame (RFC 6455:
 * 1000–1014 less 1004–1006, and 3000–4999).
 *
 * @example Codes that never travel
 * ```ts
 * isSendableCloseCode(1006); // false
 * isSendableCloseCode(4029); // true
 * ```
 */
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));
}
