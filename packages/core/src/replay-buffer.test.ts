import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayBuffer } from './replay-buffer.ts';

const ramp = (from: number, n: number, channels = 1) => Int16Array.from({ length: n * channels }, (_, i) => (from * channels + i) % 32768);

/** Everything from `from` to the end, read in the parts the buffer gives. */
function readAll(buf: ReplayBuffer, from: number): number[] {
  const out: number[] = [];
  for (let at = from; ; ) {
    const part = buf.read(at, Infinity);
    if (!part) break;
    out.push(...part);
    at += part.length / buf.channels;
  }
  return out;
}

describe('ReplayBuffer', () => {
  it('ReplayBuffer - reads back any retained position as the samples written there, across wrap-arounds and growth', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.nat()), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (capacity, steps, b) => {
          const buf = new ReplayBuffer(2, { capacity });
          let pos = 0;
          for (const [n, drop] of steps) {
            const input = ramp(pos, n, 2);
            buf.append(input);
            input.fill(-1); // the buffer copied it
            pos += n;
            buf.dropBefore(buf.start + (drop % (buf.length + 1)));
          }
          const drop = buf.start;
          expect(buf.end).toBe(pos);
          expect(buf.byteLength).toBe((pos - drop) * 4);
          expect(buf.capacity).toBeGreaterThanOrEqual(buf.length);
          // Reading from the drop point to the end gives every sample once, in order.
          expect(readAll(buf, drop)).toEqual([...ramp(drop, pos - drop, 2)]);
          if (pos > drop) {
            const from = drop + (b % (pos - drop));
            expect(buf.read(from, from + 1)).toEqual(ramp(from, 1, 2));
          }
        },
      ),
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

  it('ReplayBuffer - a read stops where the ring wraps; the rest follows from the start of the ring', () => {
    const buf = new ReplayBuffer(1, { capacity: 1000 });
    buf.append(ramp(0, 900));
    buf.dropBefore(800);
    buf.append(ramp(900, 300)); // 900..1000 at the end of the ring, 1000..1200 at its start
    expect(buf.capacity).toBe(1000);
    expect(buf.read(850, 1100)).toEqual(ramp(850, 150));
    expect(buf.read(1000, 1100)).toEqual(ramp(1000, 100));
  });

  it('ReplayBuffer - grows to maxCapacity in one step, past it only as far as needed; without it, doubles', () => {
    const buf = new ReplayBuffer(1, { capacity: 100, maxCapacity: 300 });
    buf.append(ramp(0, 150));
    expect(buf.capacity).toBe(300);
    buf.append(ramp(150, 160));
    expect(buf.capacity).toBe(310);
    expect(readAll(buf, 0)).toEqual([...ramp(0, 310)]);
    const doubling = new ReplayBuffer(1, { capacity: 100 });
    doubling.append(ramp(0, 150));
    expect(doubling.capacity).toBe(200);
  });

  it('ReplayBuffer - with align, the capacity stays a multiple of it, so aligned frames never straddle the wrap', () => {
    const buf = new ReplayBuffer(1, { capacity: 1000, align: 160 });
    expect(buf.capacity).toBe(1120);
    for (let i = 0; i < 40; i++) {
      buf.append(ramp(i * 160, 160));
      expect(buf.read(i * 160, (i + 1) * 160)).toHaveLength(160);
      buf.dropBefore(i * 160 - 320);
    }
    buf.dropBefore(buf.end); // keep nothing
    buf.append(ramp(6400, 3000)); // grows: 3000 → 3040
    expect(buf.capacity % 160).toBe(0);
    expect(buf.capacity).toBeGreaterThanOrEqual(3000);
  });

  it('ReplayBuffer - a full ring grows and keeps every retained sample', () => {
    const buf = new ReplayBuffer(1, { capacity: 100 });
    buf.append(ramp(0, 80));
    buf.dropBefore(30);
    buf.append(ramp(80, 60)); // wraps: 50 + 60 retained, 110 > 100
    expect(buf.capacity).toBeGreaterThanOrEqual(110);
    expect(readAll(buf, 30)).toEqual([...ramp(30, 110)]);
  });

  it('ReplayBuffer - a long stream through a ring large enough costs no new memory', () => {
    const buf = new ReplayBuffer(1, { capacity: 1600 });
    for (let i = 0; i < 10_000; i++) {
      buf.append(ramp(i * 160, 160));
      buf.dropBefore(i * 160 - 800);
    }
    expect(buf.capacity).toBe(1600);
    expect(buf.length).toBe(960);
    expect(buf.read(buf.end - 10, Infinity)).toEqual(ramp(buf.end - 10, 10));
  });
});
