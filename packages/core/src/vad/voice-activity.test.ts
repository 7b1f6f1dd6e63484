import { describe, expect, it } from 'vitest';
import type { VoiceActivityDetector } from './detector.ts';
import { createEnergyVad } from './energy-vad.ts';
import { SpeechGate } from './speech-gate.ts';
import { VoiceActivity, type VoiceActivityOptions } from './voice-activity.ts';

/**
 * A detector written for these tests (a real implementation of the interface, not a
 * stand-in for one): speech where the chunk's mean absolute sample is over 1000. It
 * makes the positions exact, so the tests can check the arithmetic to the sample.
 */
function loudness(frameMs = 10): VoiceActivityDetector & { calls: number; lengths: Set<number> } {
  return {
    name: 'loudness',
    frameMs,
    calls: 0,
    lengths: new Set<number>(),
    reset() {
      this.calls = 0;
    },
    process(samples: Int16Array) {
      this.calls++;
      this.lengths.add(samples.length);
      let sum = 0;
      for (const x of samples) sum += Math.abs(x);
      return sum / samples.length > 1000 ? 1 : 0;
    },
  };
}

type Ev = [string, number, number];

/** Runs interleaved `samples` through a VoiceActivity in frames of `frame` sample frames; returns its events. */
function events(samples: Int16Array, frame: number, options: Partial<VoiceActivityOptions> & { sampleRate: number }): Ev[] {
  const out: Ev[] = [];
  const va = new VoiceActivity({ createDetector: () => loudness(), ...options, onEvent: (e, c, p) => out.push([e, c, p]) });
  const ch = va.channels;
  let position = 0;
  for (let at = 0; at < samples.length; at += frame * ch) {
    const f = samples.subarray(at, Math.min(samples.length, at + frame * ch));
    va.push(f, position);
    position += f.length / ch;
  }
  va.finish();
  return out;
}

/** Mono: `spans` ([start, end) in samples) at amplitude ±3000, silence elsewhere. */
function mono(length: number, spans: [number, number][]): Int16Array {
  const out = new Int16Array(length);
  for (const [a, b] of spans) for (let i = a; i < b; i++) out[i] = i % 2 ? 3000 : -3000;
  return out;
}

/** Interleaves two mono signals. */
function stereo(left: Int16Array, right: Int16Array): Int16Array {
  const out = new Int16Array(left.length * 2);
  for (let i = 0; i < left.length; i++) {
    out[2 * i] = left[i]!;
    out[2 * i + 1] = right[i]!;
  }
  return out;
}

describe('VoiceActivity', () => {
  it('a misspelt option is a TypeError naming it and the right one, in each constructor of the entry', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err as Error;
      }
      throw new Error('did not throw');
    };
    expect(bad(() => new VoiceActivity({ sampleRate: 16000, hangOverMs: 800 } as VoiceActivityOptions))).toMatchObject({
      name: 'TypeError',
      message: 'Unknown option `hangOverMs` for new VoiceActivity(); did you mean `hangoverMs`?',
    });
    expect(bad(() => new SpeechGate({ sampleRate: 16000, preroll: 100 } as never)).message).toBe('Unknown option `preroll` for new SpeechGate(); did you mean `preRollMs`?');
    expect(bad(() => createEnergyVad({ marginDB: 10 } as never)).message).toBe('Unknown option `marginDB` for createEnergyVad(); did you mean `marginDb`?');
    // The gate's own options still reach it through VoiceActivity.
    expect(new VoiceActivity({ sampleRate: 16000, channels: 2, hangoverMs: 800 }).gates[1]!.hangoverSamples).toBe(12800);
  });

  it('VoiceActivity - reports speech at exact positions: onset minus the pre-roll, last speech plus the hangover', () => {
    // 16 kHz, 10 ms chunks (160 samples): speech over [16000, 32000).
    const ev = events(mono(64000, [[16000, 32000]]), 1600, { sampleRate: 16000 });
    expect(ev).toEqual([
      ['speech_started', 0, 16000 - 3200],
      ['speech_ended', 0, 32000 + 6400],
    ]);
  });

  it('VoiceActivity - gives the same events whatever the frame length, a chunk spanning frames', () => {
    const signal = mono(48000, [[8000, 8800], [12000, 20000], [30000, 30400]]);
    const expected = events(signal, 160, { sampleRate: 16000 });
    expect(expected).toEqual([
      ['speech_started', 0, 8000 - 3200],
      ['speech_ended', 0, 20000 + 6400],
    ]);
    for (const frame of [1, 7, 100, 320, 1600, 4999, 48000]) expect(events(signal, frame, { sampleRate: 16000 })).toEqual(expected);
  });

  it('VoiceActivity - gates each channel of stereo on its own, and de-interleaves exactly', () => {
    const left = mono(48000, [[4800, 12800]]);
    const right = mono(48000, [[24000, 40000]]);
    expect(events(stereo(left, right), 480, { sampleRate: 16000, channels: 2 })).toEqual([
      ['speech_started', 0, 4800 - 3200],
      ['speech_ended', 0, 12800 + 6400],
      ['speech_started', 1, 24000 - 3200],
      ['speech_ended', 1, 40000 + 6400],
    ]);
    // Speech on one side only: the other side reports nothing.
    expect(events(stereo(new Int16Array(48000), right), 333, { sampleRate: 16000, channels: 2 })).toEqual([
      ['speech_started', 1, 24000 - 3200],
      ['speech_ended', 1, 40000 + 6400],
    ]);
    // The same moment on both sides: channel 0 first.
    expect(events(stereo(left, left), 480, { sampleRate: 16000, channels: 2 }).map(([e, c]) => `${e}/${c}`)).toEqual([
      'speech_started/0',
      'speech_started/1',
      'speech_ended/0',
      'speech_ended/1',
    ]);
  });

  for (const rate of [8000, 16000, 48000]) {
    it(`VoiceActivity - keeps positions in samples at ${rate} Hz (and stereo at the same rate)`, () => {
      const s = rate / 1000; // samples per ms
      const onset = 700 * s;
      const end = 1500 * s;
      const expected: Ev[] = [
        ['speech_started', 0, onset - 200 * s],
        ['speech_ended', 0, end + 400 * s],
      ];
      expect(events(mono(3000 * s, [[onset, end]]), 20 * s, { sampleRate: rate })).toEqual(expected);
      const both = events(stereo(mono(3000 * s, [[onset, end]]), new Int16Array(3000 * s)), 20 * s, { sampleRate: rate, channels: 2 });
      expect(both).toEqual(expected);
    });
  }

  it('VoiceActivity - cuts chunks of the detector’s frameMs at the stream’s rate, feeding it one reused array', () => {
    const detectors: ReturnType<typeof loudness>[] = [];
    const va = new VoiceActivity({
      sampleRate: 44100,
      channels: 2,
      createDetector: () => {
        const d = loudness(20);
        detectors.push(d);
        return d;
      },
    });
    expect(va.chunkSamples).toBe(882);
    va.push(new Int16Array(2 * 4410), 0); // 100 ms: 5 chunks per channel
    expect(detectors.map((d) => [d.calls, [...d.lengths]])).toEqual([
      [5, [882]],
      [5, [882]],
    ]);
  });

  it('VoiceActivity - finish ends open speech on every channel at the stream end', () => {
    const ev = events(stereo(mono(16000, [[8000, 16000]]), mono(16000, [[12000, 16000]])), 1600, { sampleRate: 16000, channels: 2 });
    expect(ev).toEqual([
      ['speech_started', 0, 8000 - 3200],
      ['speech_started', 1, 12000 - 3200],
      ['speech_ended', 0, 16000],
      ['speech_ended', 1, 16000],
    ]);
  });

  it('VoiceActivity - a jump in positions drops the part-filled chunk and goes on from the new position', () => {
    const out: Ev[] = [];
    const va = new VoiceActivity({ sampleRate: 16000, createDetector: () => loudness(), onEvent: (e, c, p) => out.push([e, c, p]) });
    va.push(new Int16Array(100), 0); // a part-filled chunk of silence
    va.push(mono(16000, [[0, 16000]]), 50_000); // speech from 50000 (the 100 samples before are dropped)
    va.finish();
    expect(out).toEqual([
      ['speech_started', 0, 50_000],
      ['speech_ended', 0, 66_000],
    ]);
  });

  it('VoiceActivity - reset forgets the stream: detectors and gates as new', () => {
    const d = loudness();
    const out: Ev[] = [];
    const va = new VoiceActivity({ sampleRate: 16000, createDetector: () => d, onEvent: (e, c, p) => out.push([e, c, p]) });
    va.push(mono(8000, [[0, 8000]]), 90_000);
    expect(va.speaking).toBe(true);
    va.reset();
    expect(va.speaking).toBe(false);
    expect(d.calls).toBe(0);
    out.length = 0;
    va.push(mono(16000, [[8000, 16000]]), 0);
    va.finish();
    expect(out).toEqual([
      ['speech_started', 0, 8000 - 3200],
      ['speech_ended', 0, 16000],
    ]);
  });

  it('VoiceActivity - with the default detector, keeps a burst of speech in noise whole', () => {
    const rate = 16000;
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32 - 0.5) * 400;
    // 2 s of noise, 1 s of a chord whose loudness swings 10 dB four times a second (as syllables do;
    // a steady one would be taken for noise), 12 to 22 dB above the noise, then 2 s of noise.
    const signal = Int16Array.from({ length: 5 * rate }, (_, i) => {
      const t = i / rate;
      const syllable = 0.3 + 0.7 * Math.sin(Math.PI * 4 * t) ** 2;
      const voiced = i >= 2 * rate && i < 3 * rate ? 1500 * syllable * (Math.sin(2 * Math.PI * 500 * t) + Math.sin(2 * Math.PI * 1500 * t)) : 0;
      return Math.round(voiced + noise());
    });
    const out: Ev[] = [];
    const va = new VoiceActivity({ sampleRate: rate, onEvent: (e, c, p) => out.push([e, c, p]) });
    for (let at = 0; at < signal.length; at += 1600) va.push(signal.subarray(at, at + 1600), at);
    va.finish();
    expect(out.map(([e]) => e)).toEqual(['speech_started', 'speech_ended']);
    const [[, , start], [, , end]] = out as [Ev, Ev];
    // Nothing of the burst lost; no more than pre-roll and hangover around it (to one 20 ms chunk).
    expect(start).toBeLessThanOrEqual(2 * rate - 200 * 16 + 320);
    expect(start).toBeGreaterThanOrEqual(2 * rate - 200 * 16);
    expect(end).toBeGreaterThanOrEqual(3 * rate + 400 * 16);
    expect(end).toBeLessThanOrEqual(3 * rate + 400 * 16 + 320);
  });

  it('VoiceActivity - rejects bad frames and options, naming them', () => {
    const va = new VoiceActivity({ sampleRate: 16000, channels: 2 });
    expect(() => va.push(new Float32Array(4) as never, 0)).toThrow(new TypeError('VoiceActivity.push: `frame` must be an Int16Array, got Float32Array'));
    expect(() => va.push(new Int16Array(3), 0)).toThrow(new TypeError('VoiceActivity.push: `frame.length` must be a multiple of `channels` (2), got 3'));
    va.push(new Int16Array(200), 0);
    expect(() => va.push(new Int16Array(2), 50)).toThrow(new RangeError('VoiceActivity.push: `position` must be an integer ≥ the end of the previous frame (100), got 50'));
    expect(() => new VoiceActivity({ sampleRate: 16000, channels: 3 as never })).toThrow(new RangeError('Invalid option `channels`: must be 1 or 2, got 3'));
    expect(() => new VoiceActivity({ sampleRate: 7000 })).toThrow(new RangeError('Invalid `sampleRate`: must be an integer from 8000 to 48000 Hz, got 7000'));
    expect(() => new VoiceActivity({ sampleRate: 16000, onEvent: 'log' as never })).toThrow(new TypeError('Invalid option `onEvent`: expected a function, got string'));
    expect(() => new VoiceActivity({ sampleRate: 16000, createDetector: () => ({}) as never })).toThrow(
      new TypeError('Invalid option `createDetector`: it must return a VoiceActivityDetector (`process`, `reset`, `frameMs` from 1 to 1000)'),
    );
    let n = 0;
    expect(() => new VoiceActivity({ sampleRate: 16000, channels: 2, createDetector: () => loudness(++n * 10) })).toThrow(
      new RangeError("Invalid option `createDetector`: every channel's detector must have the same `frameMs`, got 10 and 20"),
    );
    expect(() => new VoiceActivity({ sampleRate: 16000, hangoverMs: 9000 })).toThrow(new RangeError('Invalid option `hangoverMs`: must be from 0 to 5000, got 9000'));
  });
});
