import { describe, expect, it } from 'vitest';
import { assertPCMFrame } from './pcm-frame.ts';

describe('assertPCMFrame', () => {
  it('assertPCMFrame - accepts Int16 and Float32 frames, empty ones included', () => {
    expect(() => assertPCMFrame({ data: new Int16Array(320), sampleRate: 16000, channels: 2 })).not.toThrow();
    expect(() => assertPCMFrame({ data: new Float32Array(480), sampleRate: 48000, channels: 1 })).not.toThrow();
    expect(() => assertPCMFrame({ data: new Float32Array(0), sampleRate: 8000, channels: 8 })).not.toThrow();
    expect(() => assertPCMFrame({ data: new Int16Array(6), sampleRate: 192000, channels: 3 })).not.toThrow();
  });

  it('assertPCMFrame - rejects a non-object', () => {
    expect(() => assertPCMFrame(null)).toThrow(new TypeError('Invalid frame: expected an object { data, sampleRate, channels }, got Null'));
    expect(() => assertPCMFrame(new Int16Array(4))).toThrow(/`data` must be an Int16Array or Float32Array, got Undefined/);
  });

  it('assertPCMFrame - names `data` and the type it got', () => {
    const cases: [unknown, string][] = [
      [new Float64Array(4), 'Float64Array'],
      [new Uint8Array(4), 'Uint8Array'],
      [new Int32Array(4), 'Int32Array'],
      [[0, 0, 0, 0], 'Array'],
      [new ArrayBuffer(8), 'ArrayBuffer'],
      [undefined, 'Undefined'],
    ];
    for (const [data, kind] of cases) {
      const err = catchError(() => assertPCMFrame({ data, sampleRate: 16000, channels: 1 }));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toBe(`Invalid frame: \`data\` must be an Int16Array or Float32Array, got ${kind}`);
    }
  });

  it('assertPCMFrame - names `sampleRate` with the value it got', () => {
    const frame = (sampleRate: unknown) => ({ data: new Int16Array(2), sampleRate, channels: 1 });
    expect(() => assertPCMFrame(frame(7999))).toThrow(
      new TypeError('Invalid frame: `sampleRate` must be an integer from 8000 to 192000, got 7999'),
    );
    expect(() => assertPCMFrame(frame(192001))).toThrow(/`sampleRate` .* got 192001$/);
    expect(() => assertPCMFrame(frame(16000.5))).toThrow(/`sampleRate` .* got 16000.5$/);
    expect(() => assertPCMFrame(frame('16000'))).toThrow(/`sampleRate` .* got "16000"$/);
    expect(() => assertPCMFrame(frame(undefined))).toThrow(/`sampleRate` .* got Undefined$/);
    expect(() => assertPCMFrame(frame(NaN))).toThrow(TypeError);
  });

  it('assertPCMFrame - names `channels` with the value it got', () => {
    const frame = (channels: unknown) => ({ data: new Int16Array(18), sampleRate: 16000, channels });
    expect(() => assertPCMFrame(frame(9))).toThrow(new TypeError('Invalid frame: `channels` must be an integer from 1 to 8, got 9'));
    expect(() => assertPCMFrame(frame(0))).toThrow(/`channels` .* got 0$/);
    expect(() => assertPCMFrame(frame(1.5))).toThrow(/`channels` .* got 1.5$/);
  });

  it('assertPCMFrame - rejects data that is not whole sample frames', () => {
    expect(() => assertPCMFrame({ data: new Int16Array(3), sampleRate: 16000, channels: 2 })).toThrow(
      new TypeError('Invalid frame: `data.length` must be a multiple of `channels` (2), got 3'),
    );
    expect(() => assertPCMFrame({ data: new Float32Array(7), sampleRate: 16000, channels: 3 })).toThrow(TypeError);
  });
});

function catchError(fn: () => void): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
