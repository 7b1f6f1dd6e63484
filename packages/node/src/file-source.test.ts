import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, ftruncateSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SttError, type PCMFrame } from '@stt-stream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from './file-source.ts';

// Real files written by sox and ffmpeg, decoded by fileSource: WAV natively,
// the rest through a real ffmpeg subprocess.

let dir: string;
const path = (name: string) => join(dir, name);
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
const ffmpeg = (...args: string[]) => run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);

async function collect(stream: ReadableStream<PCMFrame>): Promise<PCMFrame[]> {
  const frames: PCMFrame[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) frames.push(r.value);
  return frames;
}

function samples16(frames: PCMFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) {
    expect(f.data).toBeInstanceOf(Int16Array);
    out.set(f.data as Int16Array, at);
    at += f.data.length;
  }
  return out;
}

async function failure(stream: ReadableStream<PCMFrame>): Promise<SttError> {
  const err = await collect(stream).then(
    () => {
      throw new Error('expected the stream to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SttError);
  return err as SttError;
}

/** Power of one frequency in mono samples (Goertzel), normalised by length. */
function power(x: Int16Array, rate: number, hz: number): number {
  const k = (2 * Math.cos((2 * Math.PI * hz) / rate));
  let s1 = 0;
  let s2 = 0;
  for (const v of x) {
    const s = v / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return (s1 * s1 + s2 * s2 - k * s1 * s2) / x.length;
}

const s16le = (buf: Buffer) => new Int16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));

/** Whether a process with this string in its command line runs (read-only look). */
function running(fragment: string): boolean {
  try {
    return run('pgrep', ['-f', fragment]).toString().trim().length > 0;
  } catch {
    return false;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-source-'));
  // 2 s of a 440 Hz tone, 16 kHz mono 16-bit: the source of every encoded file.
  run('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', path('tone.wav'), 'synth', '2', 'sine', '440', 'gain', '-6']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fileSource', () => {
  it('fileSource - decodes a WAV file natively, in chunks, to the samples sox decodes', async () => {
    run('sox', [path('tone.wav'), '-c', '2', '-b', '24', path('stereo24.wav'), 'remix', '1', '1v0.5']);
    const frames = await collect(fileSource(path('tone.wav'), { chunkBytes: 1000 }));
    expect(frames.length).toBeGreaterThan(50);
    expect(frames[0]).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(samples16(frames)).toEqual(s16le(run('sox', [path('tone.wav'), '-t', 's16', '-'])));
    const stereo = await collect(fileSource(path('stereo24.wav'), { chunkBytes: 777 }));
    expect(stereo[0]).toMatchObject({ sampleRate: 16000, channels: 2 });
    expect(stereo.every((f) => f.data instanceof Float32Array && f.data.length % 2 === 0)).toBe(true);
    expect(stereo.reduce((n, f) => n + f.data.length, 0)).toBe(2 * 32000);
  });

  it('fileSource - detects WAV by its bytes, whatever the name', async () => {
    copyFileSync(path('tone.wav'), path('actually-wav.mp3'));
    const frames = await collect(fileSource(path('actually-wav.mp3'), { ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(samples16(frames).length).toBe(32000);
  });

  const encoded = [
    { ext: 'mp3', args: ['-c:a', 'libmp3lame', '-b:a', '64k'], rate: 16000 },
    { ext: 'ogg', args: ['-c:a', 'libvorbis'], rate: 16000 },
    { ext: 'opus', args: ['-c:a', 'libopus', '-b:a', '32k'], rate: 48000 },
    { ext: 'webm', args: ['-c:a', 'libopus'], rate: 48000 },
    // AAC keeps some encoder padding after ffmpeg's trimming.
    { ext: 'm4a', args: ['-c:a', 'aac', '-b:a', '64k'], rate: 16000, slack: 0.08 },
    { ext: 'mp4', args: ['-c:a', 'aac'], rate: 16000, slack: 0.08 },
  ];
  for (const { ext, args, rate, slack = 0.03 } of encoded) {
    it(`fileSource - decodes ${ext} through ffmpeg to the right length, rate and content`, async () => {
      ffmpeg('-i', path('tone.wav'), ...args, path(`tone.${ext}`));
      const frames = await collect(fileSource(path(`tone.${ext}`)));
      expect(frames[0]).toMatchObject({ sampleRate: rate, channels: 1 });
      const x = samples16(frames);
      expect(Math.abs(x.length / rate - 2)).toBeLessThan(slack); // codec priming is trimmed by ffmpeg
      const mid = x.subarray(Math.floor(rate * 0.25), Math.floor(rate * 1.75));
      expect(power(mid, rate, 440)).toBeGreaterThan(0.05);
      expect(power(mid, rate, 440)).toBeGreaterThan(1000 * power(mid, rate, 1000));
    });
  }

  it('fileSource - decodes flac through ffmpeg to exactly the source samples', async () => {
    ffmpeg('-i', path('tone.wav'), '-c:a', 'flac', path('tone.flac'));
    const frames = await collect(fileSource(path('tone.flac'), { chunkBytes: 4096 }));
    expect(samples16(frames)).toEqual(s16le(run('sox', [path('tone.wav'), '-t', 's16', '-'])));
  });

  it('fileSource - finds the format by magic bytes when the name says nothing', async () => {
    ffmpeg('-i', path('tone.wav'), '-c:a', 'libmp3lame', '-f', 'mp3', path('no-extension'));
    const x = samples16(await collect(fileSource(path('no-extension'))));
    expect(Math.abs(x.length / 16000 - 2)).toBeLessThan(0.03);
  });

  it('fileSource - resamples and mixes through ffmpeg when asked', async () => {
    const frames = await collect(fileSource(path('tone.flac'), { sampleRate: 8000, channels: 2 }));
    expect(frames[0]).toMatchObject({ sampleRate: 8000, channels: 2 });
    expect(samples16(frames).length).toBe(2 * 16000);
  });

  it('fileSource - a WAV codec we do not decode (MS ADPCM) goes through ffmpeg', async () => {
    ffmpeg('-i', path('tone.wav'), '-c:a', 'adpcm_ms', path('adpcm.wav'));
    const x = samples16(await collect(fileSource(path('adpcm.wav'))));
    expect(Math.abs(x.length / 16000 - 2)).toBeLessThan(0.05); // the last ADPCM block is padded
    expect(power(x, 16000, 440)).toBeGreaterThan(0.05);
  });

  it('fileSource - without ffmpeg, a format that needs it fails with ffmpeg_not_found and how to install it', async () => {
    const err = await failure(fileSource(path('tone.mp3'), { ffmpegPath: join(dir, 'no', 'ffmpeg') }));
    expect(err.code).toBe('ffmpeg_not_found');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(path('tone.mp3'));
    expect(err.message).toMatch(/apt-get install ffmpeg/);
    expect(err.message).toMatch(/brew install ffmpeg/);
    expect(err.message).toBe(
      `Cannot decode ${path('tone.mp3')}: it needs ffmpeg, and \`${join(dir, 'no', 'ffmpeg')}\` does not exist. Install it (Debian/Ubuntu: \`apt-get install ffmpeg\`, macOS: \`brew install ffmpeg\`, Windows: \`winget install ffmpeg\`) or pass \`ffmpegPath\`.`,
    );
    const saved = process.env.PATH;
    process.env.PATH = join(dir, 'empty-path');
    try {
      const onPath = await failure(fileSource(path('tone.ogg')));
      expect(onPath.code).toBe('ffmpeg_not_found');
      expect(onPath.message).toContain('none on the PATH');
    } finally {
      process.env.PATH = saved;
    }
  });

  it('fileSource - a missing file is an error naming it', async () => {
    const err = await failure(fileSource(path('missing.wav')));
    expect(err).toMatchObject({ code: 'invalid_input', retryable: false });
    expect(err.message).toBe(`Cannot read ${path('missing.wav')}: no such file`);
  });

  it('fileSource - a file that is not audio is an error naming it, with or without ffmpeg', async () => {
    writeFileSync(path('notes.txt'), 'These are meeting notes, not audio.\n'.repeat(20));
    const viaFfmpeg = await failure(fileSource(path('notes.txt')));
    expect(viaFfmpeg).toMatchObject({ code: 'decode_failed', retryable: false });
    // ffmpeg reads a text file as a (video) tty stream: it holds no audio.
    expect(viaFfmpeg.message).toBe(
      `Cannot decode ${path('notes.txt')}: ffmpeg finds no audio stream in it ` +
        '(if it is raw PCM, which has no header to say its rate and format: read it with fromNodeReadable(stream, { sampleRate, channels, encoding }))',
    );
    const noFfmpeg = await failure(fileSource(path('notes.txt'), { ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(noFfmpeg.code).toBe('invalid_input');
    expect(noFfmpeg.message).toMatch(/notes\.txt is not a WAV file nor an audio format we recognise \(it starts with "These ar"/);
    writeFileSync(path('fake.mp3'), 'not really an mp3 at all'.repeat(10));
    const fake = await failure(fileSource(path('fake.mp3')));
    expect(fake.code).toBe('decode_failed');
    expect(fake.message).toContain(path('fake.mp3'));
    writeFileSync(path('empty.wav'), '');
    expect((await failure(fileSource(path('empty.wav')))).message).toBe(`${path('empty.wav')}: the file is empty`);
  });

  it('fileSource - a truncated WAV header or truncated audio fails naming the file, never hangs', async () => {
    const whole = readFileSync(path('tone.wav'));
    writeFileSync(path('cut-header.wav'), whole.subarray(0, 30));
    const header = await failure(fileSource(path('cut-header.wav')));
    expect(header.code).toBe('invalid_input');
    expect(header.message).toBe(`${path('cut-header.wav')}: Truncated WAV file: it ends in the header, before the fmt chunk is complete`);
    writeFileSync(path('cut-audio.wav'), whole.subarray(0, 10_000));
    const audio = await failure(fileSource(path('cut-audio.wav')));
    expect(audio.message).toMatch(/cut-audio\.wav: Truncated WAV file: the data chunk declares 64000 bytes but the file ends after 9956/);
  });

  it('fileSource - a truncated m4a fails with ffmpeg’s reason; a truncated mp3 decodes what is there', async () => {
    const m4a = readFileSync(path('tone.m4a'));
    writeFileSync(path('cut.m4a'), m4a.subarray(0, Math.floor(m4a.length / 2)));
    const err = await failure(fileSource(path('cut.m4a')));
    expect(err.code).toBe('decode_failed');
    expect(err.message).toContain(`Cannot decode ${path('cut.m4a')}`);
    const mp3 = readFileSync(path('tone.mp3'));
    writeFileSync(path('cut.mp3'), mp3.subarray(0, Math.floor(mp3.length / 2)));
    const x = samples16(await collect(fileSource(path('cut.mp3'))));
    expect(x.length / 16000).toBeGreaterThan(0.7);
    expect(x.length / 16000).toBeLessThan(1.3);
  });

  it('fileSource - cancel() kills ffmpeg, which otherwise waits on the pipe (back-pressure)', async () => {
    const long = path('long-unique-cancel.flac');
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=300:duration=120:sample_rate=16000', '-c:a', 'flac', long);
    const reader = fileSource(long, { chunkBytes: 4096 }).getReader();
    expect((await reader.read()).done).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(running(long)).toBe(true); // blocked on a full pipe, not racing ahead
    await reader.cancel();
    for (let i = 0; i < 50 && running(long); i++) await new Promise((r) => setTimeout(r, 20));
    expect(running(long)).toBe(false);
  });

  it('fileSource - reads a 4 GB WAV (sizes unknown) chunk by chunk without holding it in memory', async () => {
    const big = path('big.wav');
    const header = Buffer.alloc(44);
    header.write('RIFF', 0);
    header.writeUInt32LE(0xffffffff, 4);
    header.write('WAVEfmt ', 8);
    header.writeUInt32LE(16, 16);
    header.writeUInt16LE(1, 20);
    header.writeUInt16LE(1, 22);
    header.writeUInt32LE(16000, 24);
    header.writeUInt32LE(32000, 28);
    header.writeUInt16LE(2, 32);
    header.writeUInt16LE(16, 34);
    header.write('data', 36);
    header.writeUInt32LE(0xffffffff, 40);
    const fd = openSync(big, 'w');
    writeSync(fd, header);
    ftruncateSync(fd, 4 * 1024 ** 3); // sparse: costs no disk
    closeSync(fd);
    const before = process.memoryUsage().rss;
    const reader = fileSource(big).getReader();
    let samples = 0;
    for (let i = 0; i < 20; i++) {
      const { value } = await reader.read();
      samples += value!.data.length;
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(samples).toBeGreaterThan(20 * 30000);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 ** 2);
    await reader.cancel();
  });

  it('fileSource - bad arguments are TypeError or RangeError naming the field', () => {
    expect(() => fileSource('')).toThrow(/`path`/);
    expect(() => fileSource('a.wav', { chunkBytes: 0 })).toThrow(RangeError);
    expect(() => fileSource('a.wav', { chunkBytes: 0 })).toThrow(/`chunkBytes`/);
    expect(() => fileSource('a.mp3', { sampleRate: 100 })).toThrow(/`sampleRate`/);
    expect(() => fileSource('a.mp3', { channels: 9 })).toThrow(/`channels`/);
  });
});
