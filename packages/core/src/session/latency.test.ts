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
});
