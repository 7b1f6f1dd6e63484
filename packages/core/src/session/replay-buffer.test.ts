import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlockPool, MAX_SPARE_BYTES } from './block-pool.ts';
import { ReplayBuffer } from './replay-buffer.ts';

const ramp = (from: number, n: number, channels = 1) => Int16Array.from({ length: n * channels }, (_, i) => (from * channels + i) % 32768);

/** Everything from `from` to the end, in one read. */
function readAll(buf: ReplayBuffer, from: number): number[] {
  return [...(buf.read(from, Infinity) ?? [])];
}

describe('ReplayBuffer', () => {
  it('ReplayBuffer - reads back any retained position as the samples written there, across blocks, drops and releases', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.nat(), fc.boolean()), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (blockSamples, steps, b) => {
          const buf = new ReplayBuffer(2, { blockSamples });
          let pos = 0;
          for (const [n, drop, release] of steps) {
            const input = ramp(pos, n, 2);
            buf.append(input);
            input.fill(-1); // the buffer copied it
            pos += n;
            buf.dropBefore(buf.start + (drop % (buf.length + 1)));
            if (release) buf.release();
          }
          const drop = buf.start;
          expect(buf.end).toBe(pos);
          expect(buf.byteLength).toBe((pos - drop) * 4);
          expect(buf.heldBytes).toBeGreaterThanOrEqual(buf.byteLength);
          // Reading from the drop point to the end gives every sample once, in order.
          expect(readAll(buf, drop)).toEqual([...ramp(drop, pos - drop, 2)]);
          if (pos > drop) {
            const from = drop + (b % (pos - drop));
            const until = from + 1 + (b % (pos - from));
            expect(buf.read(from, until)).toEqual(ramp(from, until - from, 2)); // whole, whatever blocks it crosses
          }
          // Released up to the start, it holds the retained audio rounded out to whole blocks, no more.
          buf.release();
          expect(buf.heldBytes).toBeLessThanOrEqual((Math.ceil((pos - drop) / blockSamples) + 1) * blockSamples * 4);
          buf.clear();
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
    buf.clear();
    expect(buf.read(40, 45)).toBeNull();
    expect(buf.byteLength).toBe(0);
    expect(buf.heldBytes).toBe(0);
  });

  it('ReplayBuffer - a read across a block\'s end comes out whole (a copy); within a block, a view', () => {
    const buf = new ReplayBuffer(1, { blockSamples: 1000 });
    buf.append(ramp(0, 1200));
    const across = buf.read(850, 1100)!;
    expect(across).toEqual(ramp(850, 250));
    const within = buf.read(1000, 1100)!;
    expect(within).toEqual(ramp(1000, 100));
    buf.append(ramp(1200, 10)); // the view sees the block; the copy does not change
    expect(within.buffer).not.toBe(across.buffer);
    expect(buf.readBytes(850, 1100)!.byteLength).toBe(500);
    expect(buf.heldBytes).toBe(2 * 1000 * 2);
  });

  it('ReplayBuffer - with blocks a multiple of the frame, frames cut from the start never straddle a block', () => {
    const buf = new ReplayBuffer(2, { blockSamples: 160 * 7 });
    for (let i = 0; i < 40; i++) {
      buf.append(ramp(i * 160, 160, 2));
      expect(buf.read(i * 160, (i + 1) * 160)).toEqual(ramp(i * 160, 160, 2));
      buf.dropBefore(i * 160 - 320);
      buf.release();
    }
  });

  it('ReplayBuffer - release hands back only whole blocks before the retained start, through `retire` when given', () => {
    const retired: Int16Array[] = [];
    const buf = new ReplayBuffer(1, { blockSamples: 100, retire: (b) => retired.push(b) });
    buf.append(ramp(0, 450)); // five blocks
    buf.dropBefore(320);
    expect(buf.releasable).toBe(true);
    buf.release(); // blocks 0, 1 and 2 go; block 3 still holds 320..400
    expect(buf.heldBytes).toBe(2 * 200);
    expect(retired.map((b) => b.length)).toEqual([100, 100, 100]);
    expect(buf.releasable).toBe(false);
    expect(readAll(buf, 320)).toEqual([...ramp(320, 130)]);
  });

  it('ReplayBuffer - blocks a stream released are the blocks the next stream of the same pool takes; the pool keeps at most its bound', () => {
    const pool = new BlockPool();
    const first = new ReplayBuffer(1, { blockSamples: 3333, pool });
    first.append(ramp(0, 3333 * 10));
    first.clear();
    expect(pool.spareBytes).toBe(10 * 3333 * 2);
    // A second stream takes those blocks (reads only what it wrote) and gives them back when over.
    const second = new ReplayBuffer(1, { blockSamples: 3333, pool });
    second.append(ramp(5, 3333 * 4));
    expect(pool.spareBytes).toBe(6 * 3333 * 2);
    expect(readAll(second, 0)).toEqual([...ramp(5, 3333 * 4)]);
    second.clear();
    expect(pool.spareBytes).toBe(10 * 3333 * 2);
    // A flood of released audio leaves the pool at its bound; the rest is the garbage collector's.
    const flood = new ReplayBuffer(1, { blockSamples: 65536, pool });
    flood.append(new Int16Array(MAX_SPARE_BYTES));
    flood.clear();
    expect(pool.spareBytes).toBeLessThanOrEqual(MAX_SPARE_BYTES);
    expect(pool.maxSpareBytes).toBe(MAX_SPARE_BYTES);
  });

  it('ReplayBuffer - a long stream released as it goes holds a constant few blocks', () => {
    const buf = new ReplayBuffer(1, { blockSamples: 1600 });
    let held = 0;
    for (let i = 0; i < 10_000; i++) {
      buf.append(ramp(i * 160, 160));
      buf.dropBefore(i * 160 - 800);
      buf.release();
      held = Math.max(held, buf.heldBytes);
    }
    expect(held).toBe(2 * 1600 * 2);
    expect(buf.length).toBe(960);
    expect(buf.read(buf.end - 10, Infinity)).toEqual(ramp(buf.end - 10, 10));
  });

  it('ReplayBuffer - with writesPerBlock, the first append sizes the blocks (a multiple of align) so that few appends straddle two', () => {
    const buf = new ReplayBuffer(1, { blockSamples: 8000, writesPerBlock: 4, align: 1600 });
    buf.append(ramp(0, 4096));
    expect(buf.blockSamples).toBe(17600); // 4 × 4096, rounded up to frames
    const small = new ReplayBuffer(1, { blockSamples: 8000, writesPerBlock: 4, align: 1600 });
    small.append(ramp(0, 1600));
    expect(small.blockSamples).toBe(8000); // frames of 100 ms: the given size already holds five
    for (let i = 1; i < 40; i++) buf.append(ramp(i * 4096, 4096));
    expect(readAll(buf, 0)).toEqual([...ramp(0, 40 * 4096)]);
    buf.clear();
    small.clear();
  });

  it('ReplayBuffer - holes take stream time and no memory: reads stop at them, lengths leave them out, drops past them forget them', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.array(fc.tuple(fc.constantFrom('append', 'jump', 'drop'), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 60 }),
        (blockSamples, steps) => {
          const buf = new ReplayBuffer(1, { blockSamples });
          /** The value of each stream position that holds audio (the ramp), or undefined in a hole. */
          const model = new Map<number, number>();
          let end = 0;
          let start = 0;
          for (const [op, n] of steps) {
            if (op === 'append') {
              buf.append(ramp(end, n));
              for (let i = 0; i < n; i++) model.set(end + i, (end + i) % 32768);
              end += n;
            } else if (op === 'jump') {
              buf.jump(end + n);
              end += n;
            } else {
              const to = Math.min(end, start + n);
              buf.dropBefore(to);
              start = Math.max(start, buf.start);
              buf.release();
            }
            expect(buf.end).toBe(end);
          }
          start = buf.start;
          const held = [...model.keys()].filter((p) => p >= start && p < end);
          expect(buf.length).toBe(held.length);
          expect(buf.heldAfter(start)).toBe(held.length);
          // Reading along, jumping each hole, gives every held sample once, in order.
          const out: number[] = [];
          for (let at = start; at < end; ) {
            const hole = buf.nextHole(at);
            if (hole && hole.start <= at) {
              expect(buf.read(at, end)).toBeNull();
              at = hole.end;
              continue;
            }
            const part = buf.read(at, end)!;
            out.push(...part);
            at += part.length;
            if (hole) expect(at).toBeLessThanOrEqual(hole.start);
          }
          expect(out).toEqual(held.map((p) => model.get(p)));
          expect(buf.heldSpans(start, end).reduce((a, sp) => a + sp.end - sp.start, 0)).toBe(held.length);
          buf.clear();
          expect(buf.heldBytes).toBe(0);
        },
      ),
    );
  });
});
