// After sessions that end every way a session can end, each ends as a user
// sees it (its transcript, or its exact error) and nothing is left running:
// no sockets, no timers.
import { dtmfSamples, startEmulator } from '@stt-stream/emulator';
import { SttAbortError, SttAuthError, SttConnectionError, createTranscriber, type TranscriptEvent } from '@stt-stream/node';
import { expect, it } from 'vitest';
import { collect, finalsOf, framesOf, sleep } from './helpers.ts';
import { handles, leftRunning } from './hostile-servers.ts';

/** The rejection of `p` (failing the test if it fulfils). */
const rejectionOf = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (value) => expect.unreachable(`expected a rejection, got ${JSON.stringify(value)}`),
    (err: unknown) => err,
  );

const texts = (events: TranscriptEvent[]) => finalsOf(events).map((f) => f.text);

it('sessions that end, fail, abort, cancel and reconnect end as they should and leave no sockets or timers behind', async () => {
  await sleep(50);
  const baseline = handles();
  const emulator = await startEmulator({ apiKeys: ['k'] });
  const fx = dtmfSamples('12 34');
  const url = emulator.url;
  const frames = () => framesOf(fx.samples, 16000, 1);

  // Ends normally, with the whole transcript.
  expect(texts(await collect(frames().pipeThrough(createTranscriber({ model: 'm', url, apiKey: 'k' }))))).toEqual(['one two', 'three four']);

  // Fails: bad key. The gateway closes with 4001; no retry.
  const badKey = createTranscriber({ model: 'm', url, apiKey: 'bad' });
  const badKeyRetries: unknown[] = [];
  badKey.events.on('reconnecting', (info) => badKeyRetries.push(info));
  const unauthenticated = await rejectionOf(collect(frames().pipeThrough(badKey)));
  expect(unauthenticated).toBeInstanceOf(SttAuthError);
  expect(unauthenticated).toMatchObject({
    code: 'unauthenticated',
    message: 'Connection closed (4001): Missing or invalid API key',
    closeCode: 4001,
    retryable: false,
  });
  expect(badKeyRetries).toEqual([]);

  // Reconnects after a drop, then ends with the whole transcript.
  const drop = `${url}?fault=${encodeURIComponent(JSON.stringify({ times: 1, key: 'leak', drop: { afterBytes: 32000 } }))}`;
  const dropped = createTranscriber({ model: 'm', url: drop, apiKey: 'k', reconnect: { minDelayMs: 10 } });
  const reconnects: unknown[] = [];
  dropped.events.on('reconnecting', (info) => reconnects.push(info));
  const afterDrop = await collect(frames().pipeThrough(dropped));
  expect(texts(afterDrop)).toEqual(['one two', 'three four']);
  expect(afterDrop.filter((e) => e.type === 'gap')).toEqual([]);
  expect(reconnects).toHaveLength(1);
  expect(reconnects[0]).toMatchObject({ attempt: 1, cause: { code: 'connection_lost' } });

  // Aborted mid-stream by a signal: both sides end with `aborted`, the signal's reason as the cause.
  const ac = new AbortController();
  const t = createTranscriber({ model: 'm', url, apiKey: 'k', signal: ac.signal, keepAliveMs: 100 });
  const writer = t.writable.getWriter();
  const reading = rejectionOf(collect(t.readable));
  await writer.write({ data: fx.samples.subarray(0, 8000), sampleRate: 16000, channels: 1 });
  await sleep(100);
  ac.abort();
  const aborted = await reading;
  expect(aborted).toBeInstanceOf(SttAbortError);
  expect(aborted).toMatchObject({ code: 'aborted', message: 'Aborted by the signal', retryable: false });
  expect((aborted as Error).cause).toBe(ac.signal.reason);
  expect(await rejectionOf(writer.closed)).toBe(aborted);

  // Cancelled by the reader: the writer's side then fails with `aborted`, naming the cancel.
  const t2 = createTranscriber({ model: 'm', url, apiKey: 'k' });
  const w2 = t2.writable.getWriter();
  await w2.write({ data: fx.samples.subarray(0, 8000), sampleRate: 16000, channels: 1 });
  await t2.readable.cancel();
  const cancelled = await rejectionOf(w2.write({ data: fx.samples.subarray(0, 8000), sampleRate: 16000, channels: 1 }));
  expect(cancelled).toBeInstanceOf(SttAbortError);
  expect(cancelled).toMatchObject({ code: 'aborted', message: 'The transcript stream was cancelled', retryable: false });

  // Refused for good: every attempt is refused with 503, and one retry is allowed.
  const refuse = `${url}?fault=${encodeURIComponent(JSON.stringify({ refuse: { status: 503 } }))}`;
  const refusedBefore = emulator.stats.refused;
  const gaveUp = await rejectionOf(
    collect(frames().pipeThrough(createTranscriber({ model: 'm', url: refuse, apiKey: 'k', reconnect: { retries: 1, minDelayMs: 10 } }))),
  );
  expect(gaveUp).toBeInstanceOf(SttConnectionError);
  expect(gaveUp).toMatchObject({
    code: 'connection_failed',
    status: 503,
    retryable: false,
    message:
      'Gave up reconnecting after 2 failed attempts (`reconnect.retries` is 1): 2 connection attempts in a row were refused with 503 (server_error); ' +
      `last: server_error: Cannot connect to ${url}: 503 Injected fault: refused with 503`,
  });
  expect((gaveUp as Error).cause).toMatchObject({ code: 'server_error', status: 503 });
  expect(emulator.stats.refused - refusedBefore).toBe(2);

  await emulator.close();
  // What is active now that was not before (a multiset difference), after up to 2 s for sockets to close.
  expect(await leftRunning(baseline)).toEqual([]);
});
