import { describe, expect, it } from 'vitest';
import { BlockPool } from './block-pool.ts';
import { ReplayWindow, type ReplayWindowOptions } from './replay-window.ts';

const opts: ReplayWindowOptions = { channels: 1, windowSamples: 1000, overflow: 'wait', windowWaitMs: 500, frameSamples: 100 };
const pool = new BlockPool();
const ramp = (from: number, n: number) => Int16Array.from({ length: n }, (_, i) => from + i);

describe('ReplayWindow', () => {
  it('ReplayWindow - blocks of at most about 16 KiB hold whole catch-up messages where one fits, else whole frames', () => {
    const live = { ...opts, windowSamples: 480000 };
    // 16 kHz mono, 100 ms frames: 3,200-byte frames, five to a block.
    expect(new ReplayWindow({ ...live, frameSamples: 1600 }, pool).blockSamples).toBe(8000);
    // Two-frame messages (6,400 bytes): two to a block, so that no message straddles two blocks.
    expect(new ReplayWindow({ ...live, frameSamples: 1600, messageFrames: 2 }, pool).blockSamples).toBe(6400);
    // 48 kHz stereo, 100 ms frames (19,200 bytes): a message does not fit, so a block is one frame.
    expect(new ReplayWindow({ ...live, channels: 2, frameSamples: 4800, messageFrames: 2 }, pool).blockSamples).toBe(4800);
  });

  it('ReplayWindow - keeps what no final confirmed; a final lets confirmed, sent audio go', () => {
    const w = new ReplayWindow(opts, pool);
    w.store(ramp(0, 800), 0);
    w.commit(0, 300, 800);
    expect(w.start).toBe(300);
    expect(w.read(300, 400)).toEqual(ramp(300, 100));
    expect(w.replayStart()).toEqual({ from: 300, gaps: [] });
  });

  it('ReplayWindow - wait mode: a full window waits while disconnected, and at most windowWaitMs while connected', () => {
    const w = new ReplayWindow(opts, pool);
    w.store(ramp(0, 1000), 1000);
    expect(w.admit(100, false, 0)).toBe(false);
    expect(w.admit(100, true, 0)).toBe(false);
    expect(w.waitDeadline).toBe(500);
    expect(w.admit(100, true, 499)).toBe(false);
    expect(w.admit(100, true, 500)).toBe(true);
    w.store(ramp(1000, 100), 1000);
    expect(w.start).toBe(100); // the oldest sent audio went
    expect(w.replayStart()).toEqual({ from: 100, gaps: [{ start: 0, end: 100 }] });
    expect(w.replayStart().gaps).toEqual([]); // reported once
    expect(w.gapSamples).toBe(100);
  });

  it('ReplayWindow - drop-oldest: disconnected, the oldest goes to make room, and the replay reports it as one gap', () => {
    const w = new ReplayWindow({ ...opts, overflow: 'drop-oldest' }, pool);
    w.store(ramp(0, 1000), Infinity); // disconnected: nothing is being sent
    expect(w.admit(300, false, 0)).toBe(true);
    expect(w.store(ramp(1000, 300), Infinity)).toEqual([]);
    expect(w.start).toBe(300);
    expect(w.replayStart()).toEqual({ from: 300, gaps: [{ start: 0, end: 300 }] });
    expect(w.committed()).toBe(300);
  });

  it('ReplayWindow - the commit point of a stream is the lowest of its channels', () => {
    const w = new ReplayWindow({ ...opts, channels: 2 }, pool);
    w.store(new Int16Array(1000), 500);
    w.commit(0, 400, 500);
    expect(w.committed()).toBe(0);
    w.commit(1, 200, 500);
    expect(w.committed()).toBe(200);
    expect(w.start).toBe(200);
  });

  it('ReplayWindow - drop-oldest, connected: unsent audio the window let go is returned to report at once; a later replay reports only the rest', () => {
    const w = new ReplayWindow({ ...opts, overflow: 'drop-oldest' }, pool);
    expect(w.store(ramp(0, 1000), 200)).toEqual([]); // 200 sent, none confirmed
    expect(w.admit(500, true, 0)).toBe(true); // a live source never waits
    expect(w.store(ramp(1000, 500), 200)).toEqual([{ start: 200, end: 500 }]); // 300 samples never sent
    expect(w.start).toBe(500);
    // The connection drops: the replay lacks 0..200 too (sent, never confirmed); 200..500 was already reported.
    expect(w.replayStart()).toEqual({ from: 500, gaps: [{ start: 0, end: 200 }] });
    expect(w.gapSamples).toBe(500);
  });

  it('ReplayWindow - holes (silence not sent) count in no window and in no gap', () => {
    const w = new ReplayWindow({ ...opts, overflow: 'drop-oldest' }, pool);
    w.store(ramp(0, 600), Infinity);
    w.jump(5000); // 4.4 s of silence skipped
    w.store(ramp(5000, 300), Infinity);
    expect(w.length).toBe(900); // under the 1000-sample window: nothing goes
    expect(w.start).toBe(0);
    expect(w.store(ramp(5300, 300), Infinity)).toEqual([]); // disconnected: reported at the replay
    expect(w.start).toBe(200);
    expect(w.replayStart()).toEqual({ from: 200, gaps: [{ start: 0, end: 200 }] });
    // Past the hole: the hole is no gap.
    w.store(ramp(5600, 700), Infinity);
    expect(w.start).toBe(5300);
    expect(w.replayStart()).toEqual({ from: 5300, gaps: [{ start: 200, end: 600 }, { start: 5000, end: 5300 }] });
  });
});
