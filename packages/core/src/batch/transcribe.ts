/**
 * The batch client: `POST /v1/stt/transcribe` on standard `fetch`,
 * `FormData` and `Blob` (browsers, Deno, Bun, Node), with retries.
 *
 * @module
 */
import { AbortError } from 'p-retry';
import { GATEWAY_AUDIO_EXTENSIONS, SNIFF_BYTES, audioMimeType, fileExtension, sniffAudioFormat } from '../audio/audio-format.ts';
import { SttError, createSttError, errorFromResponse } from '../errors.ts';
import { checkOptionNames, optionNames } from '../known-options.ts';
import { assertCredentialsFor, bearer } from '../protocol/credentials.ts';
import { TRANSCRIBE_PATH, batchUrl } from '../protocol/gateway-url.ts';
import { describeNetworkError } from '../protocol/network-error.ts';
import type { Transcription, TranscriptWord } from '../types.ts';
import { readBounded } from './read-bounded.ts';
import { BATCH_RETRY_DEFAULTS, MAX_RETRY_TIME_MS } from '../retry.ts';
import { aborted, withRetries, type BatchRetryInfo } from './retrying.ts';

export type { BatchRetryInfo };

/**
 * The default gateway.
 *
 * @example
 * ```ts
 * await transcribe(blob, { model: 'whisper-1', apiKey, baseUrl: DEFAULT_BASE_URL });
 * ```
 */
export const DEFAULT_BASE_URL = 'https://gateway.llm-stats.com';

export { TRANSCRIBE_PATH };

/**
 * The largest upload the gateway takes: 25 MB (26,214,400 bytes).
 *
 * @example Choose batch or streaming
 * ```ts
 * const useBatch = file.size <= MAX_BATCH_BYTES;
 * ```
 */
export const MAX_BATCH_BYTES = 26_214_400;

/**
 * The largest 200 response body {@link transcribe} reads: 8 MiB (8,388,608
 * bytes), hours of words. A longer body is not read on: the request fails
 * with `protocol_error` and its connection is dropped, so a bad server
 * cannot fill the process's memory.
 *
 * @example
 * ```ts
 * MAX_RESPONSE_BYTES; // 8388608
 * ```
 */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * The most of an error response's body {@link transcribe} reads: 64 KiB
 * (an error envelope is small). Past it the body is dropped unread and the
 * error comes from the status and headers alone (a 500 is still
 * `server_error`, a 401 `unauthenticated`).
 *
 * @example
 * ```ts
 * MAX_ERROR_BODY_BYTES; // 65536
 * ```
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** Options of {@link transcribe}. */
export interface BatchOptions {
  /** The gateway's `model_id`, e.g. `whisper-1`. */
  model: string;
  /**
   * Sent as `Authorization: Bearer …`. Never put in a URL or a message.
   * Required for the hosted gateway: without it (and without `url`) the call
   * fails at once with `unauthenticated`, before anything is sent.
   */
  apiKey?: string;
  /**
   * The gateway, as `createTranscriber`'s `url` takes it: an `http(s)` origin
   * (its path a prefix) or the `ws(s)` streaming URL, which maps to its
   * gateway. The audio goes there and nowhere else.
   * @defaultValue `https://gateway.llm-stats.com`
   */
  url?: string;
  /** The same as `url` (its older name here); give one of the two. */
  baseUrl?: string;
  /** ISO-639-1 hint (`en`, `es`). */
  language?: string;
  /** Bypasses the gateway's router. */
  providerId?: string;
  /**
   * The upload's file name; its extension tells the gateway the format and
   * must be one it accepts (wav, mp3, m4a, mp4, webm, ogg, opus, flac).
   * @defaultValue the `File`'s name, else `audio.<ext>` from the magic bytes
   */
  fileName?: string;
  /** Attempts after the first for 429, 5xx, timeouts and network errors. @defaultValue 2 */
  retries?: number;
  /**
   * The first backoff delay, and the least wait between two attempts (a
   * shorter `Retry-After` included); later ones double, with jitter.
   * @defaultValue 500
   */
  minRetryDelayMs?: number;
  /** The longest backoff delay (after the jitter); a server's `Retry-After` is not capped by it. @defaultValue 8000 */
  maxRetryDelayMs?: number;
  /**
   * The retry budget: the most time from the first failure to the start of
   * the last attempt (the attempts in between included), 0 to 3600000 ms.
   * A retry that would start past it is not made: the call fails at once
   * with the server's error (a 429's `rate_limited`), whose message says how
   * long the server asked to wait and that this option does not allow it,
   * and whose `retryAfterMs` is what the server asked.
   * @defaultValue 60000
   */
  maxRetryTimeMs?: number;
  /**
   * Called before each wait for a retry, with the failure, the wait and the
   * number of the next attempt (e.g. for a status line). What it throws ends
   * the call with that error.
   */
  onRetry?: (info: BatchRetryInfo) => void;
  /** Bound on each attempt (upload and transcription). @defaultValue 600000 */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The `fetch` to use. @defaultValue `globalThis.fetch` */
  fetch?: typeof fetch;
}

/** The option names {@link transcribe} takes (checked against {@link BatchOptions} by the compiler). */
export const BATCH_OPTIONS: readonly string[] = optionNames<BatchOptions>()([
  'model', 'apiKey', 'url', 'baseUrl', 'language', 'providerId', 'fileName', 'retries', 'minRetryDelayMs', 'maxRetryDelayMs',
  'maxRetryTimeMs', 'onRetry', 'timeoutMs', 'signal', 'fetch',
]);

/** What {@link transcribe} accepts as audio. */
export type BatchAudio = Blob | ArrayBuffer | Uint8Array;

/**
 * The gateway a batch call goes to, from `url` or `baseUrl` (the same
 * option under two names), and the name the user gave it by, for messages.
 *
 * @throws TypeError when both are given and differ
 * @example
 * ```ts
 * gatewayOption({ model: 'm', url: 'http://127.0.0.1:8080' }); // { value: 'http://127.0.0.1:8080', option: 'url' }
 * ```
 */
export function gatewayOption(options: { url?: string; baseUrl?: string }): { value: string | undefined; option: 'url' | 'baseUrl' } {
  const { url, baseUrl } = options;
  if (url !== undefined && baseUrl !== undefined && url !== baseUrl) {
    throw new TypeError('Invalid options `url` and `baseUrl`: they are the same option (the gateway) and were given two different values; pass one of them');
  }
  return url !== undefined || baseUrl === undefined ? { value: url, option: 'url' } : { value: baseUrl, option: 'baseUrl' };
}

/** Checks the options; throws TypeError/RangeError naming the field. */
function checkOptions(options: BatchOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object with at least `model`');
  checkOptionNames(options, BATCH_OPTIONS, 'transcribe()');
  if (typeof options.model !== 'string' || options.model.trim() === '') throw new TypeError('Invalid option `model`: expected a non-empty string');
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new TypeError('Invalid option `apiKey`: expected a non-empty string');
  }
  for (const field of ['language', 'providerId', 'fileName'] as const) {
    const v = options[field];
    if (v !== undefined && (typeof v !== 'string' || v === '')) throw new TypeError(`Invalid option \`${field}\`: expected a non-empty string`);
  }
  for (const field of ['retries', 'minRetryDelayMs', 'maxRetryDelayMs'] as const) {
    const v = options[field];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) {
      throw new RangeError(`Invalid option \`${field}\`: expected a non-negative integer, got ${String(v)}`);
    }
  }
  const budget = options.maxRetryTimeMs;
  if (budget !== undefined && (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 0 || budget > MAX_RETRY_TIME_MS)) {
    throw new RangeError(`Invalid option \`maxRetryTimeMs\`: expected an integer from 0 to ${MAX_RETRY_TIME_MS} (an hour), got ${String(budget)}`);
  }
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') throw new TypeError('Invalid option `onRetry`: expected a function');
  if (options.timeoutMs !== undefined && (typeof options.timeoutMs !== 'number' || !(options.timeoutMs > 0))) {
    throw new RangeError(`Invalid option \`timeoutMs\`: expected a positive number, got ${String(options.timeoutMs)}`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw new TypeError('Invalid option `fetch`: expected a function');
}

/**
 * The batch endpoint's URL for a gateway base URL (see `batchUrl`): an
 * `http(s)` origin, its path a prefix, or the `ws:`/`wss:` streaming URL,
 * which maps to its gateway.
 *
 * @param option - the option named in errors (`url` or `baseUrl`)
 * @throws TypeError naming the option for a URL that is not http(s)/ws(s) or carries credentials
 * @example
 * ```ts
 * transcribeUrl('wss://gw.example/v1/stt/stream'); // 'https://gw.example/v1/stt/transcribe'
 * ```
 */
export function transcribeUrl(baseUrl: string = DEFAULT_BASE_URL, option: string = 'baseUrl'): string {
  return batchUrl(baseUrl, option).toString();
}

function invalidAudio(message: string, status?: number): SttError {
  return new SttError('invalid_input', message, { param: 'audio', retryable: false, ...(status !== undefined ? { status } : {}) });
}

function toBlob(audio: BatchAudio): Blob {
  if (typeof Blob !== 'undefined' && audio instanceof Blob) return audio;
  if (audio instanceof ArrayBuffer) return new Blob([audio]);
  if (audio instanceof Uint8Array) return new Blob([audio as Uint8Array<ArrayBuffer>]);
  throw new TypeError('Invalid argument `audio`: expected a Blob, ArrayBuffer or Uint8Array');
}

/**
 * Decides the upload's file name: the option, the `File`'s own name, or
 * `audio.<ext>` from the magic bytes; checks that the gateway takes it.
 *
 * @throws SttError `invalid_input` (`param: 'audio'`) for a format the gateway does not list
 * @example Name a Blob of WAV bytes
 * ```ts
 * await resolveUploadName(new Blob([wavBytes])); // 'audio.wav'
 * ```
 */
export async function resolveUploadName(blob: Blob, fileName?: string): Promise<string> {
  const name = fileName ?? (typeof (blob as Blob & { name?: unknown }).name === 'string' && (blob as File).name !== '' ? (blob as File).name : undefined);
  if (name !== undefined) {
    const ext = fileExtension(name);
    if (!GATEWAY_AUDIO_EXTENSIONS.includes(ext)) {
      throw invalidAudio(
        `Unsupported audio format ${ext ? `".${ext}"` : '(no extension)'} in file name ${JSON.stringify(name)}: the gateway accepts ${GATEWAY_AUDIO_EXTENSIONS.join(', ')}`,
      );
    }
    return name;
  }
  const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
  const format = sniffAudioFormat(head);
  if (format === null) {
    throw invalidAudio(
      `Cannot tell the audio format from its bytes; pass \`fileName\` with one of: ${GATEWAY_AUDIO_EXTENSIONS.join(', ')}`,
    );
  }
  if (!GATEWAY_AUDIO_EXTENSIONS.includes(format)) {
    throw invalidAudio(`Unsupported audio format: the bytes are ${format}; the gateway accepts ${GATEWAY_AUDIO_EXTENSIONS.join(', ')}`);
  }
  return `audio.${format}`;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Validates a 200 body as a {@link Transcription} (copying only known
 * fields); `null` when it is not one.
 *
 * @example Check a stored response
 * ```ts
 * const t = readTranscription(JSON.parse(text));
 * if (!t) throw new Error('not a transcription');
 * ```
 */
export function readTranscription(body: unknown): Transcription | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const b = body as Record<string, unknown>;
  if (typeof b.text !== 'string' || !isFiniteNumber(b.duration) || typeof b.model !== 'string') return null;
  if (b.language != null && typeof b.language !== 'string') return null;
  if (b.confidence != null && !isFiniteNumber(b.confidence)) return null;
  let words: TranscriptWord[] | null = null;
  if (b.words != null) {
    if (!Array.isArray(b.words)) return null;
    words = [];
    for (const w of b.words) {
      if (typeof w !== 'object' || w === null) return null;
      const { word, start, end, confidence } = w as Record<string, unknown>;
      if (typeof word !== 'string' || !isFiniteNumber(start) || !isFiniteNumber(end)) return null;
      if (confidence != null && !isFiniteNumber(confidence)) return null;
      words.push({ word, start, end, confidence: (confidence as number | null | undefined) ?? null });
    }
  }
  return {
    text: b.text,
    duration: b.duration,
    language: (b.language as string | null | undefined) ?? null,
    confidence: (b.confidence as number | null | undefined) ?? null,
    words,
    model: b.model,
  };
}

/** An AbortSignal that fires when any of `signals` does (AbortSignal.any where it exists). */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const any = (AbortSignal as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (any) return any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

/**
 * Transcribes a whole recording through the gateway's batch endpoint
 * (`POST /v1/stt/transcribe`, multipart). Runs wherever `fetch`, `FormData`
 * and `Blob` do.
 *
 * Before uploading, audio over 25 MB fails with `invalid_input` (status
 * 413) and a format the gateway does not list fails with `invalid_input`
 * (`param: 'audio'`); nothing is sent. 429, 5xx, timeouts and network
 * errors are retried, `retries` times, after the server's `Retry-After`
 * when it sent one, else after an exponential backoff with jitter, within
 * `maxRetryTimeMs` from the first failure (the rule of docs/protocol.md,
 * "Retrying"); 400, 401, 402, 404 and 413 never. Errors are `SttError`s
 * keeping the envelope's `code` and `param`, the `status` and the
 * `x-request-id`; the `apiKey` is redacted from whatever the server says.
 * When the retrying ends, the error is the server's last one.
 *
 * Redirects are refused, never followed (a 3xx fails with
 * `connection_failed`, its status, and the `Location`'s origin in the
 * message): another origin would receive the audio. A 200 body over
 * 8 MiB fails with `protocol_error`; an error
 * body over 64 KiB is dropped unread and the
 * status decides.
 *
 * @param audio - the recording (a `File` lends its name)
 * @param options - model, key, gateway, hints, retries, retry budget, timeout, signal
 * @returns the gateway's transcription, validated
 * @throws TypeError or RangeError naming a bad option
 * @example Transcribe a file picked in a browser
 * ```ts
 * const file = input.files[0];
 * const result = await transcribe(file, { model: 'whisper-1', apiKey, language: 'en' });
 * console.log(result.text, result.duration);
 * ```
 */
export async function transcribe(audio: BatchAudio, options: BatchOptions): Promise<Transcription> {
  checkOptions(options);
  const blob = toBlob(audio);
  const gateway = gatewayOption(options);
  const url = transcribeUrl(gateway.value, gateway.option);
  assertCredentialsFor(new URL(url), options, 'transcribe');
  const doFetch = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
  if (typeof doFetch !== 'function') throw new TypeError('Cannot transcribe: this runtime has no global `fetch`; pass `fetch`');
  if (blob.size > MAX_BATCH_BYTES) {
    throw invalidAudio(
      `Audio of ${blob.size} bytes is over the gateway's limit of ${MAX_BATCH_BYTES} bytes (25 MB); stream it instead (createTranscriber, or transcribeFile in @stt-stream/node)`,
      413,
    );
  }
  if (blob.size === 0) throw invalidAudio('The audio is empty');
  const fileName = await resolveUploadName(blob, options.fileName);
  const ext = fileExtension(fileName);
  const upload = blob.type ? blob : new Blob([blob], { type: audioMimeType(ext) });
  const timeoutMs = options.timeoutMs ?? 600_000;
  const { signal } = options;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.apiKey) headers.authorization = bearer(options.apiKey);
  const secrets = options.apiKey ? [options.apiKey] : [];

  const attempt = async (): Promise<Transcription> => {
    const form = new FormData();
    form.append('audio', upload, fileName);
    form.append('model_id', options.model);
    if (options.language) form.append('language', options.language);
    if (options.providerId) form.append('provider_id', options.providerId);
    // Aborted by the timer (timedOut) or to drop a response we will not read.
    const timeout = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      timeout.abort();
    }, timeoutMs);
    const attemptSignal = signal ? anySignal([signal, timeout.signal]) : timeout.signal;
    try {
      let res: Response;
      try {
        // Redirects are refused, not followed: another origin would get the audio (307/308) and speak for the gateway.
        res = await doFetch(url, { method: 'POST', body: form, headers, signal: attemptSignal, redirect: 'manual' });
      } catch (cause) {
        if (signal?.aborted) throw new AbortError(aborted(signal));
        if (timedOut) throw createSttError('timeout', `Transcription request took longer than ${timeoutMs} ms`, { cause });
        // `fetch failed` says nothing; the reason (ECONNREFUSED, ENOTFOUND, a TLS error) is down its cause chain.
        throw createSttError('connection_failed', `Cannot reach ${url}: ${describeNetworkError(cause)}`, { cause });
      }
      const requestId = res.headers.get('x-request-id') ?? undefined;
      if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400) || res.redirected) {
        // A browser shows a refused redirect as an opaque response (no status, no Location); a
        // custom `fetch` may have followed it anyway (`redirected`): refuse it all the same.
        await res.body?.cancel().catch(() => undefined);
        timeout.abort();
        const status = res.status >= 300 && res.status < 400 ? res.status : 0;
        const err =
          status !== 0
            ? errorFromResponse(status, undefined, res.headers, 'Transcription failed', secrets)
            : createSttError('connection_failed', `Transcription failed: the gateway answered with a redirect, not followed: redirects are refused (point \`${gateway.option}\` at the address that answers)`, {
                retryable: false,
              });
        throw new AbortError(err);
      }
      const limit = res.ok ? MAX_RESPONSE_BYTES : MAX_ERROR_BODY_BYTES;
      let text: string | null;
      try {
        text = await readBounded(res, limit);
      } catch (cause) {
        if (signal?.aborted) throw new AbortError(aborted(signal));
        if (timedOut) throw createSttError('timeout', `Transcription request took longer than ${timeoutMs} ms`, { cause });
        throw createSttError('connection_lost', `The response from ${url} was cut off`, { cause, retryable: true, ...(requestId ? { requestId } : {}) });
      }
      if (text === null) timeout.abort(); // drop the connection under the body we did not read
      if (text === null && res.ok) {
        throw new AbortError(
          new SttError(
            'protocol_error',
            `The gateway's response is over ${MAX_RESPONSE_BYTES} bytes (8 MiB), the most a transcription response may be; it was not read`,
            { status: res.status, retryable: false, ...(requestId ? { requestId } : {}) },
          ),
        );
      }
      let body: unknown;
      try {
        body = text === null ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!res.ok) {
        const context = text === null ? `Transcription failed (an error body over ${MAX_ERROR_BODY_BYTES} bytes, not read)` : 'Transcription failed';
        const err = errorFromResponse(res.status, body, res.headers, context, secrets);
        throw err.retryable ? err : new AbortError(err);
      }
      const result = readTranscription(body);
      if (!result) {
        throw new AbortError(
          new SttError('protocol_error', `The gateway's response is not a transcription (status ${res.status}, ${text!.length} characters)`, {
            status: res.status,
            retryable: false,
            ...(requestId ? { requestId } : {}),
          }),
        );
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  };

  const d = BATCH_RETRY_DEFAULTS;
  const settings = {
    retries: options.retries ?? d.retries,
    minDelayMs: options.minRetryDelayMs ?? d.minDelayMs,
    maxDelayMs: options.maxRetryDelayMs ?? d.maxDelayMs,
    maxRetryTimeMs: options.maxRetryTimeMs ?? d.maxRetryTimeMs,
  };
  return withRetries(attempt, settings, signal, options.onRetry);
}
