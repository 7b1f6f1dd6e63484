import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Message } from '../test/ws-client.ts';
import { startEmulator, type Emulator } from './emulator.ts';
import { dtmfSamples, type DtmfFixture } from './fixtures/dtmf-samples.ts';
import { interleave } from './fixtures/interleave.ts';

const KEY = 'test-key_123';

/** Streams a fixture in `frames`-sized messages, then `end`, and waits for the close. */
async function streamFixture(url: string, fixture: DtmfFixture, frames = 1600, headers: Record<string, string> = {}) {
  const client = connect(url, { headers });
  await client.opened;
  client.sendAudio(fixture.samples, frames, fixture.channels);
  client.sendJson({ type: 'end' });
  const closed = await client.closed;
  return { client, closed, messages: client.messages };
}

function expectWordsMatch(fixture: DtmfFixture, messages: Message[], channel = 0): void {
  const finals = messages.filter((m) => m.type === 'transcript' && m.is_final && m.channel === channel);
  expect(finals.map((f) => f.text)).toEqual(fixture.utterances.map((u) => u.map((t) => t.word).join(' ')));
  const words = finals.flatMap((f) => f.words as { word: string; start: number; end: number }[]);
  expect(words.map((w) => w.word)).toEqual(fixture.tones.map((t) => t.word));
  words.forEach((w, i) => {
    expect(Math.abs(w.start - (fixture.tones[i]?.start ?? NaN))).toBeLessThan(0.01);
    expect(Math.abs(w.end - (fixture.tones[i]?.end ?? NaN))).toBeLessThan(0.01);
  });
}

describe('streaming endpoint without credentials', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ idleTimeoutMs: 250, maxSessionSeconds: undefined });
  });
  afterAll(() => emulator.close());

  it('sends session.started first, with x-request-id on the upgrade', async () => {
    const client = connect(`${emulator.url}?model_id=whisper-1&sample_rate=8000&channels=2&language=de`);
    const headers = await client.upgradeHeaders;
    expect(headers['x-request-id']).toMatch(/^req_/);
    const started = await client.waitFor((m) => m.type === 'session.started');
    expect(client.messages[0]).toBe(started);
    expect(started).toEqual({
      type: 'session.started',
      session_id: expect.stringMatching(/^sess_/),
      model: 'whisper-1',
      sample_rate: 8000,
      channels: 2,
      encoding: 'pcm_s16le',
    });
    client.ws.close();
    await client.closed;
  });

  it('accepts any connection when no keys are configured', async () => {
    const client = connect(`${emulator.url}?model_id=m`, { headers: { Authorization: 'Bearer anything' } });
    await client.waitFor((m) => m.type === 'session.started');
    client.ws.close();
  });

  it('transcribes a DTMF fixture: words exact, times within 10 ms, interims first, then session.ended and 1000', async () => {
    const fixture = dtmfSamples('1234 5678 #*0');
    const { messages, closed } = await streamFixture(`${emulator.url}?model_id=tone`, fixture);
    expect(closed.code).toBe(1000);
    expect(messages[0]?.type).toBe('session.started');
    expectWordsMatch(fixture, messages);
    const types = messages.map((m) => (m.type === 'transcript' ? (m.is_final ? 'final' : 'interim') : m.type));
    expect(types.at(-1)).toBe('session.ended');
    expect(messages.at(-1)?.duration).toBeCloseTo(fixture.duration, 10);
    // Every final is preceded by interims and a speech_started of its utterance.
    let sinceFinal: string[] = [];
    for (const t of types.slice(1, -1)) {
      if (t === 'final') {
        expect(sinceFinal[0]).toBe('speech_started');
        expect(sinceFinal).toContain('interim');
        sinceFinal = [];
      } else sinceFinal.push(t);
    }
    const final = messages.find((m) => m.type === 'transcript' && m.is_final);
    expect(final).toMatchObject({ confidence: 0.95, language: 'en', channel: 0, text: 'one two three four' });
  });

  it('gives the same transcript whatever the message sizes', async () => {
    const fixture = dtmfSamples('19 C#', { snrDb: 20, toneMs: 50, gapMs: 50 });
    const strip = (ms: Message[]) => ms.filter((m) => m.type !== 'session.started');
    const a = await streamFixture(`${emulator.url}?model_id=m`, fixture, 16000);
    const b = await streamFixture(`${emulator.url}?model_id=m`, fixture, 333);
    const c = await streamFixture(`${emulator.url}?model_id=m`, fixture, 17);
    expect(strip(b.messages)).toEqual(strip(a.messages));
    expect(strip(c.messages)).toEqual(strip(a.messages));
  });

  it('hears stereo per channel, at other sample rates, and honours interim_results=false and language', async () => {
    const left = dtmfSamples('12', { sampleRate: 8000 });
    const right = dtmfSamples('3', { sampleRate: 8000, leadMs: 300 });
    const stereo = { ...left, channels: 2, samples: interleave(left.samples, right.samples) };
    const { messages } = await streamFixture(`${emulator.url}?model_id=m&sample_rate=8000&channels=2&interim_results=false&language=es`, stereo, 800);
    expectWordsMatch(left, messages, 0);
    expectWordsMatch(right, messages, 1);
    expect(messages.some((m) => m.type === 'transcript' && !m.is_final)).toBe(false);
    expect(messages.filter((m) => m.type === 'transcript').every((m) => m.language === 'es')).toBe(true);
  });

  it('finalize emits the open utterance at once', async () => {
    const fixture = dtmfSamples('42', { tailMs: 100 });
    const client = connect(`${emulator.url}?model_id=m`);
    await client.opened;
    client.sendAudio(fixture.samples, 1600);
    client.sendJson({ type: 'finalize' });
    const final = await client.waitFor((m) => m.type === 'transcript' && m.is_final);
    expect(final.text).toBe('four two');
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
    expect(client.messages.filter((m) => m.type === 'transcript' && m.is_final)).toHaveLength(1);
  });

  it('ignores unknown message types and keepalive', async () => {
    const client = connect(`${emulator.url}?model_id=m`);
    await client.opened;
    client.sendJson({ type: 'something.new', extra: 1 });
    client.sendJson({ type: 'keepalive' });
    client.sendAudio(new Int16Array(1600), 1600);
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
    expect(client.messages.map((m) => m.type)).toEqual(['session.started', 'session.ended']);
    expect(client.messages[1]?.duration).toBe(0.1);
  });

  it('closes with idle_timeout and 4008 when no message comes', async () => {
    const client = connect(`${emulator.url}?model_id=m`);
    await client.opened;
    const opened = performance.now();
    const closed = await client.closed;
    expect(closed.code).toBe(4008);
    expect(closed.at - opened).toBeGreaterThanOrEqual(200);
    expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'idle_timeout' } });
  });

  it('keepalive keeps an idle session open', async () => {
    const client = connect(`${emulator.url}?model_id=m`);
    await client.opened;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      client.sendJson({ type: 'keepalive' });
    }
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
  });

  it.each([
    ['model_id is missing', 'sample_rate=16000', 'model_id'],
    ['model_id is empty', 'model_id=', 'model_id'],
    ['encoding is not pcm_s16le', 'model_id=m&encoding=opus', 'encoding'],
    ['sample_rate is too low', 'model_id=m&sample_rate=7999', 'sample_rate'],
    ['sample_rate is too high', 'model_id=m&sample_rate=48001', 'sample_rate'],
    ['sample_rate is not an integer', 'model_id=m&sample_rate=16000.5', 'sample_rate'],
    ['sample_rate is not a number', 'model_id=m&sample_rate=fast', 'sample_rate'],
    ['channels is 3', 'model_id=m&channels=3', 'channels'],
    ['interim_results is yes', 'model_id=m&interim_results=yes', 'interim_results'],
    ['fault is not JSON', 'model_id=m&fault=%7Bnope', 'fault'],
  ])('refuses a session where %s: invalid_input naming the param, close 4000', async (_name, query, param) => {
    const client = connect(`${emulator.url}?${query}`);
    const closed = await client.closed;
    expect(closed.code).toBe(4000);
    expect(client.messages).toEqual([{ type: 'error', error: { code: 'invalid_input', message: expect.any(String), param } }]);
  });

  it.each([
    ['an empty message', 1, new Uint8Array(0)],
    ['an odd number of bytes', 1, new Uint8Array(3)],
    ['half a stereo frame', 2, new Uint8Array(6)],
    ['more than one second', 1, new Uint8Array(16001 * 2)],
    ['more than one second of stereo', 2, new Uint8Array(16001 * 4)],
  ])('closes with invalid_input and 4000 on %s of audio', async (_name, channels, payload) => {
    const client = connect(`${emulator.url}?model_id=m&channels=${channels}`);
    await client.opened;
    client.ws.send(payload);
    const closed = await client.closed;
    expect(closed.code).toBe(4000);
    expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'invalid_input' } });
  });

  it('accepts exactly one second of audio in a message', async () => {
    const client = connect(`${emulator.url}?model_id=m&channels=2&sample_rate=48000`);
    await client.opened;
    client.ws.send(new Uint8Array(48000 * 4));
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
    expect(client.messages.at(-1)).toEqual({ type: 'session.ended', duration: 1 });
  });

  it.each([
    ['not JSON', 'hello'],
    ['a JSON array', '[1]'],
    ['an object without type', '{"kind":"end"}'],
  ])('closes with invalid_input and 4000 on a text message that is %s', async (_name, text) => {
    const client = connect(`${emulator.url}?model_id=m`);
    await client.opened;
    client.ws.send(text);
    expect((await client.closed).code).toBe(4000);
    expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'invalid_input' } });
  });

  it('answers other paths and plain GETs with the error envelope and x-request-id', async () => {
    const wrong = connect(emulator.url.replace('/v1/stt/stream', '/v1/other'));
    const refusal = await wrong.refused;
    expect(refusal.status).toBe(404);
    expect(refusal.headers['x-request-id']).toMatch(/^req_/);
    expect(JSON.parse(refusal.body)).toMatchObject({ error: { code: 'not_found' } });
    const res = await fetch(`${emulator.httpUrl}/v1/stt/stream`);
    expect(res.status).toBe(426);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_input' } });
  });

  it('counts connections and the audio bytes of each', async () => {
    const before = emulator.stats.connections;
    const client = connect(`${emulator.url}?model_id=m`);
    await client.opened;
    client.sendAudio(new Int16Array(4000), 1000);
    client.sendJson({ type: 'end' });
    await client.closed;
    expect(emulator.stats.connections).toBe(before + 1);
    const record = emulator.stats.perConnection[before];
    expect(record).toMatchObject({ index: before, audioBytes: 8000, audioSeconds: 0.25, messagesIn: 5, audioMessages: 4, maxAudioMessageBytes: 2000, closeCode: 1000, faults: [] });
  });
});

describe('streaming endpoint with API keys', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: ['other', KEY] });
  });
  afterAll(() => emulator.close());

  it('accepts the key in an Authorization header', async () => {
    const client = connect(`${emulator.url}?model_id=m`, { headers: { Authorization: `Bearer ${KEY}` } });
    await client.waitFor((m) => m.type === 'session.started');
    client.ws.close();
  });

  it('accepts the key as subprotocols and selects bearer', async () => {
    const client = connect(`${emulator.url}?model_id=m`, { protocols: ['bearer', KEY] });
    await client.waitFor((m) => m.type === 'session.started');
    expect(client.ws.protocol).toBe('bearer');
    client.ws.close();
  });

  it.each([
    ['no credential', {}, undefined],
    ['a wrong key in the header', { Authorization: 'Bearer nope' }, undefined],
    ['a malformed header', { Authorization: KEY }, undefined],
    ['a wrong key as subprotocol', {}, ['bearer', 'nope']],
  ])('closes with unauthenticated and 4001 on %s', async (_name, headers: Record<string, string>, protocols: string[] | undefined) => {
    const client = connect(`${emulator.url}?model_id=m`, { headers, ...(protocols ? { protocols } : {}) });
    const closed = await client.closed;
    expect(closed.code).toBe(4001);
    expect(client.messages).toEqual([{ type: 'error', error: { code: 'unauthenticated', message: expect.any(String) } }]);
    expect(JSON.stringify(client.messages)).not.toContain('nope');
  });

  it('checks credentials before parameters', async () => {
    const client = connect(`${emulator.url}?sample_rate=1`);
    expect((await client.closed).code).toBe(4001);
  });
});

describe('maxSessionSeconds', () => {
  it('closes with session_limit and 4010 once the audio reaches it', async () => {
    const emulator = await startEmulator({ maxSessionSeconds: 0.5 });
    try {
      const client = connect(`${emulator.url}?model_id=m`);
      await client.opened;
      client.sendAudio(new Int16Array(16000), 1600);
      const closed = await client.closed;
      expect(closed.code).toBe(4010);
      expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'session_limit' } });
      expect(emulator.stats.perConnection[0]?.audioSeconds).toBe(0.5);
    } finally {
      await emulator.close();
    }
  });
});

describe('close()', () => {
  it('terminates open connections, frees the port and leaves no handles', async () => {
    const count = (): Record<string, number> => {
      const counts: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
      return counts;
    };
    const before = count();
    const emulator = await startEmulator({ idleTimeoutMs: 60_000, faults: { stall: { afterMs: 10_000, forMs: 10_000 }, delayMs: 5 } });
    const clients = [connect(`${emulator.url}?model_id=m`), connect(`${emulator.url}?model_id=m`)];
    await Promise.all(clients.map((c) => c.waitFor((m) => m.type === 'session.started')));
    clients[0]?.sendAudio(dtmfSamples('1').samples, 1600);
    await emulator.close();
    const codes = await Promise.all(clients.map((c) => c.closed));
    expect(codes.map((c) => c.code)).toEqual([1006, 1006]);
    expect(emulator.stats.active).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    const after = count();
    for (const kind of ['Timeout', 'TCPServerWrap', 'TCPSocketWrap']) expect(after[kind] ?? 0).toBeLessThanOrEqual(before[kind] ?? 0);
    // The port is free again.
    const again = await startEmulator({ port: emulator.port });
    await again.close();
  });
});
