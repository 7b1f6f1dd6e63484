// Voice activity detection at the client (issue 27): with `voiceActivity`, only speech goes on the wire,
// and every time a user reads stays on the stream's clock. Checked against the emulator's tone engine
// (DTMF keys are words; 300 ms of silence ends an utterance): each final's text, start and end, and every
// word's, equal (within 1 ms) what the same audio gives with everything sent; on mono, stereo and a
// two-party call; through drops and replays; no word lost, no gap where no audio was dropped.
import { dtmfSamples, startEmulator, type Emulator, type FaultPlan } from '@stt-stream/emulator';
import { createTranscriber, type TranscriberOptions, type TranscriptEvent } from '@stt-stream/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, framesOf } from './helpers.ts';

type Segment = Extract<TranscriptEvent, { type: 'interim' | 'final' }>;
type Speech = Extract<TranscriptEvent, { type: 'speech_started' | 'speech_ended' }>;

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.close();
});

const RATE = 16000;
/** Four utterances with 2.5 s of silence between them: most of the audio is silence. */
const mono = dtmfSamples('1234 5678 90#* AB12', { breakMs: 2500, leadMs: 1000, tailMs: 1500 });

/** A two-party call as one stereo stream: the caller (left) and the agent (right) take turns. */
function call(): { samples: Int16Array; seconds: number } {
  const caller = dtmfSamples('1234 5678', { breakMs: 4200, leadMs: 800, tailMs: 3000 });
  const agent = dtmfSamples('90#* AB12', { breakMs: 4200, leadMs: 3000, tailMs: 800 });
  const n = Math.max(caller.samples.length, agent.samples.length);
  const samples = new Int16Array(n * 2);
  for (let i = 0; i < n; i++) {
    samples[2 * i] = caller.samples[i] ?? 0;
    samples[2 * i + 1] = agent.samples[i] ?? 0;
  }
  return { samples, seconds: n / RATE };
}

interface Run {
  events: TranscriptEvent[];
  finals: Segment[];
  speech: Speech[];
  stats: ReturnType<typeof createTranscriber>['stats'];
  error: unknown;
}

async function run(samples: Int16Array, channels: 1 | 2, options: Partial<TranscriberOptions> = {}, url = emulator.url): Promise<Run> {
  const t = createTranscriber({ model: 'dtmf', url, channels, ...options });
  let error: unknown = null;
  let events: TranscriptEvent[] = [];
  try {
    events = await collect(framesOf(samples, RATE, channels).pipeThrough(t));
  } catch (err) {
    error = err;
  }
  return {
    events,
    finals: events.filter((e): e is Segment => e.type === 'final'),
    speech: events.filter((e): e is Speech => (e.type === 'speech_started' || e.type === 'speech_ended') && e.source === 'client'),
    stats: t.stats,
    error,
  };
}

/** The finals of `b` are those of `a`: the same text on the same channel, every time within 1 ms. */
function expectSameFinals(a: Run, b: Run): void {
  expect(b.error).toBeNull();
  expect(b.events.filter((e) => e.type === 'gap')).toEqual([]);
  expect(b.finals.map((f) => [f.channel, f.text])).toEqual(a.finals.map((f) => [f.channel, f.text]));
  b.finals.forEach((f, i) => {
    const g = a.finals[i]!;
    expect(Math.abs(f.start - g.start)).toBeLessThan(0.001);
    expect(Math.abs(f.end - g.end)).toBeLessThan(0.001);
    expect(f.words!.length).toBe(g.words!.length);
    f.words!.forEach((w, k) => {
      expect(w.word).toBe(g.words![k]!.word);
      expect(Math.abs(w.start - g.words![k]!.start)).toBeLessThan(0.001);
      expect(Math.abs(w.end - g.words![k]!.end)).toBeLessThan(0.001);
    });
  });
}

describe.concurrent('voiceActivity: only speech on the wire, at stream-absolute times', () => {
  it('mono: the same finals and words as with everything sent, about a third of the audio sent, speech events around every utterance', async () => {
    const [all, speech] = await Promise.all([run(mono.samples, 1), run(mono.samples, 1, { voiceActivity: true })]);
    expect(all.error).toBeNull();
    expect(all.finals.map((f) => f.text)).toEqual(mono.utterances.map((u) => u.map((t) => t.word).join(' ')));
    expectSameFinals(all, speech);
    // What was sent and skipped: each utterance with its pre-roll (0.2 s) and hangover (0.4 s), a frame's rounding at most.
    expect(speech.stats.sentSeconds + speech.stats.skippedSeconds).toBeCloseTo(mono.duration, 1);
    const spoken = mono.utterances.reduce((a, u) => a + (u.at(-1)!.end - u[0]!.start) + 0.2 + 0.4 + 0.1, 0);
    expect(speech.stats.sentSeconds).toBeLessThan(spoken);
    expect(speech.stats.sentSeconds).toBeLessThan(0.45 * mono.duration);
    expect(all.stats.skippedSeconds).toBe(0);
    // The client's detector: a start before and an end after each utterance, on channel 0, in order.
    expect(speech.speech.map((e) => e.type)).toEqual(mono.utterances.flatMap(() => ['speech_started', 'speech_ended']));
    mono.utterances.forEach((u, i) => {
      const started = speech.speech[2 * i]!;
      const ended = speech.speech[2 * i + 1]!;
      expect(started.channel).toBe(0);
      expect(started.timestamp).toBeLessThanOrEqual(u[0]!.start);
      expect(started.timestamp).toBeGreaterThan(u[0]!.start - 0.35);
      expect(ended.timestamp).toBeGreaterThanOrEqual(u.at(-1)!.end);
      expect(ended.timestamp).toBeLessThan(u.at(-1)!.end + 0.6);
    });
    // Off, nothing of the client's detector shows.
    expect(all.speech).toEqual([]);
  });

  it('a two-party call as one stereo stream: each channel its own speech events; silence skipped only where both are silent', async () => {
    const { samples, seconds } = call();
    const [all, speech] = await Promise.all([run(samples, 2, { channels: 2 }), run(samples, 2, { channels: 2, voiceActivity: true })]);
    expect(all.finals.map((f) => [f.channel, f.text])).toEqual([
      [0, 'one two three four'],
      [1, 'nine zero pound star'],
      [0, 'five six seven eight'],
      [1, 'A B one two'],
    ]);
    expectSameFinals(all, speech);
    expect(speech.stats.skippedSeconds).toBeGreaterThan(2);
    expect(speech.stats.sentSeconds + speech.stats.skippedSeconds).toBeCloseTo(seconds, 1);
    for (const channel of [0, 1]) {
      expect(speech.speech.filter((e) => e.channel === channel).map((e) => e.type)).toEqual(['speech_started', 'speech_ended', 'speech_started', 'speech_ended']);
    }
  });

  it('through drops and replays: the transcript with only speech sent equals the fault-free one, and a replay resends only what was sent', async () => {
    // The first connection drops once it has 1 s of audio, the second once it has 1.5 s (of what the client sent, only
    // speech): each a drop in the middle of an utterance, with its audio not yet confirmed. Audio paced at 4× real time.
    const faulty = await startEmulator({
      faults: (ctx) => (ctx.index < 2 ? ({ drop: { afterBytes: 32000 + 16000 * ctx.index } } satisfies FaultPlan) : undefined),
    });
    try {
      const options = { realtimeFactor: 4, reconnect: { minDelayMs: 100, maxDelayMs: 300 } };
      const [clean, dropped] = await Promise.all([run(mono.samples, 1), run(mono.samples, 1, { ...options, voiceActivity: true }, faulty.url)]);
      expect(faulty.stats.perConnection.length).toBe(3);
      expect(dropped.stats.reconnects).toBe(2);
      expectSameFinals(clean, dropped);
      // Every connection got only speech (and its pre-roll and hangover), a replay included: none heard more than
      // all the speech of the stream, which is well under half of it.
      const speechSeconds = mono.duration - dropped.stats.skippedSeconds;
      expect(speechSeconds).toBeLessThan(0.45 * mono.duration);
      for (const c of faulty.stats.perConnection) expect(c.audioSeconds).toBeLessThanOrEqual(speechSeconds + 0.001);
      expect(dropped.stats.replayedSeconds).toBeGreaterThan(0);
    } finally {
      await faulty.close();
    }
  });

  it("finalizeOnSpeechEnd sends `finalize` where each utterance's speech ended: the same finals", async () => {
    const [all, eager] = await Promise.all([run(mono.samples, 1), run(mono.samples, 1, { voiceActivity: { finalizeOnSpeechEnd: true } })]);
    expectSameFinals(all, eager);
  });

  it('a detector of your own with long chunks (500 ms): the pre-roll still reaches back before each onset it reports late, the same finals', async () => {
    // Speech where a chunk's level is above -40 dBFS: it hears an onset only when the 500 ms chunk that holds it is complete.
    const slow = () => ({
      name: 'slow',
      frameMs: 500,
      process(samples: Int16Array) {
        let e = 0;
        for (const v of samples) e += v * v;
        return Math.sqrt(e / samples.length) > 32768 * 0.01 ? 1 : 0;
      },
      reset() {},
    });
    const [all, speech] = await Promise.all([run(mono.samples, 1), run(mono.samples, 1, { voiceActivity: { detector: slow } })]);
    expectSameFinals(all, speech);
    expect(speech.stats.skippedSeconds).toBeGreaterThan(1);
  });

  it('voiceActivity with sendOnlySpeech: false reports the events and sends everything', async () => {
    const r = await run(mono.samples, 1, { voiceActivity: { sendOnlySpeech: false } });
    expect(r.error).toBeNull();
    expect(r.stats.skippedSeconds).toBe(0);
    expect(r.stats.sentSeconds).toBeCloseTo(mono.duration, 2);
    expect(r.speech.length).toBe(2 * mono.utterances.length);
  });

  it('a bad voiceActivity option is a TypeError or RangeError naming it, from createTranscriber itself', () => {
    const make = (voiceActivity: unknown) => () => createTranscriber({ model: 'm', url: emulator.url, voiceActivity: voiceActivity as TranscriberOptions['voiceActivity'] });
    expect(make('yes')).toThrow(new TypeError('Invalid option `voiceActivity`: expected true, false or an object, got string'));
    expect(make({ hangoverMs: 9000 })).toThrow(new RangeError('Invalid option `voiceActivity.hangoverMs`: must be from 0 to 5000, got 9000'));
    expect(make({ sendOnlySpeach: true })).toThrow(
      new TypeError('Unknown option `voiceActivity.sendOnlySpeach` for createTranscriber(); did you mean `voiceActivity.sendOnlySpeech`?'),
    );
    expect(make({ endThreshold: 0.9, threshold: 0.5 })).toThrow(new RangeError('Invalid option `voiceActivity.endThreshold`: must be from 0 to 0.5, got 0.9'));
  });
});
