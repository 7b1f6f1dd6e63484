// After sessions that end every way a session can end, nothing is left
// running: no sockets, no timers (issue 3, "no open handles").
import { dtmfSamples, startEmulator } from '@stt-stream/emulator';
import { createTranscriber } from '@stt-stream/node';
import { expect, it } from 'vitest';
import { collect, framesOf, sleep } from './helpers.ts';
import { handles, leftRunning } from './hostile-servers.ts';

it('sessions that end, fail, abort, cancel and reconnect leave no sockets or timers behind', async () => {
  await sleep(50);
  const baseline = handles();
  const emulator = await startEmulator({ apiKeys: ['k'] });
  const fx = dtmfSamples('12 34');
  const url = emulator.url;
  const frames = () => framesOf(fx.samples, 16000, 1);

  // Ends normally.
  await collect(frames().pipeThrough(createTranscriber({ model: 'm', url, apiKey: 'k' })));
  // Fails: bad key.
  await collect(frames().pipeThrough(createTranscriber({ model: 'm', url, apiKey: 'bad' }))).catch(() => undefined);
  // Reconnects after a drop, then ends.
  const drop = `${url}?fault=${encodeURIComponent(JSON.stringify({ times: 1, key: 'leak', drop: { afterBytes: 32000 } }))}`;
  await collect(frames().pipeThrough(createTranscriber({ model: 'm', url: drop, apiKey: 'k', reconnect: { minDelayMs: 10 } })));
  // Aborted mid-stream by a signal.
  const ac = new AbortController();
  const t = createTranscriber({ model: 'm', url, apiKey: 'k', signal: ac.signal, keepAliveMs: 100 });
  const writer = t.writable.getWriter();
  const reading = collect(t.readable).catch(() => undefined);
  await writer.write({ data: fx.samples.subarray(0, 8000), sampleRate: 16000, channels: 1 });
  await sleep(100);
  ac.abort();
  await reading;
  // Cancelled by the reader.
  const t2 = createTranscriber({ model: 'm', url, apiKey: 'k' });
  const w2 = t2.writable.getWriter();
  await w2.write({ data: fx.samples.subarray(0, 8000), sampleRate: 16000, channels: 1 });
  await t2.readable.cancel();
  // Refused for good: retries exhausted.
  const refuse = `${url}?fault=${encodeURIComponent(JSON.stringify({ refuse: { status: 503 } }))}`;
  await collect(frames().pipeThrough(createTranscriber({ model: 'm', url: refuse, apiKey: 'k', reconnect: { retries: 1, minDelayMs: 10 } }))).catch(() => undefined);

  await emulator.close();
  // What is active now that was not before (a multiset difference), after up to 2 s for sockets to close.
  expect(await leftRunning(baseline)).toEqual([]);
});
