import { describe, expect, it } from 'vitest';
import { CATCH_UP_MESSAGE_MS, FRAME_MS, catchUpFrames, frameMsOption, frameSamples, nextMessage, type MessageCut } from './framing.ts';

/** A cut of 100-sample frames (200 bytes) with room in the socket, nothing paced or held. */
const cut = (over: Partial<MessageCut>): MessageCut => ({
  from: 0,
  available: 0,
  boundary: Infinity,
  frameSamples: 100,
  frameBytes: 200,
  messageFrames: 1,
  paced: false,
  room: 1 << 20,
  hold: false,
  ...over,
});

describe('framing', () => {
  it('nextMessage - whole frames, a partial frame only where a marker cuts it, then whole frames from the cut', () => {
    const f = (from: number, available: number, boundary = Infinity) => nextMessage(cut({ frameSamples: 160, frameBytes: 320, from, available, boundary }));
    expect(f(0, 100)).toBe(-1); // the rest of the frame is still to come
    expect(f(0, 500)).toBe(160);
    expect(f(160, 500)).toBe(320);
    expect(f(320, 500)).toBe(480);
    expect(f(480, 500)).toBe(-1);
    expect(f(480, 500, 500)).toBe(500); // finalize / end at 500
    expect(f(500, 500, 500)).toBe(-1);
    expect(f(500, 700)).toBe(660); // frames count from the cut
  });

  it('nextMessage - audio already there goes in messages of up to `messageFrames` whole frames; `hold` waits for all of them unless a marker is due', () => {
    const f = (from: number, available: number, boundary = Infinity, hold = false) => nextMessage(cut({ messageFrames: 3, from, available, boundary, hold }));
    expect(f(0, 1000)).toBe(300);
    expect(f(300, 550)).toBe(500); // two whole frames are there: they go
    expect(f(500, 550)).toBe(-1);
    expect(f(500, 750, Infinity, true)).toBe(-1); // held for a third frame
    expect(f(500, 800, Infinity, true)).toBe(800);
    expect(f(800, 950, 950, true)).toBe(900); // a marker is due: no hold, whole frames first
    expect(f(900, 950, 950, true)).toBe(950); // then the partial frame up to the marker
  });

  it('nextMessage - paced audio goes a frame at a time; a message takes the socket at most one frame past its high-water mark', () => {
    expect(nextMessage(cut({ messageFrames: 3, available: 1000, paced: true }))).toBe(100);
    expect(nextMessage(cut({ messageFrames: 3, available: 1000, room: 250 }))).toBe(200); // room for one frame and a part: two go
    expect(nextMessage(cut({ messageFrames: 3, available: 1000, room: 0 }))).toBe(100);
    expect(nextMessage(cut({ messageFrames: 3, available: 1000, room: -5000 }))).toBe(100);
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
