import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameChunker } from './frame-chunker.ts';

const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => ((from + i) % 65536) - 32768);

describe('FrameChunker', () => {
  it('FrameChunker - frames concatenate to the input; all but the flushed one are exactly samplesPerFrame × channels', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.integer({ min: 0, max: 1500 }), { maxLength: 25 }),
        (samplesPerFrame, channels, pushes) => {
          const chunker = new FrameChunker({ samplesPerFrame, channels });
          const size = samplesPerFrame * channels;
          const frames: Int16Array[] = [];
          let total = 0;
          for (const n of pushes) {
            frames.push(...chunker.push(ramp(total, n * channels)));
            total += n * channels;
          }
          for (const f of frames) expect(f.length).toBe(size);
          const rest = chunker.flush();
          if (total % size === 0) expect(rest).toBeNull();
          else {
            expect(rest!.length).toBe(total % size);
            frames.push(rest!);
          }
          const joined = new Int16Array(total);
          let at = 0;
          for (const f of frames) {
            joined.set(f, at);
            at += f.length;
          }
          expect(at).toBe(total);
          expect(joined).toEqual(ramp(0, total));
        },
      ),
    );
  });

  it('FrameChunker - frames keep their samples: reusing the pushed buffer and pushing more (across blocks, after flushes) changes none', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 9000 }), fc.boolean()), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 3000 }),
        (pushes, samplesPerFrame) => {
          const chunker = new FrameChunker({ samplesPerFrame, channels: 1 });
          const scratch = new Int16Array(9000);
          const frames: Int16Array[] = [];
          let total = 0;
          for (const [n, flush] of pushes) {
            scratch.set(ramp(total, n));
            frames.push(...chunker.push(scratch.subarray(0, n)));
            scratch.fill(-1);
            total += n;
            if (flush) {
              const rest = chunker.flush();
              if (rest) frames.push(rest);
            }
          }
          const rest = chunker.flush();
          if (rest) frames.push(rest);
          // One comparison per property run (toEqual per frame is slow on long arrays).
          let at = 0;
          let wrong = -1;
          for (const f of frames) {
            for (let i = 0; i < f.length && wrong < 0; i++) if (f[i] !== ((at + i) % 65536) - 32768) wrong = at + i;
            at += f.length;
          }
          expect(wrong).toBe(-1);
          expect(at).toBe(total);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('FrameChunker - many small frames share one block; a frame larger than a block gets one of its own', () => {
    const small = new FrameChunker({ samplesPerFrame: 160, channels: 1 });
    const frames = small.push(ramp(0, 1600));
    expect(frames).toHaveLength(10);
    expect(new Set(frames.map((f) => f.buffer)).size).toBe(1);
    const large = new FrameChunker({ samplesPerFrame: 48000, channels: 2 });
    const [a, b] = large.push(ramp(0, 192000));
    expect(a!.buffer).not.toBe(b!.buffer);
    expect(a!.buffer.byteLength).toBe(192000);
  });

  it('FrameChunker - an aligned push comes back as whole frames with nothing held back', () => {
    const chunker = new FrameChunker({ samplesPerFrame: 160, channels: 2 });
    const input = ramp(0, 960);
    const frames = chunker.push(input);
    expect(frames.map((f) => f.length)).toEqual([320, 320, 320]);
    expect(frames[1]).toEqual(input.subarray(320, 640));
    expect(frames[0]!.buffer).not.toBe(input.buffer);
    expect(chunker.flush()).toBeNull();
  });

  it('FrameChunker - one sample at a time fills a frame', () => {
    const chunker = new FrameChunker({ samplesPerFrame: 3, channels: 1 });
    expect(chunker.push(new Int16Array([1]))).toEqual([]);
    expect(chunker.push(new Int16Array([2]))).toEqual([]);
    expect(chunker.push(new Int16Array([3]))).toEqual([new Int16Array([1, 2, 3])]);
    expect(chunker.push(new Int16Array(0))).toEqual([]);
    expect(chunker.push(new Int16Array([4]))).toEqual([]);
    expect(chunker.flush()).toEqual(new Int16Array([4]));
    expect(chunker.flush()).toBeNull();
  });

  it('FrameChunker - takes ten seconds at once', () => {
    const chunker = new FrameChunker({ samplesPerFrame: 1600, channels: 1 });
    chunker.push(new Int16Array(7));
    const frames = chunker.push(ramp(0, 160000));
    expect(frames).toHaveLength(100);
    expect(chunker.flush()).toHaveLength(7);
  });

  it('FrameChunker - rejects bad options and input, naming the field', () => {
    expect(() => new FrameChunker({ samplesPerFrame: 0, channels: 1 })).toThrow(
      new RangeError('Invalid option `samplesPerFrame`: must be an integer ≥ 1, got 0'),
    );
    expect(() => new FrameChunker({ samplesPerFrame: 2.5, channels: 1 })).toThrow(RangeError);
    expect(() => new FrameChunker({ samplesPerFrame: 160, channels: 0 })).toThrow(
      new RangeError('Invalid option `channels`: must be an integer from 1 to 8, got 0'),
    );
    const chunker = new FrameChunker({ samplesPerFrame: 160, channels: 2 });
    expect(() => chunker.push(new Float32Array(2) as unknown as Int16Array)).toThrow(
      new TypeError('Invalid argument: `samples` must be an Int16Array, got Float32Array'),
    );
    expect(() => chunker.push(new Int16Array(3))).toThrow(
      new TypeError('Invalid argument: `samples.length` must be a multiple of `channels` (2), got 3'),
    );
  });
});
