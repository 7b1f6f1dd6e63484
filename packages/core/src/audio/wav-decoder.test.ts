import { describe, expect, it } from 'vitest';
import { SttError } from '../errors.ts';
import type { PCMFrame } from '../types.ts';
import { WavDecoder, decodeWav } from './wav-decoder.ts';

// Byte-level cases built by hand. Files written by sox and ffmpeg, compared
// with what sox decodes, are in packages/node/src/wav-decoder.sox.test.ts.

function le16(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff];
}
function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function tag(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}
function chunk(id: string, body: number[], size = body.length): number[] {
  return [...tag(id), ...le32(size), ...body, ...(body.length & 1 ? [0] : [])];
}
function fmt(formatTag: number, channels: number, rate: number, bits: number, blockAlign = (channels * bits) / 8): number[] {
  return [...le16(formatTag), ...le16(channels), ...le32(rate), ...le32(rate * blockAlign), ...le16(blockAlign), ...le16(bits)];
}
function wav(chunks: number[][], riffSize?: number): Uint8Array {
  const body = chunks.flat();
  return new Uint8Array([...tag('RIFF'), ...le32(riffSize ?? body.length + 4), ...tag('WAVE'), ...body]);
}
function s16(values: number[]): number[] {
  return values.flatMap((v) => le16(v & 0xffff));
}

function decodeInChunks(bytes: Uint8Array, sizes: number[]): { frames: PCMFrame[]; decoder: WavDecoder } {
  const decoder = new WavDecoder();
  const frames: PCMFrame[] = [];
  let pos = 0;
  let i = 0;
  while (pos < bytes.length) {
    const n = sizes[i++ % sizes.length]!;
    frames.push(...decoder.push(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  frames.push(...decoder.end());
  return { frames, decoder };
}

function samples(frames: PCMFrame[]): number[] {
  return frames.flatMap((f) => Array.from(f.data));
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SttError);
  expect((caught as SttError).code).toBe('invalid_input');
  expect((caught as SttError).message).toMatch(message);
}

const MONO_16K = fmt(1, 1, 16000, 16);

describe('WavDecoder', () => {
  it('WavDecoder - decodes 16-bit PCM into an exact Int16Array, one byte at a time', () => {
    const values = [0, 1, -1, 32767, -32768, 1234, -4321];
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', s16(values))]);
    const { frames, decoder } = decodeInChunks(file, [1]);
    expect(frames.every((f) => f.data instanceof Int16Array && f.sampleRate === 16000 && f.channels === 1)).toBe(true);
    expect(samples(frames)).toEqual(values);
    expect(decoder.format).toMatchObject({ encoding: 'pcm_s16', channels: 1, sampleRate: 16000, dataBytes: 14, extensible: false });
  });

  it('WavDecoder - carries a stereo sample frame split across pushes', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8];
    const file = wav([chunk('fmt ', fmt(1, 2, 16000, 16)), chunk('data', s16(values))]);
    const { frames } = decodeInChunks(file, [45, 3, 2, 5]);
    for (const f of frames) expect(f.data.length % 2).toBe(0);
    expect(samples(frames)).toEqual(values);
  });

  it('WavDecoder - skips LIST, fact and odd-sized chunks with their pad byte', () => {
    const file = wav([
      chunk('LIST', [...tag('INFO'), ...tag('ISFT'), ...le32(3), 0x61, 0x62, 0]),
      chunk('fmt ', MONO_16K),
      chunk('odd ', [1, 2, 3, 4, 5]), // 5 bytes + 1 pad byte
      chunk('fact', le32(2)),
      chunk('data', s16([100, -100])),
      chunk('LIST', [...tag('INFO')]),
    ]);
    expect(samples(decodeInChunks(file, [7]).frames)).toEqual([100, -100]);
  });

  it('WavDecoder - an odd fmt chunk (18 bytes + cbSize, then 1 pad byte) is read whole', () => {
    const file = wav([chunk('fmt ', [...MONO_16K, 0, 0, 0xab]), chunk('data', s16([7]))]);
    expect(samples(decodeInChunks(file, [3]).frames)).toEqual([7]);
  });

  it('WavDecoder - reads to the end when the sizes are 0xFFFFFFFF (written to a pipe)', () => {
    const values = Array.from({ length: 100 }, (_, i) => i * 37 - 1800);
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', s16(values), 0xffffffff)], 0xffffffff);
    const { frames, decoder } = decodeInChunks(file, [13, 1, 64]);
    expect(samples(frames)).toEqual(values);
    expect(decoder.format?.dataBytes).toBeNull();
  });

  it('WavDecoder - reads to the end when the data size is 0 and the RIFF size is 0', () => {
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', s16([5, 6, 7]), 0)], 0);
    expect(samples(decodeInChunks(file, [9]).frames)).toEqual([5, 6, 7]);
  });

  it("WavDecoder - reads to the end when the data size is sox's placeholder 0x7FFFF000", () => {
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', s16([5, 6, 7]), 0x7ffff000)], 0x7ffff024);
    expect(samples(decodeInChunks(file, [9]).frames)).toEqual([5, 6, 7]);
  });

  it('WavDecoder - an empty data chunk where the RIFF size ends is empty', () => {
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', [])]);
    expect(samples(decodeInChunks(file, [100]).frames)).toEqual([]);
  });

  it('WavDecoder - ignores what follows the data chunk', () => {
    const file = new Uint8Array([...wav([chunk('fmt ', MONO_16K), chunk('data', s16([1, 2]))]), 1, 2, 3]);
    expect(samples(decodeInChunks(file, [5]).frames)).toEqual([1, 2]);
  });

  it('WavDecoder - decodes 8-bit unsigned, 24 and 32-bit integer PCM to scaled Float32Array', () => {
    const u8 = decodeWav(wav([chunk('fmt ', fmt(1, 1, 8000, 8)), chunk('data', [0, 128, 255])]));
    expect(u8.frames[0]!.data).toBeInstanceOf(Float32Array);
    expect(samples(u8.frames)).toEqual([-1, 0, 127 / 128]);
    const s24 = decodeWav(wav([chunk('fmt ', fmt(1, 1, 8000, 24)), chunk('data', [0, 0, 0x80, 0xff, 0xff, 0x7f, 1, 0, 0])]));
    expect(samples(s24.frames)).toEqual([-1, 8388607 / 8388608, 1 / 8388608]);
    const s32 = decodeWav(wav([chunk('fmt ', fmt(1, 1, 8000, 32)), chunk('data', [...le32(0x80000000), ...le32(0x40000000)])]));
    expect(samples(s32.frames)).toEqual([-1, 0.5]);
  });

  it('WavDecoder - 12-bit samples in 16-bit containers decode as 16-bit', () => {
    const d = decodeWav(wav([chunk('fmt ', fmt(1, 1, 16000, 12, 2)), chunk('data', s16([0x7ff0, -16]))]));
    expect(samples(d.frames)).toEqual([0x7ff0, -16]);
    expect(d.format).toMatchObject({ bitsPerSample: 16, encoding: 'pcm_s16' });
  });

  it('WavDecoder - decodes float 32 and 64', () => {
    const f32 = new Uint8Array(new Float32Array([0.25, -0.5]).buffer);
    const f64 = new Uint8Array(new Float64Array([0.125, -1]).buffer);
    expect(samples(decodeWav(wav([chunk('fmt ', fmt(3, 1, 8000, 32)), chunk('data', [...f32])])).frames)).toEqual([0.25, -0.5]);
    const d = decodeWav(wav([chunk('fmt ', fmt(3, 1, 8000, 64)), chunk('data', [...f64])]));
    expect(d.frames[0]!.data).toBeInstanceOf(Float32Array);
    expect(samples(d.frames)).toEqual([0.125, -1]);
  });

  it('WavDecoder - decodes G.711 µ-law and A-law to 16-bit', () => {
    const mu = decodeWav(wav([chunk('fmt ', fmt(7, 1, 8000, 8)), chunk('data', [0xff, 0x7f, 0x00, 0x80])]));
    expect(mu.frames[0]!.data).toBeInstanceOf(Int16Array);
    expect(samples(mu.frames)).toEqual([0, 0, -32124, 32124]);
    const a = decodeWav(wav([chunk('fmt ', fmt(6, 1, 8000, 8)), chunk('data', [0xd5, 0x55, 0x2a, 0xaa])]));
    expect(samples(a.frames)).toEqual([8, -8, -32256, 32256]);
  });

  it('WavDecoder - resolves WAVE_FORMAT_EXTENSIBLE to its sub-format', () => {
    const guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
    const ext = [...fmt(0xfffe, 1, 16000, 32), ...le16(22), ...le16(24), ...le32(4), ...le16(3), ...guidTail];
    const file = wav([chunk('fmt ', ext), chunk('data', [...new Uint8Array(new Float32Array([0.75]).buffer)])]);
    const { frames, decoder } = decodeInChunks(file, [11]);
    expect(samples(frames)).toEqual([0.75]);
    expect(decoder.format).toMatchObject({ extensible: true, formatTag: 3, encoding: 'float32', validBitsPerSample: 24 });
    const badGuid = [...ext.slice(0, 26), ...guidTail.map((b) => b ^ 1)];
    expectInvalid(() => decodeWav(wav([chunk('fmt ', badGuid), chunk('data', [0, 0, 0, 0])])), /sub-format GUID/);
  });

  it('WavDecoder - reads the data size of an RF64 file from its ds64 chunk', () => {
    const ds64 = [...le32(0), ...le32(0), ...le32(4), ...le32(0), ...le32(2), ...le32(0), ...le32(0)];
    const body = [...chunk('ds64', ds64), ...chunk('fmt ', MONO_16K), ...chunk('data', s16([9, -9]), 0xffffffff), ...chunk('LIST', [0, 0, 0, 0])];
    const file = new Uint8Array([...tag('RF64'), ...le32(0xffffffff), ...tag('WAVE'), ...body]);
    const { frames, decoder } = decodeInChunks(file, [6]);
    expect(samples(frames)).toEqual([9, -9]);
    expect(decoder.format).toMatchObject({ container: 'RF64', dataBytes: 4 });
  });

  it('WavDecoder - not a WAV file fails at once with the bytes it saw', () => {
    const decoder = new WavDecoder();
    expectInvalid(() => decoder.push(new TextEncoder().encode('ID3\u0004 some mp3')), /Not a WAV file: it starts with "ID3\."/);
    expectInvalid(() => decodeWav(new Uint8Array([...tag('RIFF'), ...le32(4), ...tag('AVI ')])), /of type "AVI ", not WAVE/);
  });

  it('WavDecoder - a truncated header fails on end()', () => {
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', s16([1, 2, 3]))]);
    expectInvalid(() => decodeWav(new Uint8Array(0)), /empty/);
    expectInvalid(() => decodeWav(file.subarray(0, 8)), /shorter than a RIFF header/);
    expectInvalid(() => decodeWav(file.subarray(0, 20)), /ends in the header, before the fmt chunk is complete/);
    expectInvalid(() => decodeWav(file.subarray(0, 40)), /ends in the header, before the data chunk/);
  });

  it('WavDecoder - audio shorter than the data chunk declares, or a partial sample frame, fails on end()', () => {
    const file = wav([chunk('fmt ', fmt(1, 2, 16000, 16)), chunk('data', s16([1, 2, 3, 4]))]);
    expectInvalid(() => decodeWav(file.subarray(0, file.length - 4)), /declares 8 bytes but the file ends after 4/);
    const piped = wav([chunk('fmt ', fmt(1, 2, 16000, 16)), chunk('data', [...s16([1, 2]), 3], 0xffffffff)], 0xffffffff);
    expectInvalid(() => decodeWav(piped.subarray(0, piped.length - 1)), /middle of a sample frame \(1 stray bytes of 4\)/);
  });

  it('WavDecoder - unsupported encodings and broken fmt chunks fail with what they are', () => {
    expectInvalid(() => decodeWav(wav([chunk('fmt ', fmt(2, 1, 16000, 4, 256)), chunk('data', [])])), /0x0002 \(Microsoft ADPCM\)/);
    expectInvalid(() => decodeWav(wav([chunk('fmt ', fmt(1, 1, 16000, 24, 2)), chunk('data', [0, 0])])), /24-bit samples do not fit 2-byte/);
    expectInvalid(() => decodeWav(wav([chunk('fmt ', fmt(1, 0, 16000, 16, 2)), chunk('data', [])])), /0 channels/);
    expectInvalid(() => decodeWav(wav([chunk('data', s16([1])), chunk('fmt ', MONO_16K)])), /data chunk comes before the fmt chunk/);
    expectInvalid(() => decodeWav(wav([chunk('fmt ', fmt(1, 1, 4000, 16)), chunk('data', [])])), /4000 Hz/);
    expect(() => new WavDecoder({ checkFrameLimits: false }).push(wav([chunk('fmt ', fmt(1, 1, 4000, 16)), chunk('data', [])]))).not.toThrow();
  });

  it('WavDecoder - reports the format tag of an unsupported file, so a caller can hand it to ffmpeg', () => {
    const decoder = new WavDecoder();
    expect(() => decoder.push(wav([chunk('fmt ', fmt(0x55, 1, 16000, 0, 1)), chunk('data', [])]))).toThrow(SttError);
    expect(decoder.formatTag).toBe(0x55);
    expect(decoder.format).toBeNull();
  });

  it('WavDecoder - copies input whose slice() is a view (as a Node Buffer is), never aliasing it', () => {
    class ViewSlice extends Uint8Array {
      override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
        return this.subarray(start, end);
      }
    }
    const file = wav([chunk('fmt ', MONO_16K), chunk('data', s16([11, -22, 33]))]);
    // The file sits in the middle of a larger buffer of junk, as in Node's Buffer pool.
    const pool = new ArrayBuffer(file.length + 100);
    new Uint8Array(pool).fill(0x7f);
    const view = new ViewSlice(pool, 51, file.length);
    view.set(file);
    const decoder = new WavDecoder();
    const frames = [...decoder.push(view.subarray(0, 47)), ...decoder.push(view.subarray(47))];
    view.fill(0); // the caller reuses its buffer
    expect(samples([...frames, ...decoder.end()])).toEqual([11, -22, 33]);
  });

  it('WavDecoder - rejects a push after end() and a non-Uint8Array', () => {
    const decoder = new WavDecoder();
    expect(() => decoder.push('RIFF' as unknown as Uint8Array)).toThrow(TypeError);
    decoder.push(wav([chunk('fmt ', MONO_16K), chunk('data', [])]));
    decoder.end();
    expect(() => decoder.push(new Uint8Array(1))).toThrow(TypeError);
  });
});
