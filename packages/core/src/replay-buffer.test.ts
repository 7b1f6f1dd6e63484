import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer.ts';

const ramp = (from: number, n: number, channels = 1) => Int16Array.from({ length: n * channels }, (_, i) => (from * channels + i) % 32768);

describe('ReplayBuffer', () => {
  it('ReplayBuffer - reads back any retained position as the samples written there', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 40 }), fc.nat(), fc.nat(), (sizes, a, b) => {
        const buf = new ReplayBuffer(2);
        let pos = 0;
        for (const n of sizes) {
          buf.append(ramp(pos, n, 2));
          pos += n;
        }
        const drop = a % (pos + 1);
        buf.dropBefore(drop);
        expect(buf.start).toBe(drop);
        expect(buf.end).toBe(pos);
        expect(buf.byteLength).toBe((pos - drop) * 4);
        // Reading from the drop point to the end gives every sample once, in order.
        const out: number[] = [];
        let at = drop;
        for (;;) {
          const part = buf.read(at, Infinity);
          if (!part) break;
          out.push(...part);
          at += part.length / 2;
        }
        expect(at).toBe(pos);
        expect(out).toEqual([...ramp(drop, pos - drop, 2)]);
        if (pos > drop) {
          const from = drop + (b % (pos - drop));
          expect(buf.read(from, from + 1)).toEqual(ramp(from, 1, 2));
        }
      }),
    );
  });

  it('ReplayBuffer - returns null outside what it retains', () => {
    const buf = new ReplayBuffer(1);
    buf.append(ramp(0, 100));
    buf.dropBefore(40);
    expect(buf.read(39, 50)).toBeNull();
    expect(buf.read(100, 200)).toBeNull();
    expect(buf.read(40, 40)).toBeNull();
    expect(buf.read(40, 45)).toEqual(ramp(40, 5));
  });

  it('ReplayBuffer - stays small after many appends and drops', () => {
    const buf = new ReplayBuffer(1);
    for (let i = 0; i < 10_000; i++) {
      buf.append(ramp(i * 10, 10));
      buf.dropBefore(i * 10);
    }
    expect(buf.length).toBe(10);
    expect(buf.read(99_990, Infinity)).toEqual(ramp(99_990, 10));
  });

  it('ReplayBuffer - consecutive views of one buffer read back as one run; anything else stays apart', () => {
    const block = ramp(0, 1000);
    const buf = new ReplayBuffer(1);
    buf.append(block.subarray(0, 300));
    buf.append(block.subarray(300, 600));
    buf.append(block.subarray(600, 700));
    expect(buf.read(0, Infinity)).toEqual(ramp(0, 700));
    expect(buf.read(0, Infinity)!.buffer).toBe(block.buffer);
    // Not contiguous in its buffer (a gap of 100 samples): a new run, read separately.
    buf.append(block.subarray(800, 900));
    expect(buf.read(650, Infinity)).toEqual(ramp(650, 50));
    expect(buf.read(700, Infinity)).toEqual(ramp(800, 100));
    // Another buffer: a new run too.
    buf.append(ramp(5000, 10));
    expect(buf.read(790, Infinity)).toEqual(ramp(890, 10));
    expect(buf.read(800, Infinity)).toEqual(ramp(5000, 10));
    buf.dropBefore(750);
    expect(buf.read(750, 760)).toEqual(ramp(850, 10));
    expect(buf.byteLength).toBe(60 * 2);
  });
});
