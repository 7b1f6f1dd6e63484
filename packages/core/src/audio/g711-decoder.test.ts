import { describe, expect, it } from 'vitest';
import type { PCMFrame } from '../types.ts';
import { decodeAlaw, decodeMulaw } from './g711.ts';
import { g711Decoder, type G711DecoderOptions } from './g711-decoder.ts';
import { decodeWav } from './wav-decoder.ts';

// Every code against sox's decoding is in packages/node/src/g711-decoder.sox.test.ts
// (sox is a subprocess: not here, where the tests also run under Deno and Bun).

/** A stream of `chunks` (`ReadableStream.from` is not in the DOM typings). */
function streamOf<T>(chunks: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function decodeAll(options: G711DecoderOptions, chunks: unknown[]): Promise<PCMFrame[]> {
  const reader = streamOf(chunks as (Uint8Array | ArrayBuffer)[]).pipeThrough(g711Decoder(options)).getReader();
  const frames: PCMFrame[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) frames.push(r.value);
  return frames;
}

async function failure(options: G711DecoderOptions, chunks: unknown[]): Promise<Error> {
  const err = await decodeAll(options, chunks).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('g711Decoder', () => {
  it('g711Decoder - decodes each µ-law chunk to one 8 kHz mono Int16 frame', async () => {
    const frames = await decodeAll({ law: 'mulaw' }, [new Uint8Array([0xff, 0x7f, 0x00, 0x80]), new Uint8Array(160).fill(0xff)]);
    expect(frames).toHaveLength(2);
    expect(frames[0]!.data).toBeInstanceOf(Int16Array);
    expect(frames[0]).toEqual({ data: Int16Array.from([0, 0, -32124, 32124]), sampleRate: 8000, channels: 1 });
    expect(frames[1]).toEqual({ data: new Int16Array(160), sampleRate: 8000, channels: 1 });
  });

  it('g711Decoder - decodes A-law', async () => {
    const [frame] = await decodeAll({ law: 'alaw' }, [new Uint8Array([0xd5, 0x55, 0x2a, 0xaa])]);
    expect(frame).toEqual({ data: Int16Array.from([8, -8, -32256, 32256]), sampleRate: 8000, channels: 1 });
  });

  it('g711Decoder - decodes what the WAV decoder decodes, for every code of both laws (one implementation)', async () => {
    for (const [law, tag] of [['mulaw', 7], ['alaw', 6]] as const) {
      const header = new Uint8Array(44);
      const v = new DataView(header.buffer);
      header.set([0x52, 0x49, 0x46, 0x46], 0);
      v.setUint32(4, 36 + 256, true);
      header.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8);
      v.setUint32(16, 16, true);
      v.setUint16(20, tag, true);
      v.setUint16(22, 1, true);
      v.setUint32(24, 8000, true);
      v.setUint32(28, 8000, true);
      v.setUint16(32, 1, true);
      v.setUint16(34, 8, true);
      header.set([0x64, 0x61, 0x74, 0x61], 36);
      v.setUint32(40, 256, true);
      const file = new Uint8Array(300);
      file.set(header);
      file.set(ALL_CODES, 44);
      const wav = decodeWav(file).frames[0]!.data;
      const [frame] = await decodeAll({ law }, [ALL_CODES]);
      expect(frame!.data).toEqual(wav);
    }
  });

  it('decodeMulaw and decodeAlaw - the sign bit mirrors the value; magnitudes grow with the code', () => {
    for (const decode of [decodeMulaw, decodeAlaw]) {
      const all = decode(ALL_CODES);
      for (let c = 0; c < 128; c++) expect(all[c]! + all[c | 0x80]!).toBe(0);
    }
    // µ-law: 0x80 is the largest positive value, 0xFF zero.
    const mu = decodeMulaw(ALL_CODES);
    for (let c = 0x80; c < 0xff; c++) expect(mu[c]).toBeGreaterThan(mu[c + 1]!);
    // A-law: the even bits are inverted (xor 0x55) before the segments.
    const a = decodeAlaw(ALL_CODES);
    const ordered = Array.from({ length: 128 }, (_, i) => a[(i ^ 0x55) | 0x80]!);
    for (let i = 1; i < 128; i++) expect(ordered[i]).toBeGreaterThan(ordered[i - 1]!);
  });

  it('decodeMulaw - writes into a given array, which must be long enough', () => {
    const out = new Int16Array(4).fill(7);
    expect(decodeMulaw(new Uint8Array([0x80, 0x00]), out)).toBe(out);
    expect(out).toEqual(Int16Array.from([32124, -32124, 7, 7]));
    expect(() => decodeAlaw(new Uint8Array(5), out)).toThrow(new RangeError('Cannot decode G.711: `out` holds 4 samples, 5 are needed'));
  });

  it('decodeMulaw and decodeAlaw - take an ArrayBuffer as its bytes, and refuse what is not bytes by name', () => {
    expect(decodeMulaw(new Uint8Array([0x80, 0x00, 0xff]).buffer)).toEqual(Int16Array.from([32124, -32124, 0]));
    expect(decodeAlaw(new Uint8Array([0xd5]).buffer)).toEqual(Int16Array.from([8]));
    const bad: unknown[] = ['\x80\x00', [0x80, 0x00], new Int16Array(2), null];
    const kinds = ['String', 'Array', 'Int16Array', 'Null'];
    bad.forEach((input, i) => {
      expect(() => decodeMulaw(input as Uint8Array)).toThrow(new TypeError(`decodeMulaw: expected a Uint8Array or ArrayBuffer of G.711 bytes, got ${kinds[i]}`));
      expect(() => decodeAlaw(input as Uint8Array)).toThrow(new TypeError(`decodeAlaw: expected a Uint8Array or ArrayBuffer of G.711 bytes, got ${kinds[i]}`));
    });
    expect(() => decodeMulaw(new Uint8Array(2), new Float32Array(2) as unknown as Int16Array)).toThrow(
      new TypeError('decodeMulaw: `out` must be an Int16Array, got Float32Array'),
    );
  });

  it('g711Decoder - keeps stereo interleaved and reports the given sample rate', async () => {
    const [frame] = await decodeAll({ law: 'mulaw', channels: 2, sampleRate: 16000 }, [new Uint8Array([0x80, 0x00, 0xff, 0x80])]);
    expect(frame).toEqual({ data: Int16Array.from([32124, -32124, 0, 32124]), sampleRate: 16000, channels: 2 });
  });

  it('g711Decoder - takes ArrayBuffers and views into a larger buffer; an empty chunk gives no frame', async () => {
    const backing = new Uint8Array([1, 2, 0x80, 0x00, 3]);
    const frames = await decodeAll({ law: 'mulaw' }, [backing.subarray(2, 4), new ArrayBuffer(0), new Uint8Array([0x00]).buffer]);
    expect(frames.map((f) => Array.from(f.data))).toEqual([[32124, -32124], [-32124]]);
  });

  it('g711Decoder - fails the stream with a TypeError on a chunk that is not bytes', async () => {
    expect(await failure({ law: 'mulaw' }, [new Uint8Array(2), new Int16Array(4)])).toEqual(
      new TypeError('Invalid chunk: expected a Uint8Array or ArrayBuffer of G.711 bytes, got Int16Array'),
    );
    expect(await failure({ law: 'alaw' }, ['AAAA'])).toEqual(new TypeError('Invalid chunk: expected a Uint8Array or ArrayBuffer of G.711 bytes, got String'));
  });

  it('g711Decoder - fails the stream with a RangeError on a stereo chunk of an odd number of bytes', async () => {
    const err = await failure({ law: 'mulaw', channels: 2 }, [new Uint8Array(320), new Uint8Array(161)]);
    expect(err).toEqual(new RangeError('Invalid chunk: 161 bytes is not a whole number of 2-channel samples (2 bytes each)'));
  });

  it('g711Decoder - rejects bad options, naming the field', () => {
    const make = (o: unknown) => () => g711Decoder(o as G711DecoderOptions);
    expect(make(undefined)).toThrow(new TypeError('Invalid options: expected an object { law, sampleRate?, channels? }, got Undefined'));
    expect(make({})).toThrow(new TypeError("Invalid option `law`: must be 'mulaw' or 'alaw', got Undefined"));
    expect(make({ law: 'ulaw' })).toThrow(new TypeError("Invalid option `law`: must be 'mulaw' or 'alaw', got \"ulaw\""));
    expect(make({ law: 'mulaw', sampleRate: 4000 })).toThrow(new RangeError('Invalid option `sampleRate`: must be an integer from 8000 to 192000, got 4000'));
    expect(make({ law: 'mulaw', sampleRate: '8000' })).toThrow(RangeError);
    expect(make({ law: 'alaw', channels: 3 })).toThrow(new RangeError('Invalid option `channels`: must be 1 or 2, got 3'));
    expect(make({ law: 'alaw', channels: 1.5 })).toThrow(/`channels`/);
  });
});
