import { describe, expect, it } from 'vitest';
import { CATCH_UP_MESSAGE_MS, FRAME_MS, Framing, catchUpFrames, frameMsOption, frameSamples } from './framing.ts';

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

  it('Framing - audio already there goes in messages of up to `frames` whole frames; `hold` waits for all of them unless a marker is due', () => {
    const f = new Framing(100);
    f.reset(0);
    expect(f.next(0, 1000, Infinity, 3)).toBe(300);
    expect(f.next(300, 550, Infinity, 3)).toBe(500); // two whole frames are there: they go
    expect(f.next(500, 550, Infinity, 3)).toBe(-1);
    expect(f.next(500, 750, Infinity, 3, true)).toBe(-1); // held for a third frame
    expect(f.next(500, 800, Infinity, 3, true)).toBe(800);
    expect(f.next(800, 950, 950, 3, true)).toBe(900); // a marker is due: no hold, whole frames first
    expect(f.next(900, 950, 950, 3, true)).toBe(950); // then the partial frame up to the marker
    f.reset(0);
    expect(f.next(0, 1000, Infinity, 3)).toBe(300);
    expect(f.next(120, 1000, Infinity, 3)).toBe(300); // a read stopped at a block's end: the message's end stays
  });

  it('catchUpFrames - whole frames in a catch-up message of at most 250 ms, at least one', () => {
    expect(CATCH_UP_MESSAGE_MS).toBe(250);
    expect(catchUpFrames(100)).toBe(2);
    expect(catchUpFrames(20)).toBe(12);
    expect(catchUpFrames(250)).toBe(1);
    expect(catchUpFrames(1000)).toBe(1);
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
