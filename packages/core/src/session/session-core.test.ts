// The pure session core driven with no network (session-world.test-support.ts) through random
// interleavings of audio, finals, interims, closes with every code (some with `retry_after`), refusals,
// stalls, aborts, a slow link, a slow reader, a voice activity detector, and listeners that abort or
// finalize from inside an event: every run keeps every invariant (session-run.test-support.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SessionSettings } from './commands.ts';
import { action, checkInvariants, coverage, params, run } from './session-run.test-support.ts';
import { PRE_ROLL, World, base } from './session-world.test-support.ts';

describe('SessionCore', () => {
  it('SessionCore - random interleavings keep every invariant, and together reach every path they claim to', () => {
    fc.assert(
      fc.property(params, (p) => {
        const settings: SessionSettings = {
          ...base,
          overflow: p.overflow,
          messageFrames: p.messageFrames,
          channels: p.channels,
          realtimeFactor: p.realtimeFactor,
          reconnect: p.reconnect === 'off' ? false : base.reconnect,
          highWaterMarkBytes: p.highWaterMarkBytes,
          maxBufferedEvents: p.maxBufferedEvents,
          windowSamples: p.windowSamples,
          ...(p.speech ? { speech: { sendOnlySpeech: true, finalizeOnSpeechEnd: p.seed % 2 === 0, tailSamples: PRE_ROLL + 20 } } : {}),
        };
        const world = new World(settings, p.seed, p.link, p.readableHighWaterMark, p.speech ?? undefined);
        if (p.speech) coverage.speech++;
        const before = world.notices.length;
        run(world, p.actions, p.stalledReader);
        if (p.actions.some((a) => a.k === 'listener') && world.notices.length > before) coverage.reentrant++;
        if (world.drainRequests > 0) coverage.drains++;
        checkInvariants(world);
      }),
      { numRuns: 500 },
    );
    // The runs reach what this test claims (in 500 runs each figure is several times its floor).
    const c = JSON.stringify(coverage);
    expect(coverage.wroteAudio / coverage.runs, c).toBeGreaterThan(0.8);
    expect(coverage.windowFull, c).toBeGreaterThan(10);
    expect(coverage.gaps, c).toBeGreaterThan(3);
    expect(coverage.timeouts, c).toBeGreaterThan(0);
    expect(coverage.failed, c).toBeGreaterThan(20);
    expect(coverage.failed, c).toBeLessThan(coverage.runs * 0.8);
    expect(coverage.drains, c).toBeGreaterThan(10);
    expect(coverage.sendStalls, c).toBeGreaterThan(3);
    expect(coverage.reentrant, c).toBeGreaterThan(20);
    expect(coverage.slowReader, c).toBeGreaterThan(0);
    expect(coverage.retryAfterGiveUps, c).toBeGreaterThan(3);
    expect(coverage.speech, c).toBeGreaterThan(50);
  });

  it('SessionCore - the same seed replays the same run', () => {
    const once = (seed: number) => {
      const actions = fc.sample(fc.array(action, { minLength: 80, maxLength: 80, size: 'max' }), { seed, numRuns: 1 })[0]!;
      const world = new World(base, seed, 8);
      run(world, actions);
      return JSON.stringify([world.opens, world.notices.map((n) => [n.name, n.at]), world.finals().map((f) => f.text), world.finishedAt]);
    };
    expect(once(42)).toBe(once(42));
    expect(once(42)).not.toBe(once(43));
  });
});
