import { describe, expect, it } from 'vitest';
import { SttError } from './errors.ts';
import { connectAttempt } from './transport.ts';
import { rejection } from '../../../test/rejection.ts';

/** A connect-like promise around an attempt, and a count of abandoned sockets. */
function attemptOf(timeoutMs: number, signal?: AbortSignal) {
  let abandoned = 0;
  let attempt!: ReturnType<typeof connectAttempt<string>>;
  const promise = new Promise<string>((resolve, reject) => {
    attempt = connectAttempt<string>({ timeoutMs, signal }, 'ws://g.example/x', resolve, reject, () => abandoned++);
  });
  return { attempt, promise, abandoned: () => abandoned };
}

describe('connectAttempt', () => {
  it('connectAttempt - a handshake that takes too long fails with timeout and abandons the socket; a late open changes nothing', async () => {
    const { attempt, promise, abandoned } = attemptOf(20);
    const err = await rejection(promise);
    expect(err).toBeInstanceOf(SttError);
    expect((err as SttError).code).toBe('timeout');
    expect((err as SttError).message).toBe('Connecting to ws://g.example/x took longer than 20 ms');
    expect(abandoned()).toBe(1);
    expect(attempt.settled).toBe(true);
    expect(attempt.succeed('late')).toBe(false);
  });

  it('connectAttempt - an aborted signal fails it with aborted (at once when already aborted), a success settles it once', async () => {
    const before = new AbortController();
    before.abort(new Error('gone'));
    const early = attemptOf(1000, before.signal);
    expect(early.attempt.settled).toBe(true);
    expect(((await rejection(early.promise)) as SttError).code).toBe('aborted');

    const during = new AbortController();
    const late = attemptOf(1000, during.signal);
    during.abort();
    expect(((await rejection(late.promise)) as SttError).code).toBe('aborted');
    expect(late.abandoned()).toBe(1);

    const ok = attemptOf(1000, new AbortController().signal);
    expect(ok.attempt.succeed('open')).toBe(true);
    ok.attempt.fail(new SttError('connection_failed', 'too late'));
    await expect(ok.promise).resolves.toBe('open');
    expect(ok.abandoned()).toBe(0);
  });
});
