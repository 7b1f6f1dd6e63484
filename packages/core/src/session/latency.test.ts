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

  it('LatencyTracker - rings that start small and grow answer as the full ones: the last 4096 sends, the last 1024 finals', () => {
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
    const recent = latencies.slice(-1024).sort((a, b) => a - b);
    expect(l.summary()).toMatchObject({ count: 10000, p50: recent[Math.ceil(0.5 * recent.length) - 1], p95: recent[Math.ceil(0.95 * recent.length) - 1], max: 999 });
  });

  it('LatencyTracker - sends of confirmed audio are forgotten; the rest still measure', () => {
    const l = new LatencyTracker();
    for (let i = 1; i <= 3000; i++) {
      l.recordSend(i * 160, i * 10);
      // A final every 50 sends confirms up to 10 sends back.
      if (i % 50 === 0) {
        expect(l.final((i - 10) * 160, i * 10 + 5)).toBe(105);
        l.forgetBefore((i - 10) * 160);
      }
    }
    expect(l.sentAt(2990 * 160)).toBe(-1); // confirmed: forgotten
    expect(l.sentAt(2000 * 160)).toBe(-1);
    expect(l.sentAt(2990 * 160 + 1)).toBe(29910);
    expect(l.sentAt(3000 * 160)).toBe(30000);
  });
});
