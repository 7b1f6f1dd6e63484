import { describe, expect, it } from 'vitest';
import type { TranscriptEvent } from '../types.ts';
import { EventQueue } from './event-queue.ts';

const seg = (type: 'interim' | 'final', text: string, channel = 0): TranscriptEvent => ({
  type, text, start: 0, end: 1, confidence: null, language: null, channel, words: null,
});

describe('EventQueue', () => {
  it('EventQueue - a newer interim replaces the waiting one on its channel; finals and gaps are kept in order', () => {
    const q = new EventQueue(100);
    q.push(seg('interim', 'a'));
    q.push(seg('interim', 'a b'));
    q.push(seg('interim', 'x', 1));
    q.push(seg('final', 'a b c'));
    q.push(seg('interim', 'd'));
    q.push(seg('interim', 'd e'));
    q.push({ type: 'gap', start: 1, end: 2, reason: 'replay_window_exceeded' });
    const out: string[] = [];
    for (let e = q.shift(); e; e = q.shift()) out.push(e.type === 'interim' || e.type === 'final' ? `${e.type}:${e.text}` : e.type);
    expect(out).toEqual(['interim:a b', 'interim:x', 'final:a b c', 'interim:d e', 'gap']);
  });

  it('EventQueue - bounded: past `max` a final is refused, an interim still replaces', () => {
    const q = new EventQueue(3);
    expect(q.push(seg('interim', 'i'))).toBe(true);
    expect(q.push(seg('final', 'f1'))).toBe(true);
    expect(q.push(seg('final', 'f2'))).toBe(true);
    expect(q.push(seg('final', 'f3'))).toBe(false);
    expect(q.length).toBe(3);
  });

  it('EventQueue - a million interims cost one slot; pushing and shifting cost a bounded amount of work per event (counted, not timed)', () => {
    const million = countWork(() => {
      const q = new EventQueue(1_000_000);
      for (let i = 0; i < 1_000_000; i++) q.push(counted(seg('interim', String(i))));
      return q.length;
    });
    expect(million.result).toBe(1);
    expect(million.reads + million.elements).toBeLessThanOrEqual(PER_EVENT * 1_000_000);

    // Interims on three channels between finals and gaps, 60,000 events in all: some read
    // while the rest are written, the rest read at the end (the queue compacts as it goes).
    const n = 20_000;
    const run = countWork(() => {
      const q = new EventQueue(n * 3);
      const out: string[] = [];
      const take = () => {
        const e = q.shift();
        if (e && (e.type === 'interim' || e.type === 'final')) out.push(`${e.type}:${e.channel}:${e.text}`);
      };
      for (let i = 0; i < n; i++) {
        q.push(counted(seg('interim', `i${i}`, i % 3)));
        q.push(counted(seg('final', `f${i}`, i % 3)));
        q.push(counted(i % 2 ? { type: 'gap', start: i, end: i + 1, reason: 'r' } : seg('interim', `j${i}`, (i + 1) % 3)));
        if (i % 2) take();
      }
      while (q.length > 0) take();
      return out;
    });
    // Nothing lost and nothing out of order: the finals come out as they went in.
    expect(run.result.filter((e) => e.startsWith('final:'))).toEqual(Array.from({ length: n }, (_, i) => `final:${i % 3}:f${i}`));
    expect(run.reads + run.elements).toBeLessThanOrEqual(PER_EVENT * 3 * n);
  });
});

/**
 * The most work (event fields read, array elements touched) a push and its shift may cost
 * together. A queue that moves or scans what waits (`Array.prototype.shift`, `splice(0, 1)`,
 * `slice(1)`, a `findIndex` for the channel's interim) costs thousands per event at these sizes;
 * the queue as it is costs about 10. (An element copied in a hand-written index loop is not
 * counted: only the array methods and iteration are.)
 */
const PER_EVENT = 20;

/** Work done by {@link countWork}'s callback so far. */
const work = { reads: 0, elements: 0 };

/** A transcript event whose fields count their reads (getters on the prototype: making one costs no counted work). */
class Counted {
  readonly #e: Record<string, unknown>;
  constructor(event: TranscriptEvent) {
    this.#e = event as unknown as Record<string, unknown>;
  }
  #read(key: string): unknown {
    work.reads++;
    return this.#e[key];
  }
  get type() { return this.#read('type'); }
  get text() { return this.#read('text'); }
  get start() { return this.#read('start'); }
  get end() { return this.#read('end'); }
  get confidence() { return this.#read('confidence'); }
  get language() { return this.#read('language'); }
  get channel() { return this.#read('channel'); }
  get words() { return this.#read('words'); }
  get reason() { return this.#read('reason'); }
  get timestamp() { return this.#read('timestamp'); }
}
const counted = (event: TranscriptEvent): TranscriptEvent => new Counted(event) as unknown as TranscriptEvent;

/**
 * Runs `fn` (synchronous) with the array methods that copy, move or scan elements counting
 * the elements they touch (the array's length, or the part a method works on), and array
 * iteration (`for…of`, spread) counting its steps; restores them before returning. Together
 * with {@link counted}'s reads, a deterministic measure of the work an implementation does.
 */
function countWork<T>(fn: () => T): { result: T; reads: number; elements: number } {
  const proto = Array.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const iteratorProto = Object.getPrototypeOf([][Symbol.iterator]()) as { next: (...args: unknown[]) => unknown };
  const whole = [
    'shift', 'unshift', 'map', 'filter', 'forEach', 'indexOf', 'lastIndexOf', 'includes', 'find', 'findIndex', 'findLast',
    'findLastIndex', 'some', 'every', 'reduce', 'reduceRight', 'copyWithin', 'reverse', 'sort', 'flat', 'flatMap', 'join',
  ];
  const saved = new Map<string, (...args: unknown[]) => unknown>();
  const wrap = (name: string, cost: (self: unknown[], args: unknown[], result: unknown) => number) => {
    const original = proto[name]!;
    saved.set(name, original);
    proto[name] = function (this: unknown[], ...args: unknown[]) {
      const result = original.apply(this, args);
      work.elements += cost(this, args, result);
      return result;
    };
  };
  const savedNext = iteratorProto.next;
  work.reads = 0;
  work.elements = 0;
  try {
    for (const name of whole) wrap(name, (self) => self.length);
    wrap('slice', (_self, _args, result) => (result as unknown[]).length);
    wrap('concat', (_self, _args, result) => (result as unknown[]).length);
    wrap('splice', (self, args, removed) => (removed as unknown[]).length + self.length - Math.min(self.length, Math.max(0, Number(args[0]) || 0)));
    wrap('push', (_self, args) => args.length);
    iteratorProto.next = function (this: unknown, ...args: unknown[]) {
      work.elements++;
      return savedNext.apply(this, args);
    };
    const result = fn();
    return { result, reads: work.reads, elements: work.elements };
  } finally {
    for (const [name, original] of saved) proto[name] = original;
    iteratorProto.next = savedNext;
  }
}
