import { SttError, type PCMFrame } from '@stt-stream/core';
import { afterEach, describe, expect, test } from 'vitest';
import { microphone } from './microphone.ts';

function rms(data: Float32Array | Int16Array): number {
  let sum = 0;
  for (const x of data) sum += x * x;
  return Math.sqrt(sum / Math.max(1, data.length));
}

/** Reads frames until `enough` says so or `ms` pass. */
async function readFrames(stream: ReadableStream<PCMFrame>, ms: number, enough: (frames: PCMFrame[]) => boolean = () => false) {
  const reader = stream.getReader();
  const frames: PCMFrame[] = [];
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    frames.push(value);
    if (enough(frames)) break;
  }
  reader.releaseLock();
  return frames;
}

const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

/** Shadows `navigator.mediaDevices` for one test (the real getter is on the prototype). */
function fakeMediaDevices(value: unknown) {
  Object.defineProperty(navigator, 'mediaDevices', { value, configurable: true });
  restore.push(() => delete (navigator as unknown as Record<string, unknown>).mediaDevices);
}

describe('microphone', () => {
  test('microphone yields frames of the fake WAV at the AudioContext rate', async () => {
    const mic = microphone({ frameMs: 20 });
    await mic.started;
    const rate = mic.audioContext!.sampleRate;
    const frames = await readFrames(mic, 5000, (fs) => fs.some((f) => rms(f.data) > 0.1) && fs.length > 10);
    await mic.cancel();
    expect(frames.length).toBeGreaterThan(10);
    for (const f of frames) {
      expect(f.data).toBeInstanceOf(Float32Array);
      expect(f.sampleRate).toBe(rate);
      expect(f.channels).toBe(1);
      expect(f.data.length).toBe(Math.round(rate * 0.02));
    }
    // The DTMF tones are there (each sine at 0.35 full scale: RMS about 0.35).
    expect(Math.max(...frames.map((f) => rms(f.data)))).toBeGreaterThan(0.1);
  });

  test('microphone cancel() stops the tracks and closes the AudioContext', async () => {
    const mic = microphone();
    await mic.started;
    const [track] = mic.mediaStream!.getAudioTracks();
    expect(track!.readyState).toBe('live');
    const reader = mic.getReader();
    await reader.read();
    await reader.cancel();
    expect(track!.readyState).toBe('ended');
    expect(mic.audioContext!.state).toBe('closed');
  });

  test('microphone stop() ends a piped stream gracefully, flushing the partial frame', async () => {
    const mic = microphone({ frameMs: 100 });
    const frames: PCMFrame[] = [];
    const piped = mic.pipeTo(new WritableStream({ write: (f) => void frames.push(f) }));
    await mic.started;
    await new Promise((r) => setTimeout(r, 450));
    mic.stop();
    expect(mic.mediaStream!.getAudioTracks()[0]!.readyState).toBe('ended');
    await piped; // closed, not errored
    const size = Math.round(mic.audioContext!.sampleRate * 0.1);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    for (const f of frames.slice(0, -1)) expect(f.data.length).toBe(size);
    // The last frame is what the worklet held: a whole number of render quanta, at most one frame.
    expect(frames.at(-1)!.data.length).toBeGreaterThan(0);
    expect(frames.at(-1)!.data.length).toBeLessThanOrEqual(size);
    await expect.poll(() => mic.audioContext!.state).toBe('closed');
  });

  test('microphone cancel() before permission resolves still releases the device', async () => {
    const mic = microphone();
    await mic.cancel();
    await expect(mic.started).rejects.toMatchObject({ code: 'aborted' });
    // getUserMedia resolved after the cancel: its tracks were stopped at once.
    await new Promise((r) => setTimeout(r, 300));
    for (const track of mic.mediaStream?.getTracks() ?? []) expect(track.readyState).toBe('ended');
    expect(mic.audioContext!.state).toBe('closed');
  });

  test('microphone with an injected AudioContext leaves it open on cancel', async () => {
    const audioContext = new AudioContext({ sampleRate: 16_000 });
    const mic = microphone({ audioContext, frameMs: 50 });
    const [frame] = await readFrames(mic, 3000, (fs) => fs.length >= 1);
    expect(frame!.sampleRate).toBe(16_000);
    expect(frame!.data.length).toBe(800);
    await mic.cancel();
    expect(mic.mediaStream!.getAudioTracks()[0]!.readyState).toBe('ended');
    expect(audioContext.state).not.toBe('closed');
    await audioContext.close();
  });

  test('microphone sampleRate option sets the rate of the context it creates', async () => {
    const mic = microphone({ sampleRate: 16_000, channels: 2 });
    const [frame] = await readFrames(mic, 3000, (fs) => fs.length >= 1);
    await mic.cancel();
    expect(frame).toMatchObject({ sampleRate: 16_000, channels: 2 });
    expect(frame!.data.length).toBe(1600 * 2); // 100 ms: the default frameMs, as everywhere
  });

  test('microphone drops the oldest audio past maxQueuedMs and reports it', async () => {
    const drops: { start: number; end: number; droppedMs: number }[] = [];
    const mic = microphone({ frameMs: 20, maxQueuedMs: 100, onDrop: (d) => drops.push(d) });
    await mic.started;
    // Nobody reads for a while.
    await new Promise((r) => setTimeout(r, 600));
    expect(drops.length).toBeGreaterThan(0);
    expect(mic.droppedMs).toBeGreaterThan(200);
    expect(mic.droppedMs).toBeCloseTo(drops.reduce((s, d) => s + d.droppedMs, 0), 6);
    // Spans are contiguous and in order: the oldest audio goes first.
    for (let i = 1; i < drops.length; i++) expect(drops[i]!.start).toBeCloseTo(drops[i - 1]!.end, 6);
    expect(drops[0]!.start).toBe(0);
    // What is left is at most maxQueuedMs (plus the frame the worklet posts while we read).
    const reader = mic.getReader();
    const queued: PCMFrame[] = [];
    const t0 = performance.now();
    while (performance.now() - t0 < 5) {
      const r = await Promise.race([reader.read(), new Promise<null>((res) => setTimeout(() => res(null), 2))]);
      if (!r || r.done) break;
      queued.push(r.value);
    }
    expect(queued.length).toBeLessThanOrEqual(6);
    await reader.cancel();
  });

  test('microphone with a denied permission errors with permission_denied', async () => {
    fakeMediaDevices({ getUserMedia: () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) });
    const mic = microphone();
    const err = await mic.getReader().read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'permission_denied', retryable: false });
    await expect(mic.started).rejects.toBe(err);
    expect(mic.audioContext!.state).toBe('closed');
  });

  test('microphone without getUserMedia (insecure context) errors with unsupported', async () => {
    fakeMediaDevices(undefined);
    const mic = microphone();
    const err = await mic.getReader().read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'unsupported' });
  });

  test('microphone with a missing device errors with device_unavailable', async () => {
    fakeMediaDevices({ getUserMedia: () => Promise.reject(new DOMException('none', 'NotFoundError')) });
    const err = await microphone({ deviceId: 'nope' }).getReader().read().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'device_unavailable' });
  });

  test('microphone refuses invalid options, naming them', () => {
    // The range of every frameMs of the packages: 10 to 1000.
    expect(() => microphone({ frameMs: 9 })).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 1000 ms, got 9'));
    expect(() => microphone({ frameMs: 1001 })).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 1000 ms, got 1001'));
    expect(() => microphone({ frameMs: Number.NaN })).toThrow(RangeError);
    expect(() => microphone({ frameMs: '20' as unknown as number })).toThrow(
      new TypeError('Invalid option `frameMs`: expected a number of milliseconds, got string'),
    );
    expect(() => microphone({ maxQueuedMs: 10 })).toThrow(/`maxQueuedMs`/);
    // At least one frame of the default 100 ms.
    expect(() => microphone({ maxQueuedMs: 50 })).toThrow(/at least frameMs \(100\), got 50/);
    expect(() => microphone({ channels: 3 as 1 })).toThrow(/`channels`/);
    expect(() => microphone({ deviceId: 4 as unknown as string })).toThrow(TypeError);
    expect(() => microphone({ echoCancellation: 'yes' as unknown as boolean })).toThrow(/`echoCancellation`/);
    expect(() => microphone({ onDrop: 1 as unknown as () => void })).toThrow(/`onDrop`/);
    expect(() => microphone({ sampleRate: 1000 })).toThrow(/`sampleRate`/);
  });
});
