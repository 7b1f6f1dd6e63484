import { SttError, type PCMFrame } from '@stt-stream/core';
import { describe, expect, inject, test } from 'vitest';
import { blobSource } from './blob-source.ts';

function bytes(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function all(stream: ReadableStream<PCMFrame>): Promise<PCMFrame[]> {
  const out: PCMFrame[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

const sampleFrames = (frames: PCMFrame[]) => frames.reduce((n, f) => n + f.data.length / f.channels, 0);

/** Where the signal is louder than `threshold`, in sample frames, for each run of tone. */
function toneOnsets(frames: PCMFrame[], threshold = 0.2): number[] {
  const onsets: number[] = [];
  let i = 0;
  let lastLoud = -1e9;
  for (const f of frames) {
    for (let k = 0; k < f.data.length; k += f.channels) {
      if (Math.abs(f.data[k]!) > threshold) {
        if (i - lastLoud > f.sampleRate * 0.04) onsets.push(i);
        lastLoud = i;
      }
      i++;
    }
  }
  return onsets;
}

describe('blobSource', () => {
  test('blobSource decodes a WAV into frames of frameMs', async () => {
    const wav = new Blob([bytes(inject('blobWavBase64'))], { type: 'audio/wav' });
    const frames = await all(blobSource(wav, { frameMs: 100 }));
    expect(frames.length).toBeGreaterThan(5);
    for (const f of frames.slice(0, -1)) expect(f).toMatchObject({ sampleRate: 16_000, channels: 1 });
    for (const f of frames.slice(0, -1)) expect(f.data.length).toBe(1600);
    expect(sampleFrames(frames)).toBe(Math.round(16_000 * inject('blobDuration')));
    expect(toneOnsets(frames)).toHaveLength(4);
  });

  test('blobSource frameMs has the range and default of every frameMs: 10 to 1000, default 100', async () => {
    const wav = () => new Blob([bytes(inject('blobWavBase64'))], { type: 'audio/wav' });
    const total = Math.round(16_000 * inject('blobDuration'));
    for (const [frameMs, size] of [[undefined, 1600], [10, 160], [1000, 16_000]] as const) {
      const frames = await all(blobSource(wav(), frameMs === undefined ? {} : { frameMs }));
      for (const f of frames.slice(0, -1)) expect(f.data.length).toBe(size);
      expect(frames).toHaveLength(Math.ceil(total / size));
      expect(sampleFrames(frames)).toBe(total);
    }
  });

  test('blobSource of an Ogg/Opus made from the WAV gives the same audio length ± 25 ms', async (ctx) => {
    const ogg = inject('blobOggBase64');
    expect(ogg?.length ?? 0, 'ffmpeg with libopus makes the Ogg fixture (global setup)').toBeGreaterThan(1000);
    const wavFrames = await all(blobSource(new Blob([bytes(inject('blobWavBase64'))], { type: 'audio/wav' })));
    const oggFrames = await all(blobSource(new Blob([bytes(ogg)], { type: 'audio/ogg' })));
    expect(oggFrames[0]).toMatchObject({ sampleRate: 16_000, channels: 1 });
    expect(Math.abs(sampleFrames(oggFrames) - sampleFrames(wavFrames))).toBeLessThanOrEqual(16_000 * 0.025);
    // The same tones at the same places (within 10 ms).
    const a = toneOnsets(wavFrames);
    const b = toneOnsets(oggFrames);
    expect(b).toHaveLength(a.length);
    b.forEach((at, i) => expect(Math.abs(at - a[i]!)).toBeLessThan(160));
  });

  test('blobSource keeps stereo interleaved and honours sampleRate', async () => {
    // Two seconds of a stereo buffer rendered offline, written as a WAV.
    const rate = 22_050;
    const n = rate / 10;
    const pcm = new Int16Array(n * 2);
    for (let i = 0; i < n; i++) {
      pcm[2 * i] = 8000;
      pcm[2 * i + 1] = -8000;
    }
    const header = new DataView(new ArrayBuffer(44));
    const w = (o: number, s: string) => [...s].forEach((ch, k) => header.setUint8(o + k, ch.charCodeAt(0)));
    w(0, 'RIFF'); header.setUint32(4, 36 + pcm.byteLength, true); w(8, 'WAVE'); w(12, 'fmt ');
    header.setUint32(16, 16, true); header.setUint16(20, 1, true); header.setUint16(22, 2, true);
    header.setUint32(24, rate, true); header.setUint32(28, rate * 4, true); header.setUint16(32, 4, true);
    header.setUint16(34, 16, true); w(36, 'data'); header.setUint32(40, pcm.byteLength, true);
    const frames = await all(blobSource(new Blob([header.buffer, pcm.buffer]), { sampleRate: rate, frameMs: 20 }));
    expect(frames[0]).toMatchObject({ sampleRate: rate, channels: 2 });
    expect(frames[0]!.data.length).toBe(Math.round(rate * 0.02) * 2);
    expect(frames[0]!.data[10]).toBeCloseTo(8000 / 32768, 3);
    expect(frames[0]!.data[11]).toBeCloseTo(-8000 / 32768, 3);
    expect(sampleFrames(frames)).toBe(n);
  });

  test('blobSource of bytes the browser cannot decode errors with decode_failed', async () => {
    const err = await all(blobSource(new Blob(['not audio at all']))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'decode_failed', retryable: false });
  });

  test('blobSource refuses invalid arguments, naming them', () => {
    expect(() => blobSource('x' as unknown as Blob)).toThrow(/`blob`/);
    expect(() => blobSource(new Blob([]), { frameMs: 9 })).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 1000 ms, got 9'));
    expect(() => blobSource(new Blob([]), { frameMs: 1001 })).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 1000 ms, got 1001'));
    expect(() => blobSource(new Blob([]), { frameMs: '100' as unknown as number })).toThrow(
      new TypeError('Invalid option `frameMs`: expected a number of milliseconds, got string'),
    );
    expect(() => blobSource(new Blob([]), { sampleRate: 7 })).toThrow(/`sampleRate`/);
    expect(() => blobSource(new Blob([]), { audioContext: {} as AudioContext })).toThrow(/`audioContext`/);
  });
});
