import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { SttError, type PCMFrame } from '@stt-stream/core';
import { describe, expect, it } from 'vitest';
import { audioStreamSource } from './audio-stream-source.ts';

// Audio from a Node byte stream: WAV in-process, the rest through a real ffmpeg reading stdin.

const tone = execFileSync('sox', ['-D', '-n', '-r', '16000', '-c', '1', '-b', '16', '-t', 'wav', '-', 'synth', '1', 'sine', '440']);
const raw = execFileSync('sox', ['-D', '-n', '-r', '16000', '-c', '1', '-b', '16', '-t', 's16', '-', 'synth', '1', 'sine', '440']);

async function collect(stream: ReadableStream<PCMFrame>): Promise<PCMFrame[]> {
  const frames: PCMFrame[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) frames.push(r.value);
  return frames;
}

function chunks(b: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

const join16 = (frames: PCMFrame[]) => Int16Array.from(frames.flatMap((f) => Array.from(f.data)));

describe('audioStreamSource', () => {
  it('audioStreamSource - decodes WAV bytes in-process, whatever the chunking', async () => {
    const frames = await collect(audioStreamSource(Readable.from(chunks(tone, 7)), { ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(frames[0]).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(join16(frames)).toEqual(new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  });

  it('audioStreamSource - decodes flac through ffmpeg reading stdin', async () => {
    const flac = execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', '-f', 'flac', 'pipe:1'], { input: tone });
    const frames = await collect(audioStreamSource(Readable.from(chunks(flac, 1000))));
    expect(join16(frames)).toEqual(new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  });

  it('audioStreamSource - bytes that are not audio fail naming the input; no ffmpeg says how to install it', async () => {
    const text = () => Readable.from([Buffer.from('hello, this is not audio at all. '.repeat(10))]);
    const err = await collect(audioStreamSource(text(), { name: 'stdin' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'decode_failed', retryable: false });
    expect((err as Error).message).toBe(
      'Cannot decode stdin: Invalid data found when processing input' +
        ' (if it is raw PCM, which has no header to say its rate and format: read it with fromNodeReadable(stream, { sampleRate, channels, encoding }))',
    );
    const none = await collect(audioStreamSource(text(), { name: 'stdin', ffmpegPath: '/nonexistent/ffmpeg' })).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'ffmpeg_not_found' });
    const empty = await collect(audioStreamSource(Readable.from([]), { name: 'stdin' })).catch((e: unknown) => e);
    expect((empty as Error).message).toBe('stdin is empty');
  });
});
