import { describe, expect, it } from 'vitest';
import { SttAuthError, SttConnectionError, SttRateLimitError, createSttError } from '../errors.ts';
import { backoffDelay, nextRetry } from '../retry.ts';
import { ReconnectPolicy, describeCloseCode, errorFromClose, type DropContext } from './reconnect-policy.ts';

const settings = { retries: 3, minDelayMs: 100, maxDelayMs: 1000, maxRetryTimeMs: 10_000 };
const ctx = (over: Partial<DropContext> = {}): DropContext => ({ now: 0, sessionEnded: false, endedAndAllSent: false, pending: true, uptimeMs: 500, ...over });

describe('reconnect policy', () => {
  it('errorFromClose - maps every close code of docs/protocol.md', () => {
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
      [1002, 'protocol_error', 'fail', false],
      [1009, 'protocol_error', 'fail', false],
      [4321, 'invalid_input', 'fail', false],
      [3000, 'connection_lost', 'reconnect', true],
    ];
    for (const [code, errCode, action, retryable] of table) {
      expect(describeCloseCode(code).action).toBe(action);
      const err = errorFromClose(code, '');
      expect([code, err.code, err.retryable, err.closeCode]).toEqual([code, errCode, retryable, code]);
    }
    expect(errorFromClose(4001, '')).toBeInstanceOf(SttAuthError);
    expect(errorFromClose(1006, '')).toBeInstanceOf(SttConnectionError);
  });

  it('errorFromClose - prefers the server error message and keeps retry_after as the server asked', () => {
    const err = errorFromClose(4029, 'rate', { code: 'rate_limited', message: 'Too many sessions', retry_after: 2 });
    expect(err.message).toBe('Connection closed (4029): Too many sessions');
    expect(err.retryAfterMs).toBe(2000);
    expect(err).toBeInstanceOf(SttRateLimitError);
    expect(errorFromClose(4029, '', { code: 'rate_limited', message: 'x', retry_after: 3600 }).retryAfterMs).toBe(3_600_000);
  });

  it('backoffDelay - doubles from minDelayMs, jitter in [1, 2), the cap applied after the jitter', () => {
    expect([1, 2, 3].map((n) => backoffDelay(n, settings, 0))).toEqual([100, 200, 400]);
    expect(backoffDelay(1, settings, 0.999)).toBe(200);
    expect(backoffDelay(4, settings, 0.5)).toBe(1000); // 800 × 1.5 = 1200, capped
    expect(backoffDelay(30, settings, 0.9)).toBe(1000);
  });

  it('nextRetry - a Retry-After replaces the backoff (never under minDelayMs); one past the budget gives up, naming the wait and the option', () => {
    expect(nextRetry(1, 0, settings, 0, 250, 'x')).toEqual({ delayMs: 250 });
    expect(nextRetry(1, 0, settings, 0, 10, 'x')).toEqual({ delayMs: 100 });
    expect(nextRetry(1, 0, settings, 0, undefined, 'x')).toEqual({ delayMs: 100 });
    expect(nextRetry(1, 5000, settings, 0, 4000, 'x')).toEqual({ delayMs: 4000 }); // 9 s of the 10 s budget
    expect(nextRetry(2, 9000, settings, 0, 2000, '`x`')).toEqual({
      reason: 'the server asked to wait 2 s before trying again (Retry-After), more than the 1 s left of `x` (10000 ms) after 9 s of retrying',
    });
    expect(nextRetry(1, 0, settings, 0, 3_600_000, '`reconnect.maxRetryTimeMs`')).toEqual({
      reason: 'the server asked to wait 3600 s before trying again (Retry-After), longer than `reconnect.maxRetryTimeMs` (10000 ms) allows',
    });
    expect(nextRetry(5, 9950, settings, 0, undefined, '`maxRetryTimeMs`')).toEqual({
      reason: '10 s of retrying, and the next attempt would pass `maxRetryTimeMs` (10000 ms)',
    });
  });

  it('ReconnectPolicy - counts failures in one incident and gives up after `retries`, naming the last cause', () => {
    const policy = new ReconnectPolicy(settings, () => 0);
    const drop = { kind: 'closed', code: 1006, reason: '' } as const;
    expect(policy.decide(drop, ctx())).toMatchObject({ action: 'reconnect', attempt: 1, delayMs: 100 });
    expect(policy.decide(drop, ctx())).toMatchObject({ action: 'reconnect', attempt: 2, delayMs: 200 });
    expect(policy.decide(drop, ctx())).toMatchObject({ action: 'reconnect', attempt: 3, delayMs: 400 });
    const last = policy.decide(drop, ctx());
    expect(last.action).toBe('fail');
    expect(last.action === 'fail' && last.error.message).toBe(
      'Gave up reconnecting after 4 failed attempts (`reconnect.retries` is 3): 4 connections in a row were closed with 1006 (connection_lost) right after opening; last: connection_lost: Connection closed (1006): the connection dropped with no close frame',
    );
    expect(last.action === 'fail' && last.error).toMatchObject({ code: 'connection_failed', retryable: false, closeCode: 1006 });
  });

  it('ReconnectPolicy - only progress resets the budget; time alone does not', () => {
    const policy = new ReconnectPolicy(settings, () => 0);
    const drop = { kind: 'closed', code: 1011, reason: '' } as const;
    policy.decide(drop, ctx({ now: 0 }));
    policy.decide(drop, ctx({ now: 1000, uptimeMs: 60_000 }));
    expect(policy.failures).toBe(2);
    policy.progress();
    expect(policy.decide(drop, ctx({ now: 2000 }))).toMatchObject({ action: 'reconnect', attempt: 1 });
  });

  it('ReconnectPolicy - an incident longer than maxRetryTimeMs fails', () => {
    const policy = new ReconnectPolicy({ ...settings, retries: 100, maxRetryTimeMs: 2000 }, () => 0);
    const refused = { kind: 'refused', error: createSttError('server_error', 'Upgrade refused: 503', { status: 503 }) } as const;
    expect(policy.decide(refused, ctx({ now: 0, uptimeMs: 0 })).action).toBe('reconnect');
    expect(policy.decide(refused, ctx({ now: 1500, uptimeMs: 0 })).action).toBe('reconnect');
    const d = policy.decide(refused, ctx({ now: 1900, uptimeMs: 0 }));
    expect(d.action === 'fail' && d.error.message).toBe(
      'Gave up reconnecting after 1.9 s of retrying, and the next attempt would pass `reconnect.maxRetryTimeMs` (2000 ms): 3 connection attempts in a row were refused with 503 (server_error); last: server_error: Upgrade refused: 503',
    );
  });

  it('ReconnectPolicy - a retry_after longer than the budget ends the incident at once, and the error keeps what the server asked', () => {
    const policy = new ReconnectPolicy(settings, () => 0);
    const d = policy.decide(
      { kind: 'closed', code: 4029, reason: '', serverError: { code: 'rate_limited', message: 'Slow down', retry_after: 3600 } },
      ctx({ uptimeMs: 200 }),
    );
    expect(d.action).toBe('fail');
    expect(d.action === 'fail' && d.error).toMatchObject({
      code: 'connection_failed',
      retryAfterMs: 3_600_000,
      closeCode: 4029,
      message:
        'Gave up reconnecting after the server asked to wait 3600 s before trying again (Retry-After), longer than `reconnect.maxRetryTimeMs` (10000 ms) allows: the last connection was closed with 4029 (rate_limited) 0.2 s after opening; last: rate_limited: Connection closed (4029): Slow down',
    });
  });

  it('ReconnectPolicy - the story of an incident: the latest run of drops that came the same way, forgotten at progress', () => {
    const policy = new ReconnectPolicy({ ...settings, retries: 100, maxRetryTimeMs: 1e9 }, () => 0);
    expect(policy.story()).toBe('');
    policy.decide({ kind: 'stalled', message: 'no answer to `end`' }, ctx({ uptimeMs: 12_000 }));
    expect(policy.story()).toBe('the last connection was stalled 12.0 s after opening');
    for (let i = 0; i < 6; i++) policy.decide({ kind: 'closed', code: 4010, reason: '' }, ctx({ uptimeMs: 30 }));
    expect(policy.story()).toBe('6 connections in a row were closed with 4010 (session_limit) right after opening');
    expect(policy.lastError).toMatchObject({ code: 'session_limit', closeCode: 4010 });
    policy.progress();
    expect(policy.story()).toBe('');
    expect(policy.lastError).toBeUndefined();
  });

  it('ReconnectPolicy - 1000: done after session.ended, a counted drop before it with audio waiting, idle with none', () => {
    const policy = new ReconnectPolicy(settings, () => 0);
    const close = { kind: 'closed', code: 1000, reason: 'bye' } as const;
    expect(policy.decide(close, ctx({ sessionEnded: true, endedAndAllSent: true }))).toEqual({ action: 'done' });
    const drop = policy.decide(close, ctx());
    expect(drop).toMatchObject({ action: 'reconnect', attempt: 1, error: { code: 'connection_lost', closeCode: 1000 } });
    expect(drop.action === 'reconnect' && drop.error.message).toBe('Connection closed (1000) before the session ended: bye');
    expect(policy.decide(close, ctx({ pending: false }))).toMatchObject({ action: 'idle' });
  });

  it('ReconnectPolicy - 4010 and 4008 after a long connection are routine; at once, they count', () => {
    const policy = new ReconnectPolicy(settings, () => 0);
    expect(policy.decide({ kind: 'closed', code: 4010, reason: '' }, ctx({ uptimeMs: 60_000 }))).toMatchObject({ action: 'reconnect', attempt: 0, delayMs: 0 });
    expect(policy.decide({ kind: 'closed', code: 4008, reason: '' }, ctx({ uptimeMs: 60_000 }))).toMatchObject({ action: 'reconnect', attempt: 0 });
    expect(policy.decide({ kind: 'closed', code: 4008, reason: '' }, ctx({ pending: false, uptimeMs: 20 }))).toMatchObject({ action: 'idle' });
    expect(policy.decide({ kind: 'closed', code: 4010, reason: '' }, ctx({ uptimeMs: 20 }))).toMatchObject({ action: 'reconnect', attempt: 1 });
  });

  it('ReconnectPolicy - refusals: an SttError decides by retryable, a TypeError fails, anything else is connection_failed', () => {
    const policy = new ReconnectPolicy(settings, () => 0);
    const auth = createSttError('unauthenticated', 'Upgrade refused: 401', { status: 401 });
    expect(policy.decide({ kind: 'refused', error: auth }, ctx())).toEqual({ action: 'fail', error: auth });
    const type = new TypeError('no WebSocket');
    expect(policy.decide({ kind: 'refused', error: type }, ctx())).toEqual({ action: 'fail', error: type });
    expect(policy.decide({ kind: 'refused', error: new Error('ECONNREFUSED') }, ctx())).toMatchObject({
      action: 'reconnect',
      error: { code: 'connection_failed', message: 'Cannot connect: ECONNREFUSED' },
    });
    expect(new ReconnectPolicy(false, () => 0).decide({ kind: 'closed', code: 1006, reason: '' }, ctx())).toMatchObject({ action: 'fail', error: { code: 'connection_lost' } });
  });
});
