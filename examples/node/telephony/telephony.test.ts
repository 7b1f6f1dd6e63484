// The telephony example end to end: simulated Twilio Media Streams calls
// (real `ws` clients, paced at real time, µ-law and A-law DTMF audio that sox
// writes) against the example's server, whose transcribers talk to the
// emulator (real sockets on 127.0.0.1). Nothing is mocked.
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dtmfWord, startEmulator, type DtmfKey, type Emulator } from '@stt-stream/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { printError, startTelephonyServer } from './server.mjs';
import { dtmfG711, simulateCall } from './simulate-call.mjs';

const KEYS = '0123456789*#ABCD';
const CALL_MS = 2600;
const CALLS = 50;

type Final = { callSid: string; streamSid: string; track: string; channel: number; text: string; start: number; end: number };
type CallError = { connectionId: string; callSid: string | null; streamSid: string | null; error: Error & { code?: string; param?: string }; closeCode: number };
type Server = Awaited<ReturnType<typeof startTelephonyServer>>;
type CallEnd = { connectionId: string; callSid: string | null; closeCode: number; stats: { sentSeconds: number; skippedSeconds: number } | null };

const words = (keys: string) => keys.split(' ').map((u) => [...u].map((k) => dtmfWord(k as DtmfKey)).join(' '));

/** Pads G.711 bytes with silence to `ms`. */
function padTo(bytes: Uint8Array, ms: number, silence: number): Uint8Array {
  const out = new Uint8Array(ms * 8).fill(silence);
  out.set(bytes.subarray(0, out.length));
  return out;
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A media-stream client that sends exactly `messages` (strings as they are), then waits for the server's close. */
function rawCall(url: string, messages: (string | object)[]): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', reject);
    ws.on('open', () => {
      for (const m of messages) ws.send(typeof m === 'string' ? m : JSON.stringify(m));
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

function startMessage(callSid: string, tracks = ['inbound', 'outbound']) {
  return { event: 'start', sequenceNumber: '1', streamSid: `MZ${callSid}`, start: { accountSid: 'AC1', callSid, streamSid: `MZ${callSid}`, tracks, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } } };
}

function mediaMessage(callSid: string, payload: string, track = 'inbound', n = 1) {
  return JSON.stringify({ event: 'media', streamSid: `MZ${callSid}`, media: { track, chunk: String(n), timestamp: String((n - 1) * 20), payload } });
}

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ idleTimeoutMs: 10_000 });
});
afterAll(() => emulator.close());

/** Starts the example's server against the emulator, recording finals, errors and call ends. */
async function startServer(options: Record<string, unknown> = {}) {
  const finals: Final[] = [];
  const errors: CallError[] = [];
  const ended: CallEnd[] = [];
  const server: Server = await startTelephonyServer({
    port: 0,
    transcriberOptions: { url: emulator.url, model: 'dtmf' },
    onFinal: (f: Final) => finals.push(f),
    onError: (e: CallError) => {
      errors.push(e);
      printError(e);
    },
    onCallEnd: (e: CallEnd) => ended.push(e),
    ...options,
  });
  return { server, finals, errors, ended };
}

describe('telephony example: 50 concurrent calls', () => {
  it('transcribes every call, each final attributed to its call and track (caller channel 0, agent channel 1)', async () => {
    const { server, finals, errors, ended } = await startServer();
    const accepted0 = emulator.stats.accepted;
    const plans = Array.from({ length: CALLS }, (_, i) => {
      const k = (n: number) => KEYS[(i + n) % KEYS.length];
      const alaw = i % 10 === 7;
      const encoding = alaw ? 'a-law' : 'u-law';
      const silence = alaw ? 0xd5 : 0xff;
      const caller = `${k(0)}${k(3)} ${k(7)}`;
      const agent = `${k(11)} ${k(5)}${k(13)}`;
      const mono = i % 10 === 9;
      return {
        callSid: `CA${String(i).padStart(4, '0')}`,
        caller,
        agent: mono ? null : agent,
        encoding: (alaw ? 'audio/x-alaw' : 'audio/x-mulaw') as 'audio/x-alaw' | 'audio/x-mulaw',
        audio: {
          inbound: padTo(dtmfG711(caller, { leadMs: 200, encoding }), CALL_MS, silence),
          ...(mono ? {} : { outbound: padTo(dtmfG711(agent, { leadMs: 500, encoding }), CALL_MS, silence) }),
        },
        // Some agents' tracks send nothing for the first 400 ms: their packets start late, timestamps say so.
        sendFromMs: i % 10 === 4 ? { outbound: 400 } : {},
        // Twilio's other events (mark, dtmf) are no error.
        inject: i % 10 === 2 ? [{ afterPackets: 30, message: JSON.stringify({ event: 'mark', streamSid: 'x', mark: { name: 'greeting' } }) }, { afterPackets: 31, message: JSON.stringify({ event: 'dtmf', streamSid: 'x', dtmf: { track: 'inbound_track', digit: '1' } }) }] : [],
      };
    });

    const t0 = performance.now();
    const results = await Promise.all(
      plans.map(async (p, i) => {
        await new Promise((r) => setTimeout(r, i * 10)); // calls begin over half a second
        return simulateCall({ url: server.url, callSid: p.callSid, audio: p.audio, encoding: p.encoding, sendFromMs: p.sendFromMs, inject: p.inject });
      }),
    );
    const wall = performance.now() - t0;
    // Paced at real time: 2.6 s of audio per call took at least that long.
    expect(wall).toBeGreaterThan(CALL_MS);
    expect(results.map((r) => r.code)).toEqual(plans.map(() => 1000));
    expect(errors).toEqual([]);

    for (const p of plans) {
      const mine = finals.filter((f) => f.callSid === p.callSid);
      expect(mine.every((f) => f.streamSid === `MZ${p.callSid}`)).toBe(true);
      const inbound = mine.filter((f) => f.track === 'inbound');
      const outbound = mine.filter((f) => f.track === 'outbound');
      expect({ call: p.callSid, inbound: inbound.map((f) => f.text), outbound: outbound.map((f) => f.text) }).toEqual({
        call: p.callSid,
        inbound: words(p.caller),
        outbound: p.agent ? words(p.agent) : [],
      });
      expect(inbound.every((f) => f.channel === 0)).toBe(true);
      expect(outbound.every((f) => f.channel === 1)).toBe(true);
      // On the call's clock: the caller's utterances at 0.2 s and 1.2 s, the agent's at 0.5 s and 1.3 s.
      inbound.forEach((f, u) => expect(Math.abs(f.start - [0.2, 1.2][u]!)).toBeLessThan(0.02));
      outbound.forEach((f, u) => expect(Math.abs(f.start - [0.5, 1.3][u]!)).toBeLessThan(0.02));
    }

    // One session per call (both tracks in it), every one ended cleanly; nothing left open.
    await until(() => ended.length === CALLS, 'every call to end');
    expect(server.activeCalls).toBe(0);
    expect(emulator.stats.accepted - accepted0).toBe(CALLS);
    const sessions = emulator.stats.perConnection.slice(-CALLS);
    expect(sessions.map((s) => s.closeCode)).toEqual(plans.map(() => 1000));
    expect(sessions.every((s) => Math.abs(s.audioSeconds - CALL_MS / 1000) < 0.001)).toBe(true);
    await until(() => emulator.stats.active === 0, 'the emulator sessions to close');
    await server.close();
  }, 30_000);
});

/** `keys` (no spaces: one utterance) as G.711 at `atMs` into `ms` of silence. */
function utterancesAt(ms: number, parts: [atMs: number, keys: string][], encoding: 'u-law' | 'a-law' = 'u-law'): Uint8Array {
  const out = new Uint8Array(ms * 8).fill(encoding === 'u-law' ? 0xff : 0xd5);
  for (const [atMs, keys] of parts) out.set(dtmfG711(keys, { leadMs: 0, tailMs: 0, encoding }), atMs * 8);
  return out;
}

describe('telephony example: only speech sent (voiceActivity)', () => {
  it('the same finals, on the same tracks at the same times, as with everything sent; one mono session per track, far less audio reaches the gateway', async () => {
    // Each server has an emulator of its own, so that what each gateway heard is counted apart.
    const quiet = await startEmulator({ idleTimeoutMs: 10_000 });
    const CALL = 6000;
    const plans = Array.from({ length: 8 }, (_, i) => {
      const k = (n: number) => KEYS[(i + n) % KEYS.length]!;
      const alaw = i % 4 === 3;
      const encoding = alaw ? 'a-law' : 'u-law';
      const mono = i === 5;
      // Turns, as on a call: the caller, the agent, the caller again; between them both are silent.
      return {
        callSid: `CAvad${i}`,
        encoding: (alaw ? 'audio/x-alaw' : 'audio/x-mulaw') as 'audio/x-alaw' | 'audio/x-mulaw',
        audio: {
          inbound: utterancesAt(CALL, [[300, `${k(0)}${k(1)}`], [4000, k(2)]], encoding),
          ...(mono ? {} : { outbound: utterancesAt(CALL, [[1800, `${k(3)}${k(4)}`]], encoding) }),
        },
      };
    });
    const everything = await startServer();
    // With voiceActivity, a session per track by default (each party's silence skipped, bench/RESULTS.md row 7b).
    const speechOnly = await startServer({ transcriberOptions: { url: quiet.url, model: 'dtmf', voiceActivity: true } });
    try {
      const calls = (server: Server) =>
        Promise.all(plans.map((p) => simulateCall({ url: server.url, callSid: p.callSid, audio: p.audio, encoding: p.encoding, realtime: false })));
      const accepted0 = emulator.stats.accepted;
      const [a, b] = await Promise.all([calls(everything.server), calls(speechOnly.server)]);
      expect([...a, ...b].map((r) => r.code)).toEqual([...plans, ...plans].map(() => 1000));
      await until(() => everything.ended.length === plans.length && speechOnly.ended.length === plans.length, 'every call to end');
      expect([...everything.errors, ...speechOnly.errors]).toEqual([]);

      // The transcript: every call's finals, track by track, equal (times within 1 ms).
      const finalsOf = (finals: Final[], callSid: string) =>
        finals.filter((f) => f.callSid === callSid).sort((x, y) => x.channel - y.channel || x.start - y.start);
      for (const p of plans) {
        const all = finalsOf(everything.finals, p.callSid);
        const only = finalsOf(speechOnly.finals, p.callSid);
        expect(all.length).toBe(p.audio.outbound ? 3 : 2);
        expect(only.map((f) => [f.track, f.channel, f.text])).toEqual(all.map((f) => [f.track, f.channel, f.text]));
        only.forEach((f, i) => {
          expect(Math.abs(f.start - all[i]!.start)).toBeLessThan(0.001);
          expect(Math.abs(f.end - all[i]!.end)).toBeLessThan(0.001);
        });
      }

      // What the gateways heard: the whole call in one session without it; with it, one session per track
      // holding that party's turns with their pre-roll and hangover, under a third of the track. The
      // transcribers' figures (added up per call) say the same.
      const heard = (e: Emulator, from: number) => e.stats.perConnection.slice(from).map((c) => c.audioSeconds);
      expect(heard(emulator, accepted0)).toEqual(plans.map(() => CALL / 1000));
      const heardQuiet = heard(quiet, 0);
      const tracks = plans.reduce((n, p) => n + (p.audio.outbound ? 2 : 1), 0);
      expect(heardQuiet).toHaveLength(tracks);
      for (const seconds of heardQuiet) expect(seconds).toBeLessThan(CALL / 1000 / 3);
      for (const [i, p] of plans.entries()) {
        const e = speechOnly.ended.find((x) => x.callSid === p.callSid)!;
        const trackSeconds = (p.audio.outbound ? 2 : 1) * (CALL / 1000);
        expect(e.stats!.sentSeconds, `call ${i}`).toBeLessThan(trackSeconds / 3);
        expect(e.stats!.sentSeconds + e.stats!.skippedSeconds).toBeCloseTo(trackSeconds, 1);
      }
      for (const e of everything.ended) expect(e.stats!.skippedSeconds).toBe(0);
      expect(quiet.stats.perConnection.reduce((s, c) => s + c.audioSeconds, 0)).toBeCloseTo(
        speechOnly.ended.reduce((s, e) => s + e.stats!.sentSeconds, 0),
        2,
      );
    } finally {
      await everything.server.close();
      await speechOnly.server.close();
      await quiet.close();
    }
  }, 30_000);
});

describe('telephony example: a two-party call with only speech sent, one session or one per track', () => {
  it("one stereo session sends a party's silence while the other speaks; one session per track does not, with the same finals", async () => {
    const perTrackGateway = await startEmulator({ idleTimeoutMs: 10_000 });
    const stereoGateway = await startEmulator({ idleTimeoutMs: 10_000 });
    const CALL = 8000;
    // Alternating turns, as on a call: while one party speaks the other is silent.
    const audio = {
      inbound: utterancesAt(CALL, [[300, '12'], [3300, '3'], [6300, '45']]),
      outbound: utterancesAt(CALL, [[1800, '67'], [4800, '8']]),
    };
    const perTrack = await startServer({ transcriberOptions: { url: perTrackGateway.url, model: 'dtmf', voiceActivity: true } });
    const stereo = await startServer({ transcriberOptions: { url: stereoGateway.url, model: 'dtmf', voiceActivity: true }, sessionPerTrack: false });
    try {
      const [a, b] = await Promise.all([
        simulateCall({ url: perTrack.server.url, callSid: 'CAper', audio, realtime: false }),
        simulateCall({ url: stereo.server.url, callSid: 'CAone', audio, realtime: false }),
      ]);
      expect([a.code, b.code]).toEqual([1000, 1000]);
      await until(() => perTrack.ended.length === 1 && stereo.ended.length === 1, 'both calls to end');
      expect([...perTrack.errors, ...stereo.errors]).toEqual([]);
      const lines = (x: { finals: Final[] }) => x.finals.map((f) => `${f.track} ${f.channel} ${f.start.toFixed(3)}–${f.end.toFixed(3)} ${f.text}`).sort();
      expect(lines(perTrack)).toEqual(lines(stereo));
      expect(lines(perTrack)).toHaveLength(5);
      // Two gateway sessions against one. The turns do not overlap, so the stereo session sends every turn
      // of either party on both channels, and the two per-track sessions between them send each turn once:
      // half the samples (the stereo session's seconds count both channels), and under half the call.
      expect(perTrackGateway.stats.perConnection).toHaveLength(2);
      expect(stereoGateway.stats.perConnection).toHaveLength(1);
      const perTrackSamples = perTrackGateway.stats.perConnection.reduce((s, c) => s + c.audioSeconds, 0);
      const stereoSamples = 2 * stereoGateway.stats.perConnection[0]!.audioSeconds;
      expect(perTrackSamples).toBeCloseTo(0.5 * stereoSamples, 1);
      expect(perTrackSamples).toBeLessThan(0.5 * 2 * (CALL / 1000));
    } finally {
      await perTrack.server.close();
      await stereo.server.close();
      await perTrackGateway.close();
      await stereoGateway.close();
    }
  }, 30_000);
});

describe('telephony example: its options', () => {
  it('an unknown or mistyped option is a TypeError naming it, and no server starts', async () => {
    await expect(startTelephonyServer({ port: 0, sessionsPerTrack: true } as never)).rejects.toThrow(
      /^Unknown option `sessionsPerTrack` for startTelephonyServer\(\); it takes `port`, .*`sessionPerTrack`$/,
    );
    await expect(startTelephonyServer({ port: 0, sessionPerTrack: 'false' } as never)).rejects.toThrow('Invalid option `sessionPerTrack`: expected a boolean, got string');
  });

  it('voiceActivity that sends everything (sendOnlySpeech: false) keeps one stereo session per call', async () => {
    const gateway = await startEmulator({ idleTimeoutMs: 10_000 });
    const events = await startServer({ transcriberOptions: { url: gateway.url, model: 'dtmf', voiceActivity: { sendOnlySpeech: false } } });
    try {
      const audio = { inbound: utterancesAt(2000, [[300, '12']]), outbound: utterancesAt(2000, [[1200, '3']]) };
      expect(await simulateCall({ url: events.server.url, callSid: 'CAall', audio, realtime: false })).toMatchObject({ code: 1000 });
      await until(() => events.ended.length === 1, 'the call to end');
      expect(events.errors).toEqual([]);
      expect(gateway.stats.perConnection.map((c) => c.audioSeconds)).toEqual([2]);
      expect(events.finals.map((f) => `${f.track} ${f.text}`)).toEqual(['inbound one two', 'outbound three']);
    } finally {
      await events.server.close();
      await gateway.close();
    }
  });
});

describe('telephony example: bad input fails that call only', () => {
  const spy = vi.spyOn(console, 'error');
  afterEach(() => spy.mockClear());
  afterAll(() => spy.mockRestore());

  it('a bad payload, a wrong length, an unknown event, media before start, not JSON, an unknown track, no start: each closes its own call with 4000', async () => {
    const { server, finals, errors, ended } = await startServer({ startTimeoutMs: 1000 });
    const audio = { inbound: padTo(dtmfG711('12 3', { leadMs: 200 }), CALL_MS, 0xff), outbound: padTo(dtmfG711('4 56', { leadMs: 500 }), CALL_MS, 0xff) };
    const bad = (callSid: string, message: string) => simulateCall({ url: server.url, callSid, audio, inject: [{ afterPackets: 25, message }] });
    const good = ['CAgood1', 'CAgood2', 'CAgood3'].map((callSid) => simulateCall({ url: server.url, callSid, audio }));
    const failing = {
      CAbase64: bad('CAbase64', mediaMessage('CAbase64', '!!not base64!!', 'inbound', 26)),
      CAlength: bad('CAlength', mediaMessage('CAlength', Buffer.alloc(100, 0xff).toString('base64'), 'outbound', 26)),
      CAevent: bad('CAevent', JSON.stringify({ event: 'hangup', streamSid: 'MZCAevent' })),
      CAjson: bad('CAjson', '{"event": "media", '),
      early: rawCall(server.url, [{ event: 'connected', protocol: 'Call', version: '1.0.0' }, mediaMessage('CAearly', Buffer.alloc(160, 0xff).toString('base64'))]),
      CAtrack: rawCall(server.url, [startMessage('CAtrack', ['inbound']), mediaMessage('CAtrack', Buffer.alloc(160, 0xff).toString('base64'), 'outbound')]),
      silent: rawCall(server.url, [{ event: 'connected', protocol: 'Call', version: '1.0.0' }]),
    };
    const closes = Object.fromEntries(await Promise.all(Object.entries(failing).map(async ([k, p]) => [k, await p])));

    // The failing calls closed, with the code and the field, long before the good ones end.
    expect(closes).toEqual({
      CAbase64: { code: 4000, reason: 'invalid_input: media.payload', sentPackets: expect.any(Number) },
      CAlength: { code: 4000, reason: 'invalid_input: media.payload', sentPackets: expect.any(Number) },
      CAevent: { code: 4000, reason: 'invalid_input: event', sentPackets: expect.any(Number) },
      CAjson: { code: 4000, reason: 'invalid_input: message', sentPackets: expect.any(Number) },
      early: { code: 4000, reason: 'invalid_input: event' },
      CAtrack: { code: 4000, reason: 'invalid_input: media.track' },
      silent: { code: 4000, reason: 'invalid_input: event' },
    });
    for (const k of ['CAbase64', 'CAlength', 'CAevent', 'CAjson']) expect(closes[k].sentPackets).toBeLessThan(100); // of 130: closed at the 26th

    const byCall = Object.fromEntries(errors.map((e) => [e.callSid ?? e.connectionId, e]));
    const summary = (e: CallError | undefined) => e && { code: e.error.code, param: e.error.param, message: e.error.message, closeCode: e.closeCode };
    expect(summary(byCall.CAbase64)).toEqual({ code: 'invalid_input', param: 'media.payload', message: '`media.payload` is not base64', closeCode: 4000 });
    expect(summary(byCall.CAlength)).toEqual({ code: 'invalid_input', param: 'media.payload', message: '`media.payload` holds 100 bytes; a 20 ms packet is 160', closeCode: 4000 });
    expect(summary(byCall.CAevent)).toEqual({ code: 'invalid_input', param: 'event', message: 'Unknown event "hangup": expected connected, start, media, stop (or mark, dtmf)', closeCode: 4000 });
    expect(summary(byCall.CAjson)).toEqual({ code: 'invalid_input', param: 'message', message: 'A media stream message is not valid JSON', closeCode: 4000 });
    expect(summary(byCall.CAtrack)).toEqual({ code: 'invalid_input', param: 'media.track', message: '`media.track` "outbound" is not one of this stream\'s tracks (inbound)', closeCode: 4000 });
    const beforeStart = errors.filter((e) => e.callSid === null).map((e) => e.error.message).sort();
    expect(beforeStart).toEqual(['A `media` message before `start`', 'No `start` within 1 s of connecting']);
    expect(errors).toHaveLength(7);
    // The log line names the call and the problem.
    const lines = spy.mock.calls.map((c) => String(c[0]));
    expect(lines).toContain('[CAbase64] call failed: `media.payload` is not base64 [media.payload] (invalid_input); media stream closed with 4000');
    expect(lines.some((l) => /^\[conn-\d+ \(before start\)\] call failed: A `media` message before `start` \[event\] \(invalid_input\); media stream closed with 4000$/.test(l))).toBe(true);

    // Nothing of theirs left running: their transcribers' sessions are closed while the good calls still stream.
    await until(() => ended.length === 7, 'the failed calls to end');
    expect(server.activeCalls).toBe(3);
    await until(() => emulator.stats.active === 3, 'the failed calls\' sessions to close', 3000);
    expect(ended.filter((e) => e.closeCode === 4000)).toHaveLength(7);

    // The other calls are unaffected.
    expect((await Promise.all(good)).map((r) => r.code)).toEqual([1000, 1000, 1000]);
    for (const callSid of ['CAgood1', 'CAgood2', 'CAgood3']) {
      const mine = finals.filter((f) => f.callSid === callSid);
      expect(mine.filter((f) => f.track === 'inbound').map((f) => f.text)).toEqual(['one two', 'three']);
      expect(mine.filter((f) => f.track === 'outbound').map((f) => f.text)).toEqual(['four', 'five six']);
    }
    await until(() => ended.length === 10 && emulator.stats.active === 0, 'every call to end');
    expect(server.activeCalls).toBe(0);
    await server.close();
  }, 20_000);

  it('a start with an unsupported format fails the call; a transcriber the gateway refuses fails it with 1011', async () => {
    const { server, errors } = await startServer();
    const start = startMessage('CAformat');
    start.start.mediaFormat.encoding = 'audio/l16';
    expect(await rawCall(server.url, [start])).toEqual({ code: 4000, reason: 'invalid_input: start.mediaFormat.encoding' });
    expect(errors.map((e) => [e.callSid, e.error.message])).toEqual([['CAformat', 'Unsupported `start.mediaFormat.encoding` "audio/l16": audio/x-mulaw and audio/x-alaw are supported']]);
    await server.close();

    // An emulator that wants a key the transcriber does not have.
    const keyed = await startEmulator({ apiKeys: ['right-key'] });
    const refused = await startServer({ transcriberOptions: { url: keyed.url, model: 'dtmf', apiKey: 'wrong-key' } });
    const audio = { inbound: padTo(dtmfG711('1'), 600, 0xff) };
    const closed = await simulateCall({ url: refused.server.url, callSid: 'CAauth', audio });
    expect(closed).toMatchObject({ code: 1011, reason: 'unauthenticated' });
    expect(refused.errors.map((e) => [e.callSid, e.error.code, e.closeCode])).toEqual([['CAauth', 'unauthenticated', 1011]]);
    expect(JSON.stringify(spy.mock.calls)).not.toContain('wrong-key');
    await until(() => refused.ended.length === 1, 'the call to end');
    await refused.server.close();
    await keyed.close();
  });

  it('a call that hangs up without stop still gets the finals of what it sent', async () => {
    const { server, finals, errors, ended } = await startServer();
    const audio = { inbound: padTo(dtmfG711('78', { leadMs: 200 }), 1000, 0xff), outbound: padTo(dtmfG711('9', { leadMs: 300 }), 1000, 0xff) };
    expect(await simulateCall({ url: server.url, callSid: 'CAhangup', audio, end: 'hangup' })).toMatchObject({ code: 1000, reason: 'hung up' });
    await until(() => ended.length === 1, 'the call to end');
    expect(finals.map((f) => [f.track, f.text]).sort()).toEqual([['inbound', 'seven eight'], ['outbound', 'nine']]);
    expect(errors).toEqual([]);
    expect(server.activeCalls).toBe(0);
    await until(() => emulator.stats.active === 0, 'the session to close', 3000);
    await server.close();
  });

  it('close() ends every open call: sockets closed with 1001, transcribers cancelled', async () => {
    const { server, ended } = await startServer();
    const audio = { inbound: padTo(dtmfG711('1'), 5000, 0xff), outbound: padTo(dtmfG711('2'), 5000, 0xff) };
    const calls = ['CAx1', 'CAx2'].map((callSid) => simulateCall({ url: server.url, callSid, audio }));
    await until(() => server.activeCalls === 2 && emulator.stats.active === 2, 'the calls to stream');
    await server.close();
    expect((await Promise.all(calls)).map((r) => r.code)).toEqual([1001, 1001]);
    expect(ended.map((e) => e.closeCode)).toEqual([1001, 1001]);
    await until(() => emulator.stats.active === 0, 'the sessions to close', 3000);
  });
});

describe('telephony example: its scripts on the command line', () => {
  const here = fileURLToPath(new URL('.', import.meta.url));
  /** Runs `node <script> …args` with only PATH set, to its end. */
  const run = (script: string, args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      execFile(process.execPath, [join(here, script), ...args], { env: { PATH: process.env.PATH }, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );

  it('--help prints the usage (default port 8088, not the emulator’s 8080) and exits 0', async () => {
    const server = await run('server.mjs', ['--help']);
    expect(server.code).toBe(0);
    expect(server.stdout).toMatch(/^Usage: node server\.mjs \[--port <n>\] \[--host <address>\] \[--vad\]\n/);
    expect(server.stdout).toContain('(default 8088, or $PORT)');
    expect(server.stdout).toContain('  --vad             send only speech (voice activity detection here)');
    const call = await run('simulate-call.mjs', ['-h']);
    expect(call.code).toBe(0);
    expect(call.stdout).toMatch(/^Usage: node simulate-call\.mjs \[<url>\] \[--caller <keys>\] \[--agent <keys>\]\n/);
    expect(call.stdout).toContain('(default ws://127.0.0.1:8088)');
  });

  it('server.mjs --vad: the finals of a call as without it, and at its end how much was sent and how much silence not', async () => {
    const child = spawn(process.execPath, [join(here, 'server.mjs'), '--vad', '--port', '0'], { env: { PATH: process.env.PATH, STT_STREAM_URL: emulator.url }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => /Media streams: ws:\/\/\S+/.test(stdout), 'the server to listen');
      const url = /Media streams: (ws:\/\/\S+)/.exec(stdout)![1]!;
      // The lines may come in separate chunks of the pipe.
      await until(() => stdout.includes('(--vad)'), 'the --vad line');
      expect(stdout).toContain('Sending only speech (--vad): the silence of each call stays here\n');
      // 5 s: the caller at 0.3 s, the agent at 3 s; silence around them.
      const audio = { inbound: utterancesAt(5000, [[300, '12']]), outbound: utterancesAt(5000, [[3000, '3']]) };
      expect(await simulateCall({ url, callSid: 'CAcli', audio, realtime: false })).toMatchObject({ code: 1000 });
      await until(() => stdout.includes('[CAcli] call ended:'), 'the call to end');
      const lines = stdout.split('\n').filter((l) => l.startsWith('[CAcli'));
      expect(lines.slice(0, 2)).toEqual([expect.stringMatching(/^\[CAcli inbound\] 0\.30–0\.60 one two$/), expect.stringMatching(/^\[CAcli outbound\] 3\.00–3\.10 three$/)]);
      const end = /^\[CAcli\] call ended: (\d+\.\d\d) s of audio sent, (\d+\.\d\d) s of silence not sent$/.exec(lines[2]!);
      expect(end, lines[2]).not.toBeNull();
      // One session per track: 5 s each, of which each party's own speech (with pre-roll and hangover) is sent.
      expect(Number(end![1])).toBeLessThan(2.5);
      expect(Number(end![1]) + Number(end![2])).toBeCloseTo(10, 1);
      // What the emulator heard of that call (its two sessions) is what the line says was sent.
      expect(emulator.stats.perConnection.slice(-2).reduce((s, c) => s + c.audioSeconds, 0).toFixed(2)).toBe(end![1]);
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it('bad arguments: one line naming the problem and where the usage is, exit 2, no stack trace', async () => {
    for (const [script, args, message] of [
      ['server.mjs', ['--prot', '1'], 'server.mjs: unknown option --prot'],
      ['server.mjs', ['--port', 'abc'], 'server.mjs: --port must be an integer from 0 to 65535, got "abc"'],
      ['simulate-call.mjs', ['--help-me'], 'simulate-call.mjs: unknown option --help-me'],
      ['simulate-call.mjs', ['http://127.0.0.1:8088'], 'simulate-call.mjs: "http://127.0.0.1:8088" is not a ws:// or wss:// URL (the server prints its URL when it starts)'],
      ['simulate-call.mjs', ['--caller', 'xyz'], 'simulate-call.mjs: --caller takes DTMF keys (0-9 * # A-D, spaces between utterances), got "xyz"'],
    ] as const) {
      const r = await run(script, [...args]);
      expect(r).toEqual({ code: 2, stdout: '', stderr: `${message}\n(run node ${script} --help for usage)\n` });
    }
  });

  it('a busy port (the default one here): what to do instead, exit 1; a call to no server: is server.mjs running?', async () => {
    // Hold 8088 (or find it held already): either way the server cannot have it.
    const holder = createServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(8088, '127.0.0.1', () => resolve());
    });
    try {
      const r = await run('server.mjs', []);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr: 'server.mjs: port 8088 on 127.0.0.1 is in use (another server, or an emulator?): pass --port <n>, or --port 0 for any free port\n',
      });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const { port } = free.address() as { port: number };
    await new Promise<void>((resolve) => free.close(() => resolve()));
    const call = await run('simulate-call.mjs', [`ws://127.0.0.1:${port}`, '--caller', '1']);
    expect(call.code).toBe(1);
    expect(call.stderr).toBe(`simulate-call.mjs: cannot call ws://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (is server.mjs running? start it with node server.mjs)\n`);
  });
});
