import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavDecoder, type PCMFrame, type WavEncoding } from '@stt-stream/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// WavDecoder (core) against sox: files that sox and ffmpeg write here, fed
// to the decoder in random chunk sizes, must decode to the samples sox
// decodes: `sox FILE -t s16 -` exactly for 16-bit and G.711; for the rest
// `sox FILE -t s32 -` (sox's own 32-bit sample, lossless) scaled by 2^31.
// (`-t f32` is not the reference: sox 14.4.2 rounds its float output
// coarser than float32, e.g. 102967754 / 2^31 comes out as 102967808 / 2^31.)
// Integer formats match exactly; float files differ only by sox rounding
// them to its 32-bit integer samples.

let dir: string;
const path = (name: string) => join(dir, name);
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
const sox = (...args: string[]) => run('sox', args);
const ffmpeg = (...args: string[]) => run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);

/** A seeded PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function decodeRandomly(bytes: Uint8Array, seed: number): { frames: PCMFrame[]; decoder: WavDecoder } {
  const rand = random(seed);
  const decoder = new WavDecoder();
  const frames: PCMFrame[] = [];
  for (let pos = 0; pos < bytes.length; ) {
    // Mostly small and odd sizes, so headers and samples split everywhere.
    const n = rand() < 0.3 ? 1 + Math.floor(rand() * 3) : 1 + Math.floor(rand() * 700);
    frames.push(...decoder.push(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  frames.push(...decoder.end());
  return { frames, decoder };
}

function join16(frames: PCMFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) {
    expect(f.data).toBeInstanceOf(Int16Array);
    out.set(f.data, at);
    at += f.data.length;
  }
  return out;
}

function join32(frames: PCMFrame[]): Float32Array {
  const out = new Float32Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) {
    expect(f.data).toBeInstanceOf(Float32Array);
    out.set(f.data, at);
    at += f.data.length;
  }
  return out;
}

function soxS16(file: string): Int16Array {
  const raw = sox(file, '-t', 's16', '-');
  return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** sox's 32-bit samples as floats: int / 2^31, rounded to float32 like the decoder's output. */
function soxS32AsFloat(file: string): Float32Array {
  const raw = sox(file, '-t', 's32', '-');
  const ints = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  return Float32Array.from(ints, (v) => v / 2147483648);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

interface Case {
  name: string;
  make: (out: string) => void;
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  extensible?: boolean;
  /** sox keeps samples as 32-bit integers, so float files differ by its rounding. */
  tolerance?: number;
}

const SRC = 'src.wav'; // 0.3 s, 16 kHz, stereo: a sine and pink noise, 32-bit

const cases: Case[] = [
  { name: 'sox 8-bit unsigned', make: (o) => sox(path(SRC), '-t', 'wavpcm', '-e', 'unsigned', '-b', '8', o), encoding: 'pcm_u8', channels: 2, sampleRate: 16000 },
  { name: 'sox 8-bit mono, odd data size and its pad byte', make: (o) => sox('-n', '-r', '8000', '-c', '1', '-e', 'unsigned', '-b', '8', '-t', 'wavpcm', o, 'synth', '1601s', 'sine', '300'), encoding: 'pcm_u8', channels: 1, sampleRate: 8000 },
  { name: 'sox 16-bit', make: (o) => sox(path(SRC), '-t', 'wavpcm', '-b', '16', o), encoding: 'pcm_s16', channels: 2, sampleRate: 16000 },
  { name: 'ffmpeg 16-bit with a LIST chunk', make: (o) => ffmpeg('-i', path(SRC), '-c:a', 'pcm_s16le', '-metadata', 'title=odd', o), encoding: 'pcm_s16', channels: 2, sampleRate: 16000 },
  { name: 'sox 16-bit, 3 channels (extensible)', make: (o) => sox(path(SRC), '-b', '16', o, 'remix', '1', '2', '1,2'), encoding: 'pcm_s16', channels: 3, sampleRate: 16000, extensible: true },
  { name: 'sox 24-bit (plain fmt)', make: (o) => sox(path(SRC), '-t', 'wavpcm', '-b', '24', o), encoding: 'pcm_s24', channels: 2, sampleRate: 16000 },
  { name: 'ffmpeg 24-bit (extensible)', make: (o) => ffmpeg('-i', path(SRC), '-c:a', 'pcm_s24le', o), encoding: 'pcm_s24', channels: 2, sampleRate: 16000, extensible: true },
  { name: 'sox 32-bit (extensible)', make: (o) => sox(path(SRC), '-b', '32', o), encoding: 'pcm_s32', channels: 2, sampleRate: 16000, extensible: true },
  { name: 'ffmpeg 32-bit, 44.1 kHz mono', make: (o) => ffmpeg('-i', path(SRC), '-ac', '1', '-ar', '44100', '-c:a', 'pcm_s32le', o), encoding: 'pcm_s32', channels: 1, sampleRate: 44100 },
  { name: 'sox float 32', make: (o) => sox(path(SRC), '-e', 'float', '-b', '32', o), encoding: 'float32', channels: 2, sampleRate: 16000, tolerance: 2 ** -31 },
  { name: 'ffmpeg float 32', make: (o) => ffmpeg('-i', path(SRC), '-c:a', 'pcm_f32le', o), encoding: 'float32', channels: 2, sampleRate: 16000, tolerance: 2 ** -31 },
  { name: 'sox float 64', make: (o) => sox(path(SRC), '-e', 'float', '-b', '64', o), encoding: 'float64', channels: 2, sampleRate: 16000, tolerance: 2 ** -24 },
  { name: 'ffmpeg float 64', make: (o) => ffmpeg('-i', path(SRC), '-c:a', 'pcm_f64le', o), encoding: 'float64', channels: 2, sampleRate: 16000, tolerance: 2 ** -24 },
  { name: 'sox µ-law', make: (o) => sox(path(SRC), '-e', 'u-law', o), encoding: 'mulaw', channels: 2, sampleRate: 16000 },
  { name: 'sox A-law', make: (o) => sox(path(SRC), '-e', 'a-law', o), encoding: 'alaw', channels: 2, sampleRate: 16000 },
  { name: 'ffmpeg µ-law, 8 kHz mono', make: (o) => ffmpeg('-i', path(SRC), '-ac', '1', '-ar', '8000', '-c:a', 'pcm_mulaw', o), encoding: 'mulaw', channels: 1, sampleRate: 8000 },
  { name: 'ffmpeg A-law', make: (o) => ffmpeg('-i', path(SRC), '-c:a', 'pcm_alaw', o), encoding: 'alaw', channels: 2, sampleRate: 16000 },
  { name: 'ffmpeg RF64', make: (o) => ffmpeg('-i', path(SRC), '-c:a', 'pcm_s16le', '-rf64', 'always', o), encoding: 'pcm_s16', channels: 2, sampleRate: 16000 },
  {
    name: 'ffmpeg to a pipe (sizes 0xFFFFFFFF)',
    make: (o) => writeFileSync(o, run('ffmpeg', ['-nostdin', '-loglevel', 'error', '-i', path(SRC), '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1'])),
    encoding: 'pcm_s16', channels: 2, sampleRate: 16000,
  },
  {
    name: 'sox to a pipe (size placeholder 0x7FFFF000)',
    make: (o) => writeFileSync(o, sox(path(SRC), '-b', '16', '-t', 'wavpcm', '-')),
    encoding: 'pcm_s16', channels: 2, sampleRate: 16000,
  },
  {
    name: 'an odd-sized chunk with its pad byte between fmt and data',
    make: (o) => {
      sox(path(SRC), '-t', 'wavpcm', '-b', '16', path('plain.wav'));
      const b = readFileSync(path('plain.wav'));
      const at = b.indexOf('data');
      const junk = Buffer.from([...Buffer.from('junk'), 5, 0, 0, 0, 1, 2, 3, 4, 5, 0]);
      const out = Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
      out.writeUInt32LE(out.length - 8, 4);
      writeFileSync(o, out);
    },
    encoding: 'pcm_s16', channels: 2, sampleRate: 16000,
  },
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wav-sox-'));
  sox('-n', '-r', '16000', '-c', '2', '-b', '32', path(SRC), 'synth', '0.3', 'sine', '440', 'pinknoise', 'gain', '-3');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WavDecoder against sox', () => {
  cases.forEach((c, index) => {
    it(`WavDecoder - ${c.name} decodes to what sox decodes`, () => {
      const file = path(`case-${index}.wav`);
      c.make(file);
      const bytes = readFileSync(file); // a Buffer: its subarrays share the pool
      for (const seed of [index + 1, index + 101]) {
        const { frames, decoder } = decodeRandomly(bytes, seed);
        expect(decoder.format).toMatchObject({ encoding: c.encoding, channels: c.channels, sampleRate: c.sampleRate });
        if (c.extensible !== undefined) expect(decoder.format?.extensible).toBe(c.extensible);
        for (const f of frames) expect(f.data.length % c.channels).toBe(0);
        if (c.encoding === 'pcm_s16' || c.encoding === 'mulaw' || c.encoding === 'alaw') {
          const ref = soxS16(file);
          expect(ref.length).toBeGreaterThan(0);
          expect(join16(frames)).toEqual(ref);
        } else {
          const ref = soxS32AsFloat(file);
          const got = join32(frames);
          expect(got.length).toBe(ref.length);
          if (c.tolerance) expect(maxDiff(got, ref)).toBeLessThanOrEqual(c.tolerance);
          else expect(got).toEqual(ref);
        }
      }
    });
  });
});
