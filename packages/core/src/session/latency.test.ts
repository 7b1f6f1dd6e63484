import { describe, expect, it } from 'vitest';
import { LatencyTracker } from './latency.ts';

describe('LatencyTracker', () => {
  it('LatencyTracker - measures from the last send of the final’s last sample; a reconnect’s resend counts', () => {
    const l = new LatencyTracker();
    l.recordSend(100, 1000);
    l.recordSend(200, 1100);
    expect(l.final(150, 1300)).toBe(200); // sample 149 went with the send ending at 200
    l.reset(); // a new connection replays
    l.recordSend(200, 5000);
    expect(l.final(200, 5050)).toBe(50);
    expect(l.final(900, 6000)).toBeNull(); // never sent
    expect(l.summary()).toMatchObject({ count: 2, p50: 50, p95: 200, max: 200, firstInterimP50: null });
  });

  it('LatencyTracker - percentiles over many finals', () => {
    const l = new LatencyTracker();
    for (let i = 1; i <= 100; i++) {
      l.recordSend(i * 10, i * 1000);
      l.final(i * 10, i * 1000 + i);
    }
    expect(l.summary()).toMatchObject({ count: 100, p50: 50, p95: 95, max: 100 });
  });

  it('LatencyTracker - rings that start small and grow answer as the full ones: the last 4096 sends, the last 8192 finals', () => {
    const l = new LatencyTracker();
    const sends: [number, number][] = [];
    for (let i = 1; i <= 5000; i++) {
      l.recordSend(i * 10, i * 7);
      sends.push([i * 10, i * 7]);
    }
    const kept = sends.slice(-4096);
    const expected = (position: number) => (kept.find(([end]) => end >= position) ?? [0, -1])[1];
    for (const position of [1, 9040, 9041, 9050, 20000, 33333, 50000, 50001]) expect(l.sentAt(position)).toBe(expected(position));
    const latencies: number[] = [];
    for (let i = 0; i < 10000; i++) {
      const ms = (i * 7919) % 1000;
      l.recordSend(60000 + i, 1e6 + i * 1000);
      l.final(60000 + i, 1e6 + i * 1000 + ms);
      latencies.push(ms);
    }
    const recent = latencies.slice(-8192).sort((a, b) => a - b);
    expect(l.summary()).toMatchObject({ count: 10000, p50: recent[Math.ceil(0.5 * recent.length) - 1], p95: recent[Math.ceil(0.95 * recent.length) - 1], max: 999 });
  });
});
