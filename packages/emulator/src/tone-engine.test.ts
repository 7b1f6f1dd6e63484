import { describe, expect, it } from 'vitest';
import type { EngineEvent, EngineTranscript } from './engine.ts';
import { dtmfSamples, type DtmfFixture, type DtmfSamplesOptions } from './fixtures/dtmf-samples.ts';
import { interleave } from './fixtures/interleave.ts';
import { mulberry32 } from './prng.ts';
import { createToneEngine } from './tone-engine.ts';

const TOLERANCE = 0.01; // seconds

function transcribe(fixture: DtmfFixture, chunks?: number[], interimResults = true): EngineEvent[] {
  const engine = createToneEngine({ sampleRate: fixture.sampleRate, channels: fixture.channels, language: null, interimResults });
  const events: EngineEvent[] = [];
  const frames = fixture.samples.length / fixture.channels;
  let at = 0;
  for (const size of chunks ?? [frames]) {
    const end = Math.min(frames, at + size);
    events.push(...engine.push(fixture.samples.subarray(at * fixture.channels, end * fixture.channels)));
    at = end;
    if (at >= frames) break;
  }
  if (at < frames) events.push(...engine.push(fixture.samples.subarray(at * fixture.channels)));
  events.push(...engine.end());
  return events;
}

const finals = (events: EngineEvent[], channel = 0): EngineTranscript[] =>
  events.filter((e): e is EngineTranscript => e.type === 'transcript' && e.isFinal && e.channel === channel);

/** Asserts one final per utterance, with the exact words, each timed within 10 ms. */
function expectHeard(fixture: DtmfFixture, events: EngineEvent[], channel = 0): number {
  const got = finals(events, channel);
  expect(got.map((f) => f.text)).toEqual(fixture.utterances.map((u) => u.map((t) => t.word).join(' ')));
  let worst = 0;
  got.forEach((final, i) => {
    const tones = fixture.utterances[i] ?? [];
    expect(final.words?.map((w) => w.word)).toEqual(tones.map((t) => t.word));
    final.words?.forEach((w, j) => {
      const tone = tones[j];
      if (!tone) throw new Error('missing tone');
      worst = Math.max(worst, Math.abs(w.start - tone.start), Math.abs(w.end - tone.end));
    });
    expect(final.start).toBe(final.words?.[0]?.start);
    expect(final.end).toBe(final.words?.[final.words.length - 1]?.end);
    expect(final.confidence).toBe(0.95);
    expect(final.language).toBe('en');
  });
  expect(worst).toBeLessThan(TOLERANCE);
  return worst;
}

const KEYS = '1234 5678 #*0 ABCD 9';

describe('createToneEngine', () => {
  it('hears every key of a fixture as its word, timed within 10 ms', () => {
    const fixture = dtmfSamples(KEYS);
    const events = transcribe(fixture);
    expectHeard(fixture, events);
    expect(finals(events)[2]?.text).toBe('pound star zero');
    expect(finals(events)[3]?.text).toBe('A B C D');
  });

  it.each<[string, DtmfSamplesOptions]>([
    ['0 dBFS', { amplitude: 1 }],
    ['-30 dBFS', { amplitude: 10 ** (-30 / 20) }],
    ['white noise at 20 dB SNR', { snrDb: 20 }],
    ['-30 dBFS in noise at 20 dB SNR', { amplitude: 10 ** (-30 / 20), snrDb: 20, seed: 3 }],
    ['0 dBFS in noise at 20 dB SNR', { amplitude: 1, snrDb: 20, seed: 4 }],
    ['40 ms keys and 40 ms gaps', { toneMs: 40, gapMs: 40 }],
    ['40 ms keys and gaps in noise', { toneMs: 40, gapMs: 40, snrDb: 20, seed: 5 }],
    ['long keys', { toneMs: 900, gapMs: 250 }],
    ['keys off the hop grid', { toneMs: 43.3, gapMs: 47.1, leadMs: 3.7 }],
    ['no lead-in or tail', { leadMs: 0, tailMs: 0 }],
    ['8 kHz', { sampleRate: 8000 }],
    ['44.1 kHz in noise', { sampleRate: 44100, snrDb: 20 }],
    ['48 kHz', { sampleRate: 48000 }],
  ])('is accurate at %s', (_name, options) => {
    const fixture = dtmfSamples(KEYS, options);
    expectHeard(fixture, transcribe(fixture));
  });

  it('hears two identical keys 40 ms apart as two words', () => {
    const fixture = dtmfSamples('11 00 55', { toneMs: 40, gapMs: 40, snrDb: 20 });
    const events = transcribe(fixture);
    expectHeard(fixture, events);
    expect(finals(events).map((f) => f.text)).toEqual(['one one', 'zero zero', 'five five']);
  });

  it('ignores keys shorter than 25 ms', () => {
    const fixture = dtmfSamples('1234', { toneMs: 20, gapMs: 100 });
    expect(transcribe(fixture)).toEqual([]);
  });

  it('ignores silence and noise', () => {
    const fixture = dtmfSamples('', { tailMs: 3000, snrDb: 20, amplitude: 0.5 });
    expect(transcribe(fixture)).toEqual([]);
  });

  it('gives the same events however the audio is split', () => {
    const fixture = dtmfSamples(KEYS, { snrDb: 20, toneMs: 60, gapMs: 45 });
    const whole = transcribe(fixture);
    const random = mulberry32(7);
    for (let trial = 0; trial < 5; trial++) {
      const sizes = Array.from({ length: 2000 }, () => 1 + Math.floor(random() * (trial % 2 ? 50 : 4000)));
      expect(transcribe(fixture, sizes)).toEqual(whole);
    }
    expect(transcribe(fixture, Array.from({ length: fixture.samples.length }, () => 1))).toEqual(whole);
  });

  it('sends speech_started at the first onset, interims at least every 250 ms, then the final', () => {
    const fixture = dtmfSamples('12 3', { toneMs: 400, gapMs: 300 - 100 });
    const events = transcribe(fixture);
    const first = fixture.tones[0];
    expect(events[0]).toMatchObject({ type: 'speech_started', channel: 0 });
    expect(Math.abs((events[0] as { timestamp: number }).timestamp - (first?.start ?? 0))).toBeLessThan(TOLERANCE);
    const firstFinal = events.findIndex((e) => e.type === 'transcript' && e.isFinal);
    const interims = events.slice(0, firstFinal).filter((e): e is EngineTranscript => e.type === 'transcript');
    expect(interims.length).toBeGreaterThanOrEqual(4);
    expect(interims.every((e) => !e.isFinal && e.confidence === null)).toBe(true);
    expect(interims.map((e) => e.text)).toContain('one');
    expect(interims.at(-1)?.text).toBe('one two');
    // Interim ends advance in steps of at most 250 ms while the utterance is open.
    const ends = interims.map((e) => e.end);
    for (let i = 1; i < ends.length; i++) expect(ends[i] as number).toBeGreaterThanOrEqual(ends[i - 1] as number);
    // A second utterance gets its own speech_started.
    expect(events.filter((e) => e.type === 'speech_started')).toHaveLength(2);
  });

  it('emits an interim at least every 250 ms of audio while an utterance is open', () => {
    const fixture = dtmfSamples('5', { toneMs: 2000, tailMs: 600 });
    const engine = createToneEngine({ sampleRate: 16000, channels: 1, language: 'fr', interimResults: true });
    const times: number[] = [];
    let open = false;
    const hop = 80;
    for (let i = 0; i < fixture.samples.length; i += hop) {
      for (const ev of engine.push(fixture.samples.subarray(i, i + hop))) {
        if (ev.type === 'speech_started') open = true;
        if (ev.type === 'transcript' && !ev.isFinal) times.push((i + hop) / 16000);
        if (ev.type === 'transcript' && ev.isFinal) {
          open = false;
          expect(ev.language).toBe('fr');
        }
      }
      if (open && times.length > 0) expect((i + hop) / 16000 - (times.at(-1) as number)).toBeLessThanOrEqual(0.25 + 1e-9);
    }
    expect(times.length).toBeGreaterThanOrEqual(8);
  });

  it('sends no interims when interimResults is false', () => {
    const fixture = dtmfSamples(KEYS);
    const events = transcribe(fixture, undefined, false);
    expect(events.some((e) => e.type === 'transcript' && !e.isFinal)).toBe(false);
    expectHeard(fixture, events);
  });

  it('finalize emits the open utterance now, and the rest comes later', () => {
    const fixture = dtmfSamples('123', { toneMs: 80, gapMs: 80, tailMs: 0 });
    const engine = createToneEngine({ sampleRate: 16000, channels: 1, language: null, interimResults: true });
    // Everything up to 100 ms after the second key, then finalize.
    const cut = Math.round(((fixture.tones[1]?.end ?? 0) + 0.1) * 16000);
    const before = engine.push(fixture.samples.subarray(0, cut));
    expect(before.some((e) => e.type === 'transcript' && e.isFinal)).toBe(false);
    const now = engine.finalize();
    expect(now).toHaveLength(1);
    expect(now[0]).toMatchObject({ type: 'transcript', isFinal: true, text: 'one two' });
    expect(engine.finalize()).toEqual([]);
    const rest = [...engine.push(fixture.samples.subarray(cut)), ...engine.end()];
    const last = rest.filter((e): e is EngineTranscript => e.type === 'transcript' && e.isFinal);
    expect(last.map((e) => e.text)).toEqual(['three']);
    expect(last[0]?.start).toBeGreaterThan((now[0] as EngineTranscript).end);
    expect(rest.filter((e) => e.type === 'speech_started')).toHaveLength(1);
  });

  it('finalize leaves a key that is still sounding for the next final', () => {
    const fixture = dtmfSamples('12', { toneMs: 300, gapMs: 100, tailMs: 400 });
    const engine = createToneEngine({ sampleRate: 16000, channels: 1, language: null, interimResults: false });
    const cut = Math.round(((fixture.tones[1]?.start ?? 0) + 0.15) * 16000);
    engine.push(fixture.samples.subarray(0, cut));
    expect(engine.finalize().map((e) => (e.type === 'transcript' ? e.text : e.type))).toEqual(['one']);
    const rest = [...engine.push(fixture.samples.subarray(cut)), ...engine.end()];
    const words = finals(rest).flatMap((f) => f.words ?? []);
    expect(words.map((w) => w.word)).toEqual(['two']);
    expect(Math.abs((words[0]?.start ?? 0) - (fixture.tones[1]?.start ?? 0))).toBeLessThan(TOLERANCE);
  });

  it('end flushes a key cut off by the end of the audio', () => {
    const fixture = dtmfSamples('78', { tailMs: 0 });
    const events = transcribe(fixture);
    const words = finals(events).flatMap((f) => f.words ?? []);
    expect(words.map((w) => w.word)).toEqual(['seven', 'eight']);
    expect(words[1]?.end).toBeLessThanOrEqual(fixture.duration);
    expect(Math.abs((words[1]?.end ?? 0) - fixture.duration)).toBeLessThan(TOLERANCE);
  });

  it('hears each channel of stereo audio on its own', () => {
    const left = dtmfSamples('12 3');
    const right = dtmfSamples('9#', { leadMs: 350, toneMs: 70 });
    const stereo = { ...left, channels: 2, samples: interleave(left.samples, right.samples) };
    const events = transcribe(stereo);
    expectHeard(left, events, 0);
    expectHeard(right, events, 1);
    expect(events.filter((e) => e.type === 'speech_started').map((e) => e.channel).sort()).toEqual([0, 0, 1]);
  });

  it('rejects audio that is not whole frames, and audio after end', () => {
    const engine = createToneEngine({ sampleRate: 16000, channels: 2, language: null, interimResults: true });
    expect(() => engine.push(new Int16Array(3))).toThrow(RangeError);
    engine.end();
    expect(engine.end()).toEqual([]);
    expect(() => engine.push(new Int16Array(2))).toThrow(/ended/);
  });

  it('runs at least 500 times faster than real time', () => {
    const fixture = dtmfSamples('1234567890*#ABCD '.repeat(12), { snrDb: 20 });
    expect(fixture.duration).toBeGreaterThan(30);
    // CPU time, best of three: other work on the machine must not make this flaky.
    let best = 0;
    for (let run = 0; run < 3; run++) {
      const engine = createToneEngine({ sampleRate: 16000, channels: 1, language: null, interimResults: true });
      const cpu = process.cpuUsage();
      for (let i = 0; i < fixture.samples.length; i += 1600) engine.push(fixture.samples.subarray(i, i + 1600));
      engine.end();
      const used = process.cpuUsage(cpu);
      best = Math.max(best, fixture.duration / ((used.user + used.system) / 1e6));
    }
    expect(best).toBeGreaterThan(500);
  });
});
