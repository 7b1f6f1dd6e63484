import { describe, expect, it } from 'vitest';
import {
  SttAuthError,
  SttConnectionError,
  SttError,
  SttRateLimitError,
  createSttError,
  errorFromResponse,
  isRetryable,
  parseRetryAfter,
} from './errors.ts';

describe('SttError', () => {
  it('SttError - subclasses by code, and instanceof works through the brand', () => {
    const err = createSttError('rate_limited', 'slow down', { status: 429, retryAfterMs: 2000 });
    expect(err).toBeInstanceOf(SttRateLimitError);
    expect(err).toBeInstanceOf(SttError);
    expect(err).not.toBeInstanceOf(SttAuthError);
    expect(err.retryable).toBe(true);
    // A copy of the class from another bundle shares the brand.
    const foreign = Object.create(null) as object;
    Object.defineProperty(foreign, Symbol.for('stt-stream.error-kinds'), { value: ['SttError', 'SttAuthError'] });
    expect(foreign).toBeInstanceOf(SttError);
    expect(foreign).toBeInstanceOf(SttAuthError);
    expect({}).not.toBeInstanceOf(SttError);
  });

  it('errorFromResponse - keeps status, code, param, request id and Retry-After', () => {
    const headers = new Headers({ 'x-request-id': 'req_1', 'retry-after': '3' });
    const err = errorFromResponse(429, { error: { code: 'rate_limited', message: 'Slow down', param: 'model_id' } }, headers, 'POST /v1/stt/transcribe');
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, param: 'model_id', requestId: 'req_1', retryAfterMs: 3000, retryable: true });
    expect(errorFromResponse(401, null, undefined, 'x')).toMatchObject({ code: 'unauthenticated', retryable: false });
    expect(errorFromResponse(503, 'oops', undefined, 'x')).toMatchObject({ code: 'server_error', retryable: true });
    expect(errorFromResponse(413, { error: { code: 'invalid_input', message: 'too big' } }, undefined, 'x').retryable).toBe(false);
  });

  it('parseRetryAfter - seconds and HTTP dates, as long as the server asked (the retry rule decides whether to wait)', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('3600', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('isRetryable - network TypeErrors yes, SttError by its flag', () => {
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryable(createSttError('unauthenticated', 'no'))).toBe(false);
    expect(isRetryable(new Error('other'))).toBe(false);
  });
});
