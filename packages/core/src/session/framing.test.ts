import { describe, expect, it } from 'vitest';
import { FRAME_MS, Framing, frameMsOption, frameSamples } from './framing.ts';

describe('framing', () => {
  it('Framing - whole frames, a partial frame only where a marker cuts it', () => {
    const f = new Framing(160);
    f.reset(0);
    expect(f.next(0, 100, Infinity)).toBe(-1); // the rest of the frame is still to come
    expect(f.next(0, 500, Infinity)).toBe(160);
    expect(f.next(160, 500, Infinity)).toBe(320);
    expect(f.next(320, 500, Infinity)).toBe(480);
    expect(f.next(480, 500, Infinity)).toBe(-1);
    expect(f.next(480, 500, 500)).toBe(500); // finalize / end at 500
    expect(f.next(500, 500, 500)).toBe(-1);
  });

  it('Framing - a read stopped early (a block ended) keeps the frame end; a reset starts frames at the replay point', () => {
    const f = new Framing(100);
    f.reset(0);
    expect(f.next(0, 1000, Infinity)).toBe(100);
    expect(f.next(60, 1000, Infinity)).toBe(100); // 40 went, 60 were sent of this frame
    f.reset(250);
    expect(f.next(250, 1000, Infinity)).toBe(350);
  });

  it('frameMs - one range and default everywhere, named in the error', () => {
    expect(FRAME_MS).toEqual({ min: 10, max: 1000, default: 100 });
    expect(frameMsOption(undefined)).toBe(100);
    expect(frameMsOption(20)).toBe(20);
    expect(() => frameMsOption(5)).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 1000 ms, got 5'));
    expect(() => frameMsOption(NaN)).toThrow(RangeError);
    expect(() => frameMsOption('20')).toThrow(new TypeError('Invalid option `frameMs`: expected a number of milliseconds, got string'));
    expect(frameSamples(16000, 100)).toBe(1600);
    expect(frameSamples(22050, 10)).toBe(221);
  });
});
