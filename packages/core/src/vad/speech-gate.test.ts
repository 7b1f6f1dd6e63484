import { describe, expect, it } from 'vitest';
import { SPEECH_GATE_DEFAULTS, SpeechGate, type SpeechGateEvent } from './speech-gate.ts';

/** Feeds `probs` as consecutive chunks of `size` samples from `from`; returns the events as [event, position, chunk index]. */
function feed(gate: SpeechGate, probs: number[], size: number, from = 0): [SpeechGateEvent, number, number][] {
  const out: [SpeechGateEvent, number, number][] = [];
  probs.forEach((p, i) => {
    const ev = gate.update(p, from + i * size, size);
    if (ev) out.push([ev, gate.eventPosition, i]);
  });
  return out;
}
const repeat = (p: number, n: number) => Array.from({ length: n }, () => p);

describe('SpeechGate', () => {
  it('SpeechGate - has the documented defaults, in samples at the rate given', () => {
    expect(SPEECH_GATE_DEFAULTS).toEqual({ threshold: 0.5, endThreshold: 0.35, hangoverMs: 400, preRollMs: 200, minSpeechMs: 50 });
    const g16 = new SpeechGate({ sampleRate: 16000 });
    expect([g16.threshold, g16.endThreshold, g16.hangoverSamples, g16.preRollSamples, g16.minSpeechSamples]).toEqual([0.5, 0.35, 6400, 3200, 800]);
    const g8 = new SpeechGate({ sampleRate: 8000 });
    expect([g8.hangoverSamples, g8.preRollSamples, g8.minSpeechSamples]).toEqual([3200, 1600, 400]);
    const g48 = new SpeechGate({ sampleRate: 48000 });
    expect([g48.hangoverSamples, g48.preRollSamples, g48.minSpeechSamples]).toEqual([19200, 9600, 2400]);
    const g44 = new SpeechGate({ sampleRate: 44100, preRollMs: 10.5 });
    expect([g44.hangoverSamples, g44.preRollSamples, g44.minSpeechSamples]).toEqual([17640, 463, 2205]);
  });

  it('SpeechGate - starts at the onset minus the pre-roll, with the chunk that completes minSpeechMs', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    // 1 s of silence in 20 ms chunks, then speech: 50 ms needs three chunks (60 ms).
    const events = feed(gate, [...repeat(0, 50), 0.9, 0.9, 0.9, 0.9], 320);
    expect(events).toEqual([['speech_started', 16000 - 3200, 52]]);
    expect(gate.speaking).toBe(true);
  });

  it('SpeechGate - ends at the end of the last speech plus the hangover, reported by the chunk that reaches it', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    // speech over [0, 9600), then silence: the hangover ends at 9600 + 6400 = 16000, the end of chunk 49.
    const events = feed(gate, [...repeat(1, 30), ...repeat(0, 30)], 320);
    expect(events).toEqual([
      ['speech_started', 0, 2],
      ['speech_ended', 16000, 49],
    ]);
    expect(gate.speaking).toBe(false);
  });

  it('SpeechGate - reports the exact end when the hangover ends inside a chunk', () => {
    const gate = new SpeechGate({ sampleRate: 16000, hangoverMs: 250 }); // 4000 samples
    // 100 ms chunks: speech over [0, 4800), silence after; the end 8800 falls inside the chunk [8000, 9600).
    const events = feed(gate, [1, 1, 1, 0, 0, 0, 0], 1600);
    expect(events).toEqual([
      ['speech_started', 0, 0],
      ['speech_ended', 8800, 5],
    ]);
  });

  it('SpeechGate - clamps the start to the first position fed and to the previous end', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    // The stream starts at 5000 with speech: nothing before 5000 to keep.
    expect(feed(gate, [1, 1, 1], 320, 5000)).toEqual([['speech_started', 5000, 2]]);
    // Speech over [5000, 5960), hangover to 12360; silence, then speech again at 12360 + 960 = 13320:
    // its pre-roll would reach 10120, but the previous segment ended at 12360.
    const more = feed(gate, [...repeat(0, 23), 1, 1, 1], 320, 5960);
    expect(more).toEqual([
      ['speech_ended', 12360, 19],
      ['speech_started', 12360, 25],
    ]);
  });

  it('SpeechGate - a run shorter than minSpeechMs neither opens nor holds the gate', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    // Clicks: one or two 20 ms chunks at a time, never three.
    const clicks = [1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0];
    expect(feed(gate, clicks, 320)).toEqual([]);
    // Speech over [4160, 5120), then clicks every 160 ms: the hangover still ends 400 ms after the speech.
    const gate2 = new SpeechGate({ sampleRate: 16000 });
    const probs = [...repeat(0, 13), 1, 1, 1, ...[0, 1, 2, 3].flatMap(() => [0, 0, 0, 0, 0, 0, 0, 1])];
    expect(feed(gate2, probs, 320)).toEqual([
      ['speech_started', 4160 - 3200, 15],
      ['speech_ended', 5120 + 6400, 35],
    ]);
  });

  it('SpeechGate - minSpeechMs 0 starts on a single chunk', () => {
    const gate = new SpeechGate({ sampleRate: 8000, minSpeechMs: 0, preRollMs: 0 });
    expect(feed(gate, [0, 1], 80)).toEqual([['speech_started', 80, 1]]);
  });

  it('SpeechGate - keeps speaking above endThreshold, starts only above threshold', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    expect(feed(gate, repeat(0.4, 20), 320)).toEqual([]); // 0.4 < 0.5: never starts
    const g2 = new SpeechGate({ sampleRate: 16000 });
    // starts on 0.9, then 0.4 (≥ 0.35) for 1 s keeps it open; ends 400 ms after the last 0.4.
    const events = feed(g2, [0.9, 0.9, 0.9, ...repeat(0.4, 50), ...repeat(0.2, 25)], 320);
    expect(events).toEqual([
      ['speech_started', 0, 2],
      ['speech_ended', 53 * 320 + 6400, 72],
    ]);
  });

  it('SpeechGate - counts NaN as silence', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    expect(feed(gate, repeat(Number.NaN, 10), 320)).toEqual([]);
    const events = feed(gate, [1, 1, 1, ...repeat(Number.NaN, 20)], 320, 3200);
    expect(events).toEqual([
      ['speech_started', 0, 2],
      ['speech_ended', 3200 + 960 + 6400, 22],
    ]);
    expect(Number.isFinite(gate.eventPosition)).toBe(true);
  });

  it('SpeechGate - finish ends open speech at the hangover or the stream end, whichever is first', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    feed(gate, [1, 1, 1, 1], 320); // speech to 1280
    expect(gate.finish(2000)).toBe('speech_ended');
    expect(gate.eventPosition).toBe(2000);
    expect(gate.finish(2000)).toBeUndefined(); // already ended
    const g2 = new SpeechGate({ sampleRate: 16000 });
    feed(g2, [1, 1, 1, 1], 320);
    expect(g2.finish(100_000)).toBe('speech_ended');
    expect(g2.eventPosition).toBe(1280 + 6400);
    // A run in progress is forgotten: one more speech chunk does not start.
    const g3 = new SpeechGate({ sampleRate: 16000 });
    feed(g3, [1, 1], 320);
    expect(g3.finish(640)).toBeUndefined();
    expect(g3.update(1, 640, 320)).toBeUndefined();
  });

  it('SpeechGate - measures the hangover in positions: a jump forward longer than it ends speech inside the jump', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    feed(gate, [1, 1, 1], 320); // speech to 960
    expect(gate.update(1, 50_000, 320)).toBe('speech_ended');
    expect(gate.eventPosition).toBe(960 + 6400);
    // The run that began at 50000 goes on, and starts with its pre-roll.
    expect(feed(gate, [1, 1], 320, 50_320)).toEqual([['speech_started', 50_000 - 3200, 1]]);
    // A jump shorter than the hangover, with speech after it, keeps speaking.
    expect(feed(gate, [0, 0], 320, 51_000)).toEqual([]);
    expect(feed(gate, [1, 1, 1], 320, 55_000)).toEqual([]);
    expect(gate.speaking).toBe(true);
  });

  it('SpeechGate - reset forgets the stream: the same chunks give the same events as a new gate', () => {
    const probs = [...repeat(0, 10), ...repeat(1, 10), ...repeat(0, 30), 1, 1, 1];
    const fresh = feed(new SpeechGate({ sampleRate: 16000 }), probs, 320, 7000);
    const used = new SpeechGate({ sampleRate: 16000 });
    feed(used, [1, 1, 1, 1, 1], 320, 90_000); // speaking at a later position
    used.reset();
    expect(used.speaking).toBe(false);
    expect(used.eventPosition).toBe(-1);
    expect(feed(used, probs, 320, 7000)).toEqual(fresh);
    expect(fresh).toEqual([
      ['speech_started', 7000, 12],
      ['speech_ended', 7000 + 20 * 320 + 6400, 39],
      ['speech_started', 7000 + 50 * 320 - 3200, 52],
    ]);
  });

  it('SpeechGate - rejects positions that go back and bad lengths, naming them', () => {
    const gate = new SpeechGate({ sampleRate: 16000 });
    gate.update(0, 320, 320);
    expect(() => gate.update(0, 600, 320)).toThrow(new RangeError('SpeechGate: `position` must be an integer ≥ the end of the previous chunk (640), got 600'));
    expect(() => gate.update(0, 640.5, 320)).toThrow(RangeError);
    expect(() => gate.update(0, 640, 0)).toThrow(new RangeError('SpeechGate: `samples` must be an integer ≥ 1, got 0'));
    expect(() => gate.finish(100)).toThrow(new RangeError('SpeechGate: `position` must be an integer ≥ the end of the previous chunk (640), got 100'));
    expect(() => new SpeechGate({ sampleRate: 16000 }).update(0, -1, 320)).toThrow(RangeError);
  });

  it('SpeechGate - rejects bad options, naming them', () => {
    expect(() => new SpeechGate(undefined as never)).toThrow(new TypeError('Invalid SpeechGate options: expected an object with `sampleRate`, got undefined'));
    expect(() => new SpeechGate({} as never)).toThrow(new RangeError('Invalid `sampleRate`: must be an integer from 8000 to 48000 Hz, got undefined'));
    expect(() => new SpeechGate({ sampleRate: 96000 })).toThrow(new RangeError('Invalid `sampleRate`: must be an integer from 8000 to 48000 Hz, got 96000'));
    expect(() => new SpeechGate({ sampleRate: 16000, hangoverMs: -1 })).toThrow(new RangeError('Invalid option `hangoverMs`: must be from 0 to 5000, got -1'));
    expect(() => new SpeechGate({ sampleRate: 16000, preRollMs: '200' as never })).toThrow(new TypeError('Invalid option `preRollMs`: expected a number, got string'));
    expect(() => new SpeechGate({ sampleRate: 16000, threshold: 0.3, endThreshold: 0.4 })).toThrow(
      new RangeError('Invalid option `endThreshold`: must be from 0 to 0.3, got 0.4'),
    );
    expect(() => new SpeechGate({ sampleRate: 16000, threshold: Number.NaN })).toThrow(RangeError);
    // endThreshold defaults to the lower of 0.35 and threshold.
    expect(new SpeechGate({ sampleRate: 16000, threshold: 0.2 }).endThreshold).toBe(0.2);
  });
});
