// Voice activity at the client in a page: the microphone (Chromium's fake
// device playing the DTMF fixture: silence, four keys, silence) through the
// browser createTranscriber with `voiceActivity: true`, against the emulator
// the global setup started. Real capture, real detector (loaded on demand as
// the page would load it), real WebSocket.
import type { PCMFrame, TranscriptEvent, TranscriptSegmentEvent } from '@stt-stream/core';
import { describe, expect, inject, test } from 'vitest';
import { createTranscriber, microphone } from './index.ts';

const url = inject('emulatorUrl');
const token = inject('testToken');

type Speech = Extract<TranscriptEvent, { type: 'speech_started' | 'speech_ended' }>;

describe('voiceActivity in the browser', () => {
  test('microphone → createTranscriber({ voiceActivity: true }): the words, a speech_started and a speech_ended around them, and less audio sent than captured', async () => {
    const mic = microphone();
    const transcriber = createTranscriber({ url, model: 'test', token, voiceActivity: true });
    const events: TranscriptEvent[] = [];
    const words = () => events.flatMap((e) => (e.type === 'final' ? e.text.split(/\s+/).filter(Boolean) : []));
    // What the microphone captured, in seconds of audio, counted on the way into the transcriber. The microphone is
    // stopped (gracefully: the last finals still come) once the words are in, the client heard the speech end, and
    // 0.6 s of audio past that end was captured: silence that is not sent. Measured in audio, not wall time; if the
    // speech never ends, 10 s of audio (the file is 2.7 s, then the fake device gives silence) stop it all the same.
    let captured = 0;
    const counted = mic.pipeThrough(
      new TransformStream<PCMFrame, PCMFrame>({
        transform(frame, controller) {
          captured += frame.data.length / frame.channels / frame.sampleRate;
          controller.enqueue(frame);
          const ended = events.find((e): e is Speech => e.type === 'speech_ended');
          if ((ended && words().length >= inject('micWords').length && captured > ended.timestamp + 0.6) || captured > 10) mic.stop();
        },
      }),
    );
    const reader = counted.pipeThrough(transcriber).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) events.push(r.value);

    expect(words(), JSON.stringify({ events, captured, stats: transcriber.stats })).toEqual(inject('micWords'));
    expect(events.filter((e) => e.type === 'gap')).toEqual([]);
    // The client's detector: one utterance (the keys are 80 ms apart, well within the 400 ms hangover), on channel 0.
    // (The emulator sends a `speech_started` of its own, `source: 'server'`.)
    const speech = events.filter((e): e is Speech => (e.type === 'speech_started' || e.type === 'speech_ended') && e.source === 'client');
    expect(speech.map((e) => [e.type, e.source, e.channel])).toEqual([
      ['speech_started', 'client', 0],
      ['speech_ended', 'client', 0],
    ]);
    const finals = events.filter((e): e is TranscriptSegmentEvent => e.type === 'final' && e.text.trim() !== '');
    // The start comes in the stream before the finals; the two frame the words: the start within the pre-roll
    // (200 ms) and a detector chunk before the first, the end within the hangover (400 ms) and a chunk after the last.
    expect(events.indexOf(speech[0]!)).toBeLessThan(events.indexOf(finals[0]!));
    expect(speech[0]!.timestamp).toBeLessThanOrEqual(finals[0]!.start);
    expect(speech[0]!.timestamp).toBeGreaterThan(finals[0]!.start - 0.35);
    expect(speech[1]!.timestamp).toBeGreaterThanOrEqual(finals.at(-1)!.end);
    expect(speech[1]!.timestamp).toBeLessThan(finals.at(-1)!.end + 0.6);

    // Less sent than captured: the silence before the pre-roll and after the hangover stayed here.
    const { sentSeconds, skippedSeconds, reconnects } = transcriber.stats;
    expect(reconnects).toBe(0); // sentSeconds counts replays too: there were none
    expect(sentSeconds + skippedSeconds).toBeCloseTo(captured, 1);
    expect(skippedSeconds).toBeGreaterThan(0.5);
    expect(sentSeconds).toBeLessThan(captured - 0.5);
    // What was sent holds the speech: from its start to its end, pre-roll and hangover included.
    expect(sentSeconds).toBeGreaterThanOrEqual(speech[1]!.timestamp - speech[0]!.timestamp - 0.01);
    await expect.poll(() => mic.audioContext!.state).toBe('closed');
  });

  test('a bad voiceActivity option is a TypeError or RangeError naming it, from the browser createTranscriber', () => {
    const make = (voiceActivity: unknown) => () => createTranscriber({ url, model: 'test', token, voiceActivity: voiceActivity as boolean });
    expect(make('on')).toThrow(new TypeError('Invalid option `voiceActivity`: expected true, false or an object, got string'));
    expect(make({ hangoverMs: -1 })).toThrow(new RangeError('Invalid option `voiceActivity.hangoverMs`: must be from 0 to 5000, got -1'));
    expect(make({ finalizeOnSpeechend: true })).toThrow(
      new TypeError('Unknown option `voiceActivity.finalizeOnSpeechend` for createTranscriber(); did you mean `voiceActivity.finalizeOnSpeechEnd`?'),
    );
  });
});
