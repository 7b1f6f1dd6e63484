import { describe, expect, test } from 'vitest';
import { BoundedFrameQueue } from './bounded-frame-queue.ts';

const frame = (n: number, channels = 1, v = 0) => new Float32Array(n * channels).fill(v);

describe('BoundedFrameQueue', () => {
  test('BoundedFrameQueue keeps frames in order under the bound', () => {
    const q = new BoundedFrameQueue({ maxSampleFrames: 480, sampleRate: 16_000, channels: 1 });
    expect(q.push(frame(160, 1, 1))).toBeUndefined();
    expect(q.push(frame(160, 1, 2))).toBeUndefined();
    expect(q.queuedSampleFrames).toBe(320);
    expect(q.shift()![0]).toBe(1);
    expect(q.shift()![0]).toBe(2);
    expect(q.shift()).toBeUndefined();
  });

  test('BoundedFrameQueue drops the oldest frames past the bound and says which span went', () => {
    const q = new BoundedFrameQueue({ maxSampleFrames: 320, sampleRate: 16_000, channels: 2 });
    q.pass(frame(160, 2)); // 10 ms went straight to a reader
    q.push(frame(160, 2, 1));
    q.push(frame(160, 2, 2));
    const dropped = q.push(frame(160, 2, 3));
    expect(dropped).toEqual({ start: 0.01, end: 0.02, droppedMs: 10 });
    expect(q.length).toBe(2);
    expect(q.shift()![0]).toBe(2);
    const next = q.push(frame(480, 2, 4));
    expect(next).toEqual({ start: 0.03, end: 0.04, droppedMs: 10 });
    // A single frame larger than the bound is kept: there is nothing older to drop.
    expect(q.length).toBe(1);
  });

  test('BoundedFrameQueue stays bounded over many frames', () => {
    const q = new BoundedFrameQueue({ maxSampleFrames: 1600, sampleRate: 16_000, channels: 1 });
    let dropped = 0;
    for (let i = 0; i < 10_000; i++) dropped += q.push(frame(320))?.droppedMs ?? 0;
    expect(q.queuedSampleFrames).toBeLessThanOrEqual(1600);
    expect(dropped).toBe(10_000 * 20 - 100);
  });
});
