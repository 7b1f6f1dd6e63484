// The whole browser path against the emulator (started in Node by the global
// setup): real Chromium, real microphone capture (a DTMF WAV as the fake
// device), real WebSocket with the subprotocol credential.
import type { PCMFrame, TranscriptEvent, TranscriptSegmentEvent } from '@stt-stream/core';
import { describe, expect, inject, test } from 'vitest';
import { blobSource, createTranscriber, microphone, type AudioCapture } from './index.ts';

const url = inject('emulatorUrl');
const token = inject('testToken');

function bytes(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const wordsOf = (events: TranscriptEvent[]) =>
  events.flatMap((e) => (e.type === 'final' ? e.text.split(/\s+/).filter(Boolean) : []));

/** Reads a stream to its end, calling `each` on every chunk (a reader loop: Safari has no async iteration of streams). */
async function collect<T>(stream: ReadableStream<T>, each: (chunk: T, all: T[]) => void = () => {}): Promise<T[]> {
  const out: T[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(value);
    each(value, out);
  }
}

/**
 * Pipes the microphone through `transcriber` and stops the microphone (a
 * graceful end: the last finals still come) once `words` final words have
 * arrived, or after `maxMs`.
 */
async function transcribeMicrophone(mic: AudioCapture, transcriber: TransformStream<PCMFrame, TranscriptEvent>, words: number, maxMs = 10_000) {
  const timer = setTimeout(() => mic.stop(), maxMs);
  try {
    return await collect(mic.pipeThrough(transcriber), (_, events) => {
      if (wordsOf(events).length >= words) mic.stop();
    });
  } finally {
    clearTimeout(timer);
  }
}

describe('createTranscriber (browser)', () => {
  test('microphone → createTranscriber → emulator gives exactly the words of the WAV, in order', async () => {
    const mic = microphone();
    const transcriber = createTranscriber({ url, model: 'test', token });
    const opened: string[] = [];
    transcriber.events.on('open', (info) => opened.push(info.sessionId));
    const events = await transcribeMicrophone(mic, transcriber, inject('micWords').length);
    expect(wordsOf(events)).toEqual(inject('micWords'));
    expect(opened).toHaveLength(1);
    // Finals are in order and do not overlap.
    const finals = events.filter((e): e is TranscriptSegmentEvent => e.type === 'final');
    for (let i = 1; i < finals.length; i++) expect(finals[i]!.start).toBeGreaterThanOrEqual(finals[i - 1]!.end);
    // The device is released once the stream has ended.
    expect(mic.mediaStream!.getAudioTracks()[0]!.readyState).toBe('ended');
    await expect.poll(() => mic.audioContext!.state).toBe('closed');
  });

  test('a dropped connection mid-utterance is replayed: the transcript stays whole', async () => {
    // The emulator destroys the first connection (no close frame: 1006) after
    // 1.1 s of 16 kHz mono audio, in the middle of the keys.
    const fault = { key: `browser-drop-${Date.now()}`, times: 1, drop: { afterBytes: 16_000 * 2 * 1.1 } };
    const faultyUrl = `${url}?fault=${encodeURIComponent(JSON.stringify(fault))}`;
    let tokenCalls = 0;
    const transcriber = createTranscriber({
      url: faultyUrl,
      model: 'test',
      token: async () => {
        tokenCalls++;
        return token;
      },
      reconnect: { minDelayMs: 50, maxDelayMs: 200 },
    });
    const seen: string[] = [];
    transcriber.events.on('reconnecting', () => seen.push('reconnecting'));
    transcriber.events.on('reconnected', () => seen.push('reconnected'));
    const mic = microphone();
    const events = await transcribeMicrophone(mic, transcriber, inject('micWords').length);
    expect(seen).toEqual(['reconnecting', 'reconnected']);
    // On failure, the finals as delivered and the capture's own drops tell a repeated final (ours)
    // from a key heard twice (the fake capture losing 20–30 ms inside a tone).
    const finals = events.filter((e) => e.type === 'final').map((e) => (e as TranscriptSegmentEvent).text);
    expect(wordsOf(events), JSON.stringify({ finals, droppedMs: mic.droppedMs })).toEqual(inject('micWords'));
    expect(events.filter((e) => e.type === 'gap')).toEqual([]);
    // A fresh token for each connection.
    expect(tokenCalls).toBe(2);
  });

  test('blobSource of a WAV and of an Ogg/Opus give the same transcript', async (ctx) => {
    const wav = await collect(
      blobSource(new Blob([bytes(inject('blobWavBase64'))], { type: 'audio/wav' })).pipeThrough(createTranscriber({ url, model: 'test', token })),
    );
    expect(wordsOf(wav)).toEqual(inject('blobWords'));
    const ogg = inject('blobOggBase64');
    expect(ogg?.length ?? 0, 'ffmpeg with libopus makes the Ogg fixture (global setup)').toBeGreaterThan(1000);
    const fromOgg = await collect(
      blobSource(new Blob([bytes(ogg)], { type: 'audio/ogg' })).pipeThrough(createTranscriber({ url, model: 'test', token })),
    );
    expect(wordsOf(fromOgg)).toEqual(inject('blobWords'));
  });

  test('createTranscriber refuses apiKey in a browser without dangerouslyAllowBrowser', () => {
    expect(() => createTranscriber({ url, model: 'test', apiKey: token })).toThrow(TypeError);
    expect(() => createTranscriber({ url, model: 'test', apiKey: token })).toThrow(/dangerouslyAllowBrowser/);
  });

  test('createTranscriber with dangerouslyAllowBrowser sends the apiKey as the subprotocol credential', async () => {
    // The emulator accepts only `token`: a transcript proves the key reached it.
    const events = await collect(
      blobSource(new Blob([bytes(inject('blobWavBase64'))])).pipeThrough(
        createTranscriber({ url, model: 'test', apiKey: token, dangerouslyAllowBrowser: true }),
      ),
    );
    expect(wordsOf(events)).toEqual(inject('blobWords'));
  });

  test('createTranscriber refuses ws:// to a host other than loopback unless allowInsecure', () => {
    expect(() => createTranscriber({ url: 'ws://gateway.example/v1/stt/stream', model: 'test', token })).toThrow(/`url`/);
    expect(() => createTranscriber({ url: 'ws://gateway.example/v1/stt/stream', model: 'test', token, allowInsecure: true })).not.toThrow();
  });
});
