import { Readable } from 'node:stream';
import { SttError, type PCMFrame } from '@stt-stream/core';
import { describe, expect, it } from 'vitest';
import { fromNodeReadable, toNodeReadable } from './node-readable.ts';

async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) out.push(r.value);
  return out;
}

/** Splits bytes into chunks of the given sizes (cycled), as Buffers sharing one allocation. */
function chunked(bytes: Uint8Array, sizes: number[]): Buffer[] {
  const all = Buffer.from(bytes);
  const out: Buffer[] = [];
  for (let pos = 0, i = 0; pos < all.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(all.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

describe('fromNodeReadable', () => {
  it('fromNodeReadable - carries odd byte counts over and yields exact s16le stereo samples', async () => {
    const values = Int16Array.from({ length: 1000 }, (_, i) => (i * 977) % 65536 - 32768);
    const chunks = chunked(new Uint8Array(values.buffer), [1, 3, 7, 2, 5, 101]);
    const frames = await collect(fromNodeReadable(Readable.from(chunks), { sampleRate: 8000, channels: 2, encoding: 's16le' }));
    for (const f of frames) {
      expect(f).toMatchObject({ sampleRate: 8000, channels: 2 });
      expect(f.data).toBeInstanceOf(Int16Array);
      expect(f.data.length % 2).toBe(0);
    }
    expect(Int16Array.from(frames.flatMap((f) => Array.from(f.data)))).toEqual(values);
  });

  it('fromNodeReadable - yields f32le as Float32Array', async () => {
    const values = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i / 10));
    const frames = await collect(
      fromNodeReadable(Readable.from(chunked(new Uint8Array(values.buffer), [6, 9, 13])), { sampleRate: 48000, channels: 1, encoding: 'f32le' }),
    );
    expect(frames.every((f) => f.data instanceof Float32Array)).toBe(true);
    expect(Float32Array.from(frames.flatMap((f) => Array.from(f.data)))).toEqual(values);
  });

  it('fromNodeReadable - a trailing partial sample errors the stream instead of being dropped', async () => {
    const stream = fromNodeReadable(Readable.from([Buffer.from([1, 0, 2, 0, 3])]), { sampleRate: 16000, channels: 1, encoding: 's16le' });
    const err = await collect(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'invalid_input' });
    expect((err as Error).message).toMatch(/1 stray bytes/);
  });

  it('fromNodeReadable - pulls only what is read, and cancel destroys the Node stream', async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 1024,
      read() {
        produced += 1024;
        this.push(Buffer.alloc(1024));
      },
    });
    const reader = fromNodeReadable(source, { sampleRate: 16000, channels: 1, encoding: 's16le' }).getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 50));
    expect(produced).toBeLessThan(16 * 1024);
    await reader.cancel();
    expect(source.destroyed).toBe(true);
  });

  it('fromNodeReadable - bad options are TypeError or RangeError naming the field', () => {
    const r = () => Readable.from([]);
    expect(() => fromNodeReadable(r(), { sampleRate: 4000, channels: 1, encoding: 's16le' })).toThrow(RangeError);
    expect(() => fromNodeReadable(r(), { sampleRate: 4000, channels: 1, encoding: 's16le' })).toThrow(/`sampleRate`/);
    expect(() => fromNodeReadable(r(), { sampleRate: 16000, channels: 0, encoding: 's16le' })).toThrow(/`channels`/);
    expect(() => fromNodeReadable(r(), { sampleRate: 16000, channels: 1, encoding: 'mp3' as 's16le' })).toThrow(/`encoding`/);
    expect(() => fromNodeReadable({} as Readable, { sampleRate: 16000, channels: 1, encoding: 's16le' })).toThrow(/`readable`/);
  });

  it('fromNodeReadable - a string-mode Readable is a TypeError through the stream', async () => {
    const err = await collect(fromNodeReadable(Readable.from(['abc']), { sampleRate: 16000, channels: 1, encoding: 's16le' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
  });
});

describe('toNodeReadable', () => {
  it('toNodeReadable - turns a web stream into an object-mode Node Readable', async () => {
    const frames: PCMFrame[] = [1, 2, 3].map((n) => ({ data: new Int16Array([n]), sampleRate: 16000, channels: 1 }));
    const readable = toNodeReadable(
      new ReadableStream<PCMFrame>({
        start(c) {
          for (const f of frames) c.enqueue(f);
          c.close();
        },
      }),
    );
    expect(readable.readableObjectMode).toBe(true);
    const out: PCMFrame[] = [];
    for await (const f of readable) out.push(f as PCMFrame);
    expect(out.map((f) => f.data[0])).toEqual([1, 2, 3]);
  });

  it('toNodeReadable - destroying the Readable cancels the stream', async () => {
    let cancelled = false;
    const stream = new ReadableStream<number>({
      pull: (c) => c.enqueue(1),
      cancel: () => {
        cancelled = true;
      },
    });
    const readable = toNodeReadable(stream);
    for await (const _ of readable) break;
    await new Promise((r) => setTimeout(r, 10));
    expect(cancelled).toBe(true);
    expect(() => toNodeReadable({} as ReadableStream)).toThrow(/`stream`/);
  });
});
