// createTranscriber end to end against the emulator on 127.0.0.1.
import { dtmfSamples, startEmulator, type Emulator } from '@stt-stream/emulator';
import { SttError, createTranscriber, int16ToFloat, type TranscriptEvent } from '@stt-stream/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer } from './fixtures/scripted-server.ts';
import { collect, finalsOf, framesOf, prng, sleep, wordsOf } from './helpers.ts';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ apiKeys: ['good-key'] });
});
afterAll(async () => {
  await emulator.close();
});

const apiKey = 'good-key';

/**
 * 16 kHz mono written faster than real time goes in catch-up messages of whole 100 ms frames, at most two
 * (250 ms at most): no message over 6400 bytes, no more messages than one per frame, no fewer than one per two.
 */
function expectCatchUpMessages(record: { audioMessages: number; maxAudioMessageBytes: number }, samples: number) {
  expect(record.maxAudioMessageBytes).toBeLessThanOrEqual(6400);
  expect(record.audioMessages).toBeGreaterThanOrEqual(Math.ceil(samples / 3200));
  expect(record.audioMessages).toBeLessThanOrEqual(Math.ceil(samples / 1600));
}

function expectWordsMatchTones(events: TranscriptEvent[], tones: { word: string; start: number; end: number }[], toleranceS = 0.02) {
  const words = wordsOf(events);
  expect(words.map((w) => w.word)).toEqual(tones.map((t) => t.word));
  words.forEach((w, i) => {
    expect(Math.abs(w.start - tones[i]!.start)).toBeLessThan(toleranceS);
    expect(Math.abs(w.end - tones[i]!.end)).toBeLessThan(toleranceS);
  });
}

describe('createTranscriber against the emulator', () => {
  it('createTranscriber - a DTMF recording in odd-sized frames yields exactly its words, timed within 20 ms', async () => {
    const fx = dtmfSamples('1234 5678 #*0');
    const rand = prng(7);
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    const opened: string[] = [];
    t.events.on('open', ({ sessionId }) => opened.push(sessionId));
    const events = await collect(framesOf(fx.samples, 16000, 1, () => 1 + rand() * 3000).pipeThrough(t));
    expectWordsMatchTones(events, fx.tones);
    expect(finalsOf(events).map((f) => f.text)).toEqual(['one two three four', 'five six seven eight', 'pound star zero']);
    expect(opened).toHaveLength(1);
    // Every final was announced by an interim of the same utterance before it.
    for (const final of finalsOf(events)) {
      const at = events.indexOf(final);
      const interim = events.slice(0, at).find((e) => e.type === 'interim' && Math.abs(e.start - final.start) < 0.02);
      expect(interim, `an interim before "${final.text}"`).toBeDefined();
    }
    expect(t.stats.state).toBe('closed');
  });

  it('createTranscriber - 48 kHz stereo float input is down-mixed and resampled, with the same words and times', async () => {
    const fx = dtmfSamples('159 #', { sampleRate: 48000, channels: 2 });
    const float = int16ToFloat(fx.samples);
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    const events = await collect(framesOf(float, 48000, 2, () => 480).pipeThrough(t));
    expectWordsMatchTones(events, fx.tones);
  });

  it('createTranscriber - 16 kHz mono Int16 input reaches the server byte for byte, in messages of at most two 100 ms frames', async () => {
    const fx = dtmfSamples('12');
    const before = emulator.stats.perConnection.length;
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    await collect(framesOf(fx.samples, 16000, 1, () => 777).pipeThrough(t));
    const record = emulator.stats.perConnection[before]!;
    expect(record.audioBytes).toBe(fx.samples.byteLength);
    expectCatchUpMessages(record, fx.samples.length);
    expect(record.maxAudioMessageBytes).toBe(6400);
    expect(record.messagesIn).toBe(record.audioMessages + 1); // then `end`
  });

  it('createTranscriber - audio written at real time goes one 100 ms frame a message', async () => {
    const fx = dtmfSamples('1');
    const before = emulator.stats.perConnection.length;
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    // A live source: one 100 ms frame every 100 ms.
    const live = framesOf(fx.samples, 16000, 1, () => 1600).pipeThrough(
      new TransformStream({
        async transform(frame, controller) {
          await new Promise((r) => setTimeout(r, 100));
          controller.enqueue(frame);
        },
      }),
    );
    const events = await collect(live.pipeThrough(t));
    expectWordsMatchTones(events, fx.tones);
    const record = emulator.stats.perConnection[before]!;
    expect(record.audioBytes).toBe(fx.samples.byteLength);
    expect(record.maxAudioMessageBytes).toBe(3200);
    expect(record.audioMessages).toBe(Math.ceil(fx.samples.length / 1600));
  });

  it('createTranscriber - a stream many times the replay ring (which wraps as finals confirm audio) keeps its bytes, words and whole 100 ms frames per message', async () => {
    // About 12 s of utterances: the ring starts at ~3.4 s of audio and only
    // grows while no final confirms it, so it wraps several times here.
    const fx = dtmfSamples('1234 5678 9012 3456 7890 1234 5678 9012 #*0# *0#*');
    expect(fx.samples.length).toBeGreaterThan(3 * 55_168);
    const before = emulator.stats.perConnection.length;
    const rand = prng(11);
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    // Written at about 8× real time once connected, so that finals keep up
    // and the unconfirmed audio (what the ring must hold) stays short.
    const open = new Promise((resolve) => t.events.once('open', resolve));
    let written = 0;
    let maxRetained = 0;
    const paced = framesOf(fx.samples, 16000, 1, () => 1 + rand() * 2000).pipeThrough(
      new TransformStream({
        async transform(frame, controller) {
          if (written > 0) await open;
          controller.enqueue(frame);
          written += frame.data.length;
          maxRetained = Math.max(maxRetained, t.stats.retainedBytes);
          await sleep(frame.data.length / 16000 / 8 * 1000);
        },
      }),
    );
    const events = await collect(paced.pipeThrough(t));
    expectWordsMatchTones(events, fx.tones);
    const record = emulator.stats.perConnection[before]!;
    expect(record.audioBytes).toBe(fx.samples.byteLength);
    expectCatchUpMessages(record, fx.samples.length);
    expect(maxRetained).toBeLessThan(3 * 32000); // the ring (~3.4 s) never had to grow
  });

  it('finalize() mid-utterance gives a final for what was heard so far', async () => {
    const fx = dtmfSamples('1234');
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    const writer = t.writable.getWriter();
    const reader = t.readable.getReader();
    // Write up to just after the second tone, then finalize.
    const cut = Math.round((fx.tones[1]!.end + 0.05) * 16000);
    await writer.write({ data: fx.samples.slice(0, cut), sampleRate: 16000, channels: 1 });
    t.finalize();
    let final: TranscriptEvent | undefined;
    while (!final) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value.type === 'final') final = value;
    }
    expect(final).toMatchObject({ type: 'final', text: 'one two' });
    await writer.write({ data: fx.samples.slice(cut), sampleRate: 16000, channels: 1 });
    await writer.close();
    const rest: TranscriptEvent[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest.push(value);
    }
    expect(finalsOf(rest).map((f) => f.text)).toEqual(['three four']);
  });

  it('a bad key fails with SttError unauthenticated after one attempt', async () => {
    const before = emulator.stats.connections;
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey: 'wrong-key', reconnect: { retries: 5, minDelayMs: 10 } });
    const fx = dtmfSamples('1');
    const err = await collect(framesOf(fx.samples, 16000, 1).pipeThrough(t)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect((err as SttError).code).toBe('unauthenticated');
    expect((err as SttError).closeCode).toBe(4001);
    expect((err as SttError).message).not.toContain('wrong-key');
    expect(emulator.stats.connections - before).toBe(1);
  });

  it('a parameter the server refuses fails with SttError invalid_input naming it', async () => {
    const t = createTranscriber({ model: 'dtmf', url: `${emulator.url}?fault=${encodeURIComponent('{not json')}`, apiKey });
    const err = await collect(framesOf(dtmfSamples('1').samples, 16000, 1).pipeThrough(t)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'invalid_input', param: 'fault', closeCode: 4000 });
  });

  it('while the server reads slowly, the socket queue stays under the high-water mark and the writer waits', async () => {
    // 60 s of audio sent as fast as possible at 48 kHz stereo on the wire; the server stops reading for 1.5 s.
    const seconds = 60;
    const samples = new Int16Array(48000 * 2 * seconds);
    for (let i = 0; i < samples.length; i++) samples[i] = (i * 7919) % 2000;
    const hwm = 64 * 1024;
    const url = `${emulator.url}?fault=${encodeURIComponent(JSON.stringify({ stall: { forMs: 1500, afterBytes: 200_000 } }))}`;
    const t = createTranscriber({ model: 'dtmf', url, apiKey, sampleRate: 48000, channels: 2, highWaterMarkBytes: hwm });
    let maxQueued = 0;
    let written = 0;
    const doneAt: number[] = [];
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, t.stats.socketBufferedBytes)), 2);
    const reading = collect(t.readable);
    const writer = t.writable.getWriter();
    const started = Date.now();
    for (let pos = 0; pos < samples.length; pos += 9600) {
      await writer.write({ data: samples.subarray(pos, pos + 9600), sampleRate: 48000, channels: 2 });
      written += 9600 * 2;
      doneAt.push(Date.now());
    }
    await writer.close();
    await reading;
    clearInterval(sampler);
    // The socket queue grew (the stall was felt) but never past the mark plus one message.
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThanOrEqual(hwm + 9600 * 2);
    // All of it arrived, in order and once.
    const record = emulator.stats.perConnection.at(-1)!;
    expect(record.audioBytes).toBe(written);
    expect(record.faults).toContain('stall');
    // The writer was held while the server did not read: one write waited most of the stall.
    const longestWait = Math.max(...doneAt.map((t, i) => t - (doneAt[i - 1] ?? started)));
    expect(longestWait).toBeGreaterThan(1000);
  });

  it('a malformed server message is an error event and the session goes on', async () => {
    let malformedSent = false;
    const server = await startScriptedServer({
      onAudio: (conn) => {
        if (conn.audioBytes > 0 && !malformedSent) {
          malformedSent = true;
          conn.send('this is not json');
          conn.send(JSON.stringify({ type: 'transcript', is_final: true, text: 42 }));
          conn.send(new Uint8Array([1, 2, 3]));
          conn.send(JSON.stringify({ type: 'transcript', is_final: true, text: 'still here', start: 0, end: 0.1, channel: 0 }));
        }
      },
    });
    try {
      const t = createTranscriber({ model: 'x', url: server.url });
      const errors: SttError[] = [];
      t.events.on('error', (e) => errors.push(e));
      const events = await collect(framesOf(new Int16Array(16000), 16000, 1).pipeThrough(t));
      expect(errors.map((e) => e.code)).toEqual(['protocol_error', 'protocol_error', 'protocol_error']);
      expect(finalsOf(events).map((f) => f.text)).toEqual(['still here']);
      expect(server.connections).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('bad input ends the stream with a TypeError naming the field, and closes the socket', async () => {
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    const activeBefore = emulator.stats.active;
    const writer = t.writable.getWriter();
    const reading = collect(t.readable).catch((e: unknown) => e);
    await writer.write({ data: new Int16Array(1600), sampleRate: 16000, channels: 1 });
    const writeErr = await writer
      .write({ data: new Float64Array(10) as unknown as Float32Array, sampleRate: 16000, channels: 1 })
      .catch((e: unknown) => e);
    expect(writeErr).toBeInstanceOf(TypeError);
    expect((writeErr as Error).message).toMatch(/data/);
    expect(await reading).toBe(writeErr);
    for (let i = 0; i < 50 && emulator.stats.active > activeBefore; i++) await sleep(20);
    expect(emulator.stats.active).toBe(activeBefore);
  });

  it('options are checked up front', () => {
    expect(() => createTranscriber({ model: '' })).toThrow(/`model`/);
    expect(() => createTranscriber({ model: 'm', sampleRate: 7000 })).toThrow(RangeError);
    expect(() => createTranscriber({ model: 'm', channels: 3 as 1 })).toThrow(/`channels`/);
    expect(() => createTranscriber({ model: 'm', token: 'a b' })).toThrow(/`token`/);
    expect(() => createTranscriber({ model: 'm', url: 'wss://x/?api_key=k' })).toThrow(/credentials/);
  });

  it('aborting the signal ends both sides with SttError aborted and leaves no connection', async () => {
    const ac = new AbortController();
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey, signal: ac.signal });
    const writer = t.writable.getWriter();
    const reading = collect(t.readable).catch((e: unknown) => e);
    await writer.write({ data: new Int16Array(1600), sampleRate: 16000, channels: 1 });
    await sleep(50);
    ac.abort();
    const err = await reading;
    expect(err).toBeInstanceOf(SttError);
    expect((err as SttError).code).toBe('aborted');
    await expect(writer.write({ data: new Int16Array(16), sampleRate: 16000, channels: 1 })).rejects.toMatchObject({ code: 'aborted' });
    for (let i = 0; i < 50 && emulator.stats.active > 0; i++) await sleep(20);
    expect(emulator.stats.active).toBe(0);
  });

  it('cancelling the transcript stream closes the socket', async () => {
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey });
    const writer = t.writable.getWriter();
    await writer.write({ data: new Int16Array(1600), sampleRate: 16000, channels: 1 });
    await sleep(50);
    await t.readable.cancel('user is done');
    await expect(writer.write({ data: new Int16Array(16), sampleRate: 16000, channels: 1 })).rejects.toMatchObject({ code: 'aborted' });
    for (let i = 0; i < 50 && emulator.stats.active > 0; i++) await sleep(20);
    expect(emulator.stats.active).toBe(0);
  });

  it('a quiet writer is kept alive past the server idle timeout', async () => {
    const quick = await startEmulator({ idleTimeoutMs: 600 });
    try {
      const t = createTranscriber({ model: 'dtmf', url: quick.url, keepAliveMs: 200 });
      const writer = t.writable.getWriter();
      const reading = collect(t.readable);
      const fx = dtmfSamples('12');
      await writer.write({ data: fx.samples.subarray(0, 8000), sampleRate: 16000, channels: 1 });
      await sleep(1500);
      await writer.write({ data: fx.samples.subarray(8000), sampleRate: 16000, channels: 1 });
      await writer.close();
      const events = await reading;
      expect(finalsOf(events).map((f) => f.text)).toEqual(['one two']);
      expect(quick.stats.connections).toBe(1);
    } finally {
      await quick.close();
    }
  });

  it('a server that sends no finals cannot stop a long stream: after windowWaitMs the oldest sent audio is let go', async () => {
    const silent = await startEmulator({ engine: 'silent' });
    try {
      const t = createTranscriber({ model: 'dtmf', url: silent.url, replayWindowSeconds: 1, windowWaitMs: 300 });
      let maxRetained = 0;
      const sampler = setInterval(() => (maxRetained = Math.max(maxRetained, t.stats.retainedBytes)), 5);
      const started = Date.now();
      const events = await collect(framesOf(new Int16Array(16000 * 6), 16000, 1).pipeThrough(t));
      clearInterval(sampler);
      expect(events).toEqual([]);
      expect(silent.stats.perConnection[0]!.audioBytes).toBe(16000 * 6 * 2);
      // It waited once for a final (300 ms), then flowed; the retained audio stayed within the window.
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(maxRetained).toBeLessThanOrEqual(32000 + 3200);
    } finally {
      await silent.close();
    }
  });
});
