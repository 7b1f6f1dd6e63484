import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Message } from '../test/ws-client.ts';
import { startEmulator, type Emulator } from './emulator.ts';
import { dtmfSamples } from './fixtures/dtmf-samples.ts';
import { interleave } from './fixtures/interleave.ts';

// A two-party call as telephony delivers it: 8 kHz, 20 ms messages, caller
// on the left, agent on the right, keys on both sides at the same time. The
// emulator must hear each channel as if it were alone on the connection.

const FRAMES_20MS = 160;

/** Streams interleaved samples in 20 ms messages, then `end`; resolves with every message once closed. */
async function stream(emulator: Emulator, samples: Int16Array, channels: number): Promise<Message[]> {
  const client = connect(`${emulator.url}?model_id=tone&sample_rate=8000&channels=${channels}`);
  await client.opened;
  client.sendAudio(samples, FRAMES_20MS, channels);
  client.sendJson({ type: 'end' });
  expect((await client.closed).code).toBe(1000);
  return client.messages;
}

/** One channel of interleaved samples. */
function channelOf(samples: Int16Array, channel: number, channels: number): Int16Array {
  return Int16Array.from({ length: samples.length / channels }, (_, i) => samples[i * channels + channel]!);
}

/** The transcripts and onsets of `channel`, without the channel field (which is what differs). */
function heardOn(messages: Message[], channel: number): Message[] {
  return messages
    .filter((m) => (m.type === 'transcript' || m.type === 'speech_started') && m.channel === channel)
    .map(({ channel: _, ...rest }) => rest as Message);
}

const finalTexts = (messages: Message[], channel: number) =>
  messages.filter((m) => m.type === 'transcript' && m.is_final && m.channel === channel).map((m) => m.text as string);

describe('emulator: each channel of a stereo stream is heard on its own', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ idleTimeoutMs: 2000 });
  });
  afterAll(() => emulator.close());

  it('finals per channel carry that channel\'s keys, and each channel hears exactly what it would hear alone', async () => {
    // Left: two utterances; right: keys that sound while the left's do, and an utterance of its own later.
    const left = dtmfSamples('147 25', { sampleRate: 8000 });
    const right = dtmfSamples('9# 0', { sampleRate: 8000, leadMs: 250, toneMs: 80, gapMs: 120, breakMs: 900 });
    const stereo = interleave(left.samples, right.samples);
    const both = await stream(emulator, stereo, 2);

    expect(finalTexts(both, 0)).toEqual(['one four seven', 'two five']);
    expect(finalTexts(both, 1)).toEqual(['nine pound', 'zero']);
    expect(both.filter((m) => m.type === 'transcript').every((m) => m.channel === 0 || m.channel === 1)).toBe(true);
    // Word times per channel are that channel's tones.
    for (const [fixture, channel] of [[left, 0], [right, 1]] as const) {
      const words = both.filter((m) => m.type === 'transcript' && m.is_final && m.channel === channel).flatMap((m) => m.words);
      expect(words.map((w: { word: string }) => w.word)).toEqual(fixture.tones.map((t) => t.word));
      words.forEach((w: { start: number; end: number }, i: number) => {
        expect(Math.abs(w.start - fixture.tones[i]!.start)).toBeLessThan(0.01);
        expect(Math.abs(w.end - fixture.tones[i]!.end)).toBeLessThan(0.01);
      });
    }

    // The same audio, one channel per connection: interims, onsets and finals identical.
    const alone = await Promise.all([0, 1].map((c) => stream(emulator, channelOf(stereo, c, 2), 1)));
    expect(heardOn(both, 0)).toEqual(heardOn(alone[0]!, 0));
    expect(heardOn(both, 1)).toEqual(heardOn(alone[1]!, 0));
    expect(heardOn(both, 1).some((m) => m.type === 'transcript' && !m.is_final)).toBe(true);
  });

  it('the same key on both channels at different times is two finals, one per channel, each at its own time', async () => {
    const left = dtmfSamples('5', { sampleRate: 8000, leadMs: 200 });
    const right = dtmfSamples('5', { sampleRate: 8000, leadMs: 900 });
    const both = await stream(emulator, interleave(left.samples, right.samples), 2);
    const finals = both.filter((m) => m.type === 'transcript' && m.is_final);
    expect(finals.map((m) => [m.channel, m.text])).toEqual([[0, 'five'], [1, 'five']]);
    expect(finals[0]!.start).toBeCloseTo(left.tones[0]!.start, 2);
    expect(finals[1]!.start).toBeCloseTo(right.tones[0]!.start, 2);
  });

  it('a silent channel gives no events, whatever the other channel says', async () => {
    const left = dtmfSamples('3 6', { sampleRate: 8000 });
    const both = await stream(emulator, interleave(left.samples, new Int16Array(left.samples.length)), 2);
    expect(finalTexts(both, 0)).toEqual(['three', 'six']);
    expect(heardOn(both, 1)).toEqual([]);
  });
});
