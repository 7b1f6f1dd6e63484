/**
 * Typed errors. Branch on `code`, never on `message`.
 *
 * @module
 */

/**
 * Stable error codes: every code the stt-stream packages produce. Branch on
 * these, never on `message`.
 *
 * From the gateway (an HTTP error response, a refused upgrade or an `error`
 * message; the envelope codes of docs/protocol.md pass through unchanged):
 * - `invalid_input`: a missing or bad field, an unsupported format, a file
 *   over 25 MB (status 400/413, close 4000); also audio the client cannot
 *   read (an empty or truncated file, a WAV it cannot parse)
 * - `unauthenticated`: missing or invalid credentials (401, close 4001)
 * - `insufficient_quota`: out of credit (402, close 4002)
 * - `rate_limited`: slow down; `retryAfterMs` says for how long (429, close 4029)
 * - `provider_unavailable`: every provider for the model failed (502, close 4502)
 * - `idle_timeout`: no message for too long (close 4008)
 * - `not_found`: no such endpoint (404: the URL's path is not the gateway's)
 * - `method_not_allowed`: the endpoint exists but not for this method (405)
 * - `server_error`: the gateway failed (other 5xx, close 1011)
 *
 * From the connection (close codes without an envelope code of their own):
 * - `session_limit`: the session reached its maximum length (close 4010)
 * - `service_restart`: the service restarts or asks to try later (close 1012/1013)
 * - `connection_lost`: the connection dropped (close 1001/1006), or a
 *   response was cut off
 *
 * The client's own:
 * - `connection_failed`: could not connect (or gave up reconnecting); the
 *   message names the last cause's code and message
 * - `protocol_error`: the server sent something that is not the protocol
 *   (a malformed message, a final beyond the audio sent or overlapping the
 *   previous one, a message over the size limit: close 1002/1007/1009)
 * - `slow_reader`: more transcript events waited for the reader than
 *   `maxBufferedEvents` allows (interims replace each other, so these are finals)
 * - `timeout`: connecting, a request, or the end of a stream took too long
 * - `aborted`: the caller aborted (a signal, `cancel()`, `abort()`)
 *
 * From the audio sources:
 * - `decode_failed`: the audio could not be decoded (ffmpeg rejected the
 *   file or produced no audio; the browser's decoder rejected a blob)
 * - `ffmpeg_not_found`: a format needs ffmpeg and there is none (the
 *   message says how to install it)
 * - `recorder_not_found`: no microphone recorder (arecord, rec, sox,
 *   ffmpeg) could be found or started (Node)
 * - `recorder_failed`: the recorder failed or stopped with an error, e.g.
 *   no sound card or no such device (Node; the message holds its last
 *   stderr line)
 * - `permission_denied`: the user refused the microphone (browser)
 * - `device_unavailable`: no such input device, or it is in use (browser)
 * - `unsupported`: the browser lacks what capture or decoding needs
 *   (AudioContext, AudioWorklet, OfflineAudioContext)
 *
 * From the `stt-stream` CLI:
 * - `emulator_not_installed`: `stt-stream emulator` without `@stt-stream/emulator`
 *
 * A gateway may send an envelope code not listed here (a newer one); it
 * passes through as it is, hence the open `string` at the end.
 *
 * @example
 * ```ts
 * const code: SttErrorCode = 'decode_failed';
 * ```
 */
export type SttErrorCode =
  // the gateway's envelope codes
  | 'invalid_input'
  | 'unauthenticated'
  | 'insufficient_quota'
  | 'rate_limited'
  | 'provider_unavailable'
  | 'idle_timeout'
  | 'not_found'
  | 'method_not_allowed'
  | 'server_error'
  // close codes without an envelope code of their own
  | 'session_limit'
  | 'service_restart'
  | 'connection_lost'
  // the client's own
  | 'connection_failed'
  | 'slow_reader'
  | 'protocol_error'
  | 'timeout'
  | 'aborted'
  // the audio sources
  | 'decode_failed'
  | 'ffmpeg_not_found'
  | 'recorder_not_found'
  | 'recorder_failed'
  | 'permission_denied'
  | 'device_unavailable'
  | 'unsupported'
  // the CLI
  | 'emulator_not_installed'
  | (string & {});

/** Fields of an {@link SttError} besides its code and message. */
export interface SttErrorOptions {
  /** HTTP status, where the error came from an HTTP response or a refused upgrade. */
  status?: number;
  /** Whether trying again may succeed. Defaults from the code and status. */
  retryable?: boolean;
  /** How long the server asked us to wait before trying again. */
  retryAfterMs?: number;
  /** The request field the error is about (the envelope's `param`). */
  param?: string;
  /** The server's `x-request-id`. */
  requestId?: string;
  /** The WebSocket close code, where a close caused the error. */
  closeCode?: number;
  cause?: unknown;
}

const KINDS = Symbol.for('stt-stream.error-kinds');

/**
 * The codes of {@link SttConnectionError}. With `rate_limited` and `timeout`,
 * they are also the codes retried by default (one list for both).
 */
const CONNECTION_CODES = new Set([
  'connection_failed',
  'connection_lost',
  'server_error',
  'service_restart',
  'session_limit',
  'provider_unavailable',
  'idle_timeout',
]);

function defaultRetryable(code: string, status: number | undefined): boolean {
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  return code === 'rate_limited' || code === 'timeout' || CONNECTION_CODES.has(code);
}

/**
 * The one error class of stt-stream. `instanceof` works across duplicate
 * copies of the package (it checks a `Symbol.for` brand).
 *
 * @example Branch on the code
 * ```ts
 * try { await transcribe(blob, { model: 'whisper-1', apiKey }); }
 * catch (err) {
 *   if (err instanceof SttError && err.code === 'unauthenticated') console.error('check STT_STREAM_API_KEY');
 *   else throw err;
 * }
 * ```
 */
export class SttError extends Error {
  /** The name `instanceof` checks against; subclasses set their own. */
  static readonly kind: string = 'SttError';

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const kinds = (value as Record<symbol, unknown>)[KINDS];
    return Array.isArray(kinds) && kinds.includes(this.kind);
  }

  readonly code: SttErrorCode;
  readonly retryable: boolean;
  // Declared, not defined: set only when present, so `console.log(err)` lists no `undefined` fields.
  /** HTTP status, where the error came from an HTTP response or a refused upgrade. */
  declare readonly status?: number;
  /** How long the server asked us to wait before trying again. */
  declare readonly retryAfterMs?: number;
  /** The request field the error is about (the envelope's `param`). */
  declare readonly param?: string;
  /** The server's `x-request-id`. */
  declare readonly requestId?: string;
  /** The WebSocket close code, where a close caused the error. */
  declare readonly closeCode?: number;

  constructor(code: SttErrorCode, message: string, options: SttErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const kinds: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && 'kind' in c; c = Object.getPrototypeOf(c)) {
      // Stops at Error, which has no `kind`. (No reference to the class itself here: a bundler
      // would rename the class `_SttError` to make one, and `console.log(err)` would show that.)
      kinds.push((c as { kind: string }).kind);
    }
    Object.defineProperty(this, KINDS, { value: kinds });
    this.name = new.target.kind;
    this.code = code;
    this.retryable = options.retryable ?? defaultRetryable(code, options.status);
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.param !== undefined) this.param = options.param;
    if (options.requestId !== undefined) this.requestId = options.requestId;
    if (options.closeCode !== undefined) this.closeCode = options.closeCode;
  }
}

/** Missing or invalid credentials, or no credit left (`unauthenticated`, `insufficient_quota`). */
export class SttAuthError extends SttError {
  static override readonly kind: string = 'SttAuthError';
}

/** The server asked us to slow down; `retryAfterMs` says for how long. */
export class SttRateLimitError extends SttError {
  static override readonly kind: string = 'SttRateLimitError';
}

/** The connection could not be made or was lost (`closeCode` says how). */
export class SttConnectionError extends SttError {
  static override readonly kind: string = 'SttConnectionError';
}

/** Something took longer than its bound. */
export class SttTimeoutError extends SttError {
  static override readonly kind: string = 'SttTimeoutError';
}

/** The caller aborted (an `AbortSignal`, `cancel()` or `abort()`). */
export class SttAbortError extends SttError {
  static override readonly kind: string = 'SttAbortError';
}

/**
 * Makes the right subclass for a code.
 *
 * @example
 * ```ts
 * const err = createSttError('rate_limited', 'Too many requests', { status: 429, retryAfterMs: 2000 });
 * err instanceof SttRateLimitError; // true
 * ```
 */
export function createSttError(code: SttErrorCode, message: string, options: SttErrorOptions = {}): SttError {
  const Ctor =
    code === 'unauthenticated' || code === 'insufficient_quota' ? SttAuthError
      : code === 'rate_limited' ? SttRateLimitError
      : code === 'timeout' ? SttTimeoutError
      : code === 'aborted' ? SttAbortError
      : CONNECTION_CODES.has(code) ? SttConnectionError
      : SttError;
  return new Ctor(code, message, options);
}

/**
 * Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds:
 * what the server asked, whatever its size (the retry rule of `retry.ts`
 * decides whether to wait it). Returns `undefined` for a missing or
 * unreadable value.
 *
 * @example
 * ```ts
 * parseRetryAfter('2'); // 2000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const date = Date.parse(trimmed);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return Math.max(0, Math.round(ms));
}

/** The error envelope of docs/protocol.md ("Errors"): `{ error: { code, message, param?, retry_after? } }`. */
export interface ErrorEnvelope {
  error: { code: string; message: string; param?: string; retry_after?: number };
}

/** Reads an error envelope from an unknown JSON value; `undefined` if it is not one. */
export function readErrorEnvelope(body: unknown): ErrorEnvelope['error'] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message, param, retry_after: retryAfter } = error as Record<string, unknown>;
  if (typeof code !== 'string') return undefined;
  const out: ErrorEnvelope['error'] = { code, message: typeof message === 'string' ? message : code };
  if (typeof param === 'string') out.param = param;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0) out.retry_after = retryAfter;
  return out;
}

/**
 * Makes the error for an HTTP error response (a batch request or a refused
 * WebSocket upgrade) from its status, envelope and headers. A 3xx is a
 * redirect that was not followed: its message names the status and the
 * `Location`'s origin. A 404 is `not_found`. Whatever the server said
 * (message, `param`) has each of `secrets` replaced by `[redacted]`.
 *
 * @param secrets - credential values to redact from the server's words (the `apiKey`, the token)
 * @example
 * ```ts
 * const err = errorFromResponse(res.status, await res.json(), res.headers, 'Transcription failed', [apiKey]);
 * ```
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: { get(name: string): string | null } | undefined,
  context: string,
  secrets: readonly string[] = [],
): SttError {
  const requestId = headers?.get('x-request-id') ?? undefined;
  if (status >= 300 && status < 400) {
    const options: SttErrorOptions = { status, retryable: false };
    if (requestId) options.requestId = requestId;
    return createSttError('connection_failed', `${context}: ${status} ${describeRedirect(headers?.get('location'), secrets)}`, options);
  }
  const envelope = readErrorEnvelope(body);
  const retryAfterMs = parseRetryAfter(headers?.get('retry-after'));
  const fallbackCode =
    status === 401 ? 'unauthenticated' : status === 402 ? 'insufficient_quota' : status === 404 ? 'not_found' : status === 429 ? 'rate_limited'
      : status === 502 ? 'provider_unavailable' : status >= 500 ? 'server_error' : status === 413 || status === 400 ? 'invalid_input' : 'connection_failed';
  const options: SttErrorOptions = { status };
  if (envelope?.param !== undefined) options.param = redactSecrets(envelope.param, secrets);
  if (requestId) options.requestId = requestId;
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  else if (envelope?.retry_after !== undefined) options.retryAfterMs = envelope.retry_after * 1000;
  const detail = envelope?.message ?? (status === 404 ? 'not found (is the URL the gateway?)' : 'request failed');
  return createSttError(envelope?.code ?? fallbackCode, `${context}: ${status} ${redactSecrets(detail, secrets)}`, options);
}

/** "redirect to <origin>, not followed …" for a 3xx `Location` (absolute or not). */
function describeRedirect(location: string | null | undefined, secrets: readonly string[]): string {
  let where = 'with no Location';
  if (location) {
    let origin: string | undefined;
    try {
      const u = new URL(location);
      origin = u.origin === 'null' ? `${u.protocol}…` : u.origin;
    } catch {
      origin = undefined; // a relative Location: the same origin
    }
    where = origin === undefined ? 'to another path on the same origin' : `to ${redactSecrets(origin, secrets)}`;
  }
  return `redirect ${where}, not followed: redirects are refused (point the client at the address that answers)`;
}

/** Shorter values are not treated as secrets (they would match ordinary text). */
const MIN_SECRET_LENGTH = 4;

/**
 * Replaces every occurrence of each secret (of at least 4 characters), and
 * of its URL-encoded form, with `[redacted]`: for anything a server says
 * before it reaches an error, an event or a log.
 *
 * @example
 * ```ts
 * redactSecrets('bad key sk_live_1', ['sk_live_1']); // 'bad key [redacted]'
 * ```
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  if (typeof text !== 'string' || text === '' || secrets.length === 0) return text;
  const forms = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_SECRET_LENGTH) continue;
    forms.add(s);
    const encoded = encodeURIComponent(s);
    if (encoded !== s) forms.add(encoded);
  }
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.split(form).join('[redacted]');
  }
  return out;
}

/**
 * The one place that decides whether a failure is worth another attempt.
 * Fatal: credentials, quota, invalid input, protocol errors, aborts, 4xx
 * (but 408 and 429). Retryable: drops, 1011/1012/1013, 429, 5xx, timeouts.
 */
export function isRetryable(err: unknown): boolean {
  if (err instanceof SttError) return err.retryable;
  // A network failure from fetch or a socket is a TypeError in most runtimes.
  return err instanceof TypeError && !(err instanceof SyntaxError);
}
