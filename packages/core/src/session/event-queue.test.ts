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

  it('EventQueue - a million interims cost one slot, and shifting many events stays linear', () => {
    const q = new EventQueue(1_000_000);
    for (let i = 0; i < 1_000_000; i++) q.push(seg('interim', String(i)));
    expect(q.length).toBe(1);
    for (let i = 0; i < 200_000; i++) q.push(seg('final', String(i)));
    const started = performance.now();
    let n = 0;
    while (q.shift()) n++;
    expect(n).toBe(200_001);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
