import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SttError, type PCMFrame } from '@stt-stream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { microphone, recorderArgs } from './microphone.ts';

// A real recorder subprocess: sox with a synthetic input instead of a sound
// card, through the same code path as a microphone.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'microphone-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// -D: no dither, so two runs write the same samples.
const SYNTH = ['-D', '-n', '-t', 's16', '-r', '16000', '-c', '1', '-', 'synth', '1', 'sine', '440'];

async function collect(stream: ReadableStream<PCMFrame>): Promise<PCMFrame[]> {
  const frames: PCMFrame[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) frames.push(r.value);
  return frames;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only asks whether it exists
    return true;
  } catch {
    return false;
  }
}

describe('microphone', () => {
  it('microphone - reads a recorder subprocess as s16 frames, equal to what it wrote', async () => {
    const frames = await collect(microphone({ command: 'sox', args: SYNTH }));
    expect(frames.every((f) => f.sampleRate === 16000 && f.channels === 1 && f.data instanceof Int16Array)).toBe(true);
    const got = Int16Array.from(frames.flatMap((f) => Array.from(f.data)));
    const raw = execFileSync('sox', SYNTH);
    expect(got).toEqual(new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  });

  it('microphone - a recorder named by path with args, stereo at 8 kHz', async () => {
    const args = ['-n', '-t', 's16', '-r', '8000', '-c', '2', '-', 'synth', '0.5', 'sine', '300', 'sine', '500'];
    const frames = await collect(microphone({ recorder: '/usr/bin/sox', args, sampleRate: 8000, channels: 2 }));
    expect(frames[0]).toMatchObject({ sampleRate: 8000, channels: 2 });
    expect(frames.reduce((n, f) => n + f.data.length, 0)).toBe(8000);
  });

  it('microphone - cancel() kills the recorder', async () => {
    const pidFile = join(dir, 'rec.pid');
    const long = ['-n', '-t', 's16', '-r', '16000', '-c', '1', '-', 'synth', '3600', 'sine', '440'];
    const reader = microphone({ command: 'sh', args: ['-c', `echo $$ > ${pidFile}; exec sox ${long.join(' ')}`] }).getReader();
    expect((await reader.read()).done).toBe(false);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    await reader.cancel();
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });

  it('microphone - a recorder that fails reports its stderr; a missing one is recorder_not_found', async () => {
    const failed = await collect(microphone({ command: 'sox', args: ['/nonexistent/input.wav', '-t', 's16', '-'] })).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(SttError);
    expect(failed).toMatchObject({ code: 'recorder_failed' });
    expect((failed as Error).message).toMatch(/nonexistent\/input\.wav/);
    const missing = await collect(microphone({ recorder: '/nonexistent/arecord' })).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'recorder_not_found' });
    const saved = process.env.PATH;
    process.env.PATH = join(dir, 'empty');
    try {
      const none = await collect(microphone()).catch((e: unknown) => e);
      expect(none).toMatchObject({ code: 'recorder_not_found' });
      expect((none as Error).message).toMatch(/apt-get install/);
    } finally {
      process.env.PATH = saved;
    }
  });

  it('microphone - builds raw s16le arguments for each recorder', () => {
    expect(recorderArgs('arecord', 16000, 1, 'hw:1,0')).toEqual(['-q', '-t', 'raw', '-f', 'S16_LE', '-r', '16000', '-c', '1', '-D', 'hw:1,0', '-']);
    expect(recorderArgs('rec', 16000, 1, undefined, 'linux')).toEqual(['-q', '-d', '-t', 'raw', '-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', '-']);
    expect(recorderArgs('sox', 48000, 2, 'default', 'darwin').slice(0, 4)).toEqual(['-q', '-t', 'coreaudio', 'default']);
    expect(recorderArgs('ffmpeg', 16000, 1, undefined, 'linux')).toEqual(
      ['-nostdin', '-hide_banner', '-loglevel', 'error', '-f', 'alsa', '-i', 'default', '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'],
    );
  });

  it('microphone - bad options are errors naming the field', () => {
    expect(() => microphone({ sampleRate: 1000 })).toThrow(/`sampleRate`/);
    expect(() => microphone({ channels: 3.5 })).toThrow(/`channels`/);
    expect(() => microphone({ args: 'x' as unknown as string[] })).toThrow(/`args`/);
  });

  it('microphone - an unknown recorder without args is a TypeError through the stream', async () => {
    const err = await collect(microphone({ recorder: 'parecord' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(/`recorder`/);
  });
});
