import type { PCMFrame } from '@stt-stream/core';
import { describe, expect, test } from 'vitest';
import { mediaStreamSource } from './media-stream-source.ts';

function rms(data: Float32Array | Int16Array): number {
  let sum = 0;
  for (const x of data) sum += x * x;
  return Math.sqrt(sum / Math.max(1, data.length));
}

/** A real MediaStream carrying a 440 Hz sine (an oscillator into a MediaStreamAudioDestinationNode). */
function sineStream() {
  const context = new AudioContext();
  const osc = new OscillatorNode(context, { frequency: 440 });
  const gain = new GainNode(context, { gain: 0.5 });
  const dest = context.createMediaStreamDestination();
  osc.connect(gain).connect(dest);
  osc.start();
  return { stream: dest.stream, context };
}

async function take(stream: ReadableStream<PCMFrame>, n: number): Promise<PCMFrame[]> {
  const reader = stream.getReader();
  const out: PCMFrame[] = [];
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    out.push(value);
  }
  reader.releaseLock();
  return out;
}

describe('mediaStreamSource', () => {
  test('mediaStreamSource reads the audio of any MediaStream', async () => {
    const { stream, context } = sineStream();
    const source = mediaStreamSource(stream, { frameMs: 40 });
    const frames = await take(source, 15);
    await source.cancel();
    expect(frames).toHaveLength(15);
    const rate = source.audioContext!.sampleRate;
    for (const f of frames) expect(f).toMatchObject({ sampleRate: rate, channels: 1 });
    expect(frames[0]!.data.length).toBe(Math.round(rate * 0.04));
    // A 0.5-amplitude sine has an RMS of about 0.354.
    expect(rms(frames.at(-1)!.data)).toBeGreaterThan(0.3);
    // The stream is the caller's: its tracks keep running, our context is closed.
    expect(stream.getAudioTracks()[0]!.readyState).toBe('live');
    expect(source.audioContext!.state).toBe('closed');
    await context.close();
  });

  test('mediaStreamSource with stopTracks stops the tracks on cancel', async () => {
    const { stream, context } = sineStream();
    const source = mediaStreamSource(stream, { stopTracks: true });
    await take(source, 2);
    await source.cancel();
    expect(stream.getAudioTracks()[0]!.readyState).toBe('ended');
    await context.close();
  });

  test('mediaStreamSource closes the stream when its tracks end, after the queued audio', async () => {
    const { stream, context } = sineStream();
    const source = mediaStreamSource(stream, { frameMs: 20 });
    await source.started;
    await new Promise((r) => setTimeout(r, 200));
    // A track that ends on its own (unplugged, remote peer gone) fires 'ended';
    // a local stop() fires nothing, so stop it and fire the event it would get.
    const [track] = stream.getAudioTracks();
    track!.stop();
    track!.dispatchEvent(new Event('ended'));
    const frames: PCMFrame[] = [];
    const reader = source.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      frames.push(value);
    }
    // About 200 ms were queued: all of it is read before the end.
    expect(frames.length).toBeGreaterThanOrEqual(8);
    await context.close();
  });

  test('mediaStreamSource refuses a stream without audio', () => {
    expect(() => mediaStreamSource({} as MediaStream)).toThrow(/`stream`/);
    expect(() => mediaStreamSource(new MediaStream())).toThrow(/no audio track/);
  });
});
