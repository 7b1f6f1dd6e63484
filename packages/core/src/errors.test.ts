import { describe, expect, it } from 'vitest';
import {
  SttAuthError,
  SttConnectionError,
  SttError,
  SttRateLimitError,
  createSttError,
  describeCloseCode,
  errorFromClose,
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

  it('errorFromClose - maps every close code of PROTOCOL.md', () => {
    const table: [number, string, string, boolean][] = [
      [1001, 'connection_lost', 'reconnect', true],
      [1006, 'connection_lost', 'reconnect', true],
      [1011, 'server_error', 'reconnect', true],
      [1012, 'service_restart', 'reconnect', true],
      [1013, 'service_restart', 'reconnect', true],
      [4000, 'invalid_input', 'fail', false],
      [4001, 'unauthenticated', 'fail', false],
      [4002, 'insufficient_quota', 'fail', false],
      [4008, 'idle_timeout', 'reconnect_when_audio', true],
      [4010, 'session_limit', 'reconnect_now', true],
      [4029, 'rate_limited', 'reconnect', true],
      [4502, 'provider_unavailable', 'reconnect', true],
    ];
    for (const [code, errCode, action, retryable] of table) {
      expect(describeCloseCode(code).action).toBe(action);
      const err = errorFromClose(code, '');
      expect([code, err.code, err.retryable, err.closeCode]).toEqual([code, errCode, retryable, code]);
    }
    expect(errorFromClose(4001, '')).toBeInstanceOf(SttAuthError);
    expect(errorFromClose(1006, '')).toBeInstanceOf(SttConnectionError);
  });

  it('errorFromClose - prefers the server error message and keeps retry_after', () => {
    const err = errorFromClose(4029, 'rate', { code: 'rate_limited', message: 'Too many sessions', retry_after: 2 });
    expect(err.message).toContain('Too many sessions');
    expect(err.retryAfterMs).toBe(2000);
    expect(err).toBeInstanceOf(SttRateLimitError);
  });

  it('errorFromResponse - keeps status, code, param, request id and Retry-After', () => {
    const headers = new Headers({ 'x-request-id': 'req_1', 'retry-after': '3' });
    const err = errorFromResponse(429, { error: { code: 'rate_limited', message: 'Slow down', param: 'model_id' } }, headers, 'POST /v1/stt/transcribe');
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, param: 'model_id', requestId: 'req_1', retryAfterMs: 3000, retryable: true });
    expect(errorFromResponse(401, null, undefined, 'x')).toMatchObject({ code: 'unauthenticated', retryable: false });
    expect(errorFromResponse(503, 'oops', undefined, 'x')).toMatchObject({ code: 'server_error', retryable: true });
    expect(errorFromResponse(413, { error: { code: 'invalid_input', message: 'too big' } }, undefined, 'x').retryable).toBe(false);
  });

  it('parseRetryAfter - seconds, HTTP dates, caps at 60 s', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('3600', now)).toBe(60000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('isRetryable - network TypeErrors yes, SttError by its flag', () => {
    expect(isRetryable(new TypeError('fetch failed'))).toBe(true);
    expect(isRetryable(createSttError('unauthenticated', 'no'))).toBe(false);
    expect(isRetryable(new Error('other'))).toBe(false);
  });
});
