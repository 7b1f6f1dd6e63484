// Each close code and refusal status of docs/protocol.md's table, plus a 1000
// before `session.ended` (after audio, and before any), against the emulator:
// the number of attempts, the delays between them (the
// `reconnecting` events' delayMs, and the time from each to the next upgrade
// the emulator saw), and the outcome: the whole transcript, or the SttError.
//
// Each case has an emulator of its own, whose `faults` function records when
// each upgrade came and gives the plan: on the first connection only
// ("once": the stream must come through whole) or on every one ("always":
// the retry budget must end it).
import { dtmfSamples, startEmulator, type Emulator, type FaultPlan } from '@stt-stream/emulator';
import { createTranscriber, SttError, type TranscriberOptions, type TranscriptEvent } from '@stt-stream/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesOf, sleep } from './helpers.ts';
import { handles, leftRunning } from './hostile-servers.ts';

const reconnect = { retries: 3, minDelayMs: 50, maxDelayMs: 200 };
// Two utterances, about 2.5 s of 16 kHz mono audio.
const fx = dtmfSamples('1234 5678');

let baseline: string[] = [];
beforeAll(async () => {
  await sleep(20);
  baseline = handles();
});
afterAll(async () => {
  // Every emulator closed, and the transcribers kept no socket or timer.
  expect(await leftRunning(baseline)).toEqual([]);
});

interface Run {
  events: TranscriptEvent[];
  error: unknown;
  emulator: Emulator;
  /** When each upgrade reached the emulator. */
  upgrades: number[];
  reconnecting: { attempt: number; delayMs: number; cause: SttError; at: number }[];
}

/** Streams the fixture through an emulator that applies `plan` to the first connection (`once`) or to all. */
async function run(
  plan: FaultPlan | null,
  mode: 'once' | 'always',
  { apiKeys, audio = fx, options = {} }: { apiKeys?: string[] | undefined; audio?: typeof fx; options?: Partial<TranscriberOptions> } = {},
): Promise<Run> {
  const upgrades: number[] = [];
  const emulator = await startEmulator({
    ...(apiKeys ? { apiKeys } : {}),
    faults: (ctx) => {
      upgrades.push(Date.now());
      return plan && (mode === 'always' || ctx.index === 0) ? plan : undefined;
    },
  });
  try {
    const t = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey: 'k', reconnect, ...options });
    const reconnecting: Run['reconnecting'] = [];
    t.events.on('reconnecting', (info) => reconnecting.push({ ...info, at: Date.now() }));
    const events: TranscriptEvent[] = [];
    let error: unknown = null;
    try {
      for await (const e of framesOf(audio.samples, 16000, 1, () => 1600).pipeThrough(t) as unknown as AsyncIterable<TranscriptEvent>) events.push(e);
    } catch (err) {
      error = err;
    }
    // The client closed or dropped every connection it made.
    for (let i = 0; i < 100 && emulator.stats.active > 0; i++) await sleep(20);
    expect(emulator.stats.active).toBe(0);
    return { events, error, emulator, upgrades, reconnecting };
  } finally {
    await emulator.close();
  }
}

/** The finals are the fault-free transcript: every word once, in order, within 20 ms of the tone. */
function expectWhole(r: Run, audio = fx): void {
  expect(r.error).toBeNull();
  expect(r.events.filter((e) => e.type === 'gap')).toEqual([]);
  const words = r.events.flatMap((e) => (e.type === 'final' ? (e.words ?? []) : []));
  expect(words.map((w) => w.word)).toEqual(audio.tones.map((t) => t.word));
  words.forEach((w, i) => expect(Math.abs(w.start - audio.tones[i]!.start)).toBeLessThan(0.02));
}

/** Delay n (1-based) of an incident: minDelayMs·2^(n−1)·[1, 2), capped at maxDelayMs; or the server's wait. */
function expectDelays(r: Run, waitMs: number | undefined): void {
  r.reconnecting.forEach((e, i) => {
    if (waitMs !== undefined) expect(e.delayMs).toBe(waitMs);
    else {
      expect(e.delayMs).toBeGreaterThanOrEqual(Math.min(reconnect.maxDelayMs, reconnect.minDelayMs * 2 ** i));
      expect(e.delayMs).toBeLessThanOrEqual(Math.min(reconnect.maxDelayMs, reconnect.minDelayMs * 2 ** (i + 1)));
    }
    // The next upgrade came after the delay, not sooner (and not much later).
    const gap = r.upgrades[i + 1]! - e.at;
    expect(gap).toBeGreaterThanOrEqual(e.delayMs - 5);
    expect(gap).toBeLessThan(e.delayMs + 1000);
  });
}

/** A fault that fires once 0.5 s of audio has come. */
const close = (code: number, extra: object = {}): FaultPlan => ({ close: { code, afterBytes: 16000, ...extra } });

// [name, plan, the cause's code, its message, the wait the server asked for]
const retried: [string, FaultPlan, string, string, number?][] = [
  ['close 1001 (going away)', close(1001), 'connection_lost', 'Connection closed (1001): fault'],
  ['a drop with no close frame (1006)', { drop: { afterBytes: 16000 } }, 'connection_lost', 'Connection closed (1006): the connection dropped with no close frame'],
  ['close 1011 (internal error)', close(1011), 'server_error', 'Connection closed (1011): fault'],
  ['close 1012 (service restart)', close(1012), 'service_restart', 'Connection closed (1012): fault'],
  ['close 1013 (try again later)', close(1013), 'service_restart', 'Connection closed (1013): fault'],
  ['close 4008 (idle) with audio waiting', close(4008), 'idle_timeout', 'Connection closed (4008): Injected fault: close 4008'],
  ['close 4010 (session limit) after a short connection', close(4010), 'session_limit', 'Connection closed (4010): Injected fault: close 4010'],
  ['close 4029 with retry_after 0.3 s', close(4029, { retryAfter: 0.3 }), 'rate_limited', 'Connection closed (4029): Injected fault: close 4029', 300],
  ['close 4502 (provider unavailable)', close(4502), 'provider_unavailable', 'Connection closed (4502): Injected fault: close 4502'],
  ['close 1000 after audio, before session.ended', close(1000), 'connection_lost', 'Connection closed (1000) before the session ended: fault'],
  // On the first audio message, which is not heard (a close timed "at once" would race the audio,
  // and a final heard before it would rightly start a new incident).
  ['close 1000 before any audio is heard', { close: { code: 1000, afterBytes: 1 } }, 'connection_lost', 'Connection closed (1000) before the session ended: fault'],
  ['an upgrade refused with 429 and Retry-After: 1', { refuse: { status: 429, retryAfter: 1 } }, 'rate_limited', 'Cannot connect to ORIGIN: 429 Injected fault: refused with 429', 1000],
  ['an upgrade refused with 500', { refuse: { status: 500 } }, 'server_error', 'Cannot connect to ORIGIN: 500 Injected fault: refused with 500'],
  ['an upgrade refused with 502', { refuse: { status: 502 } }, 'provider_unavailable', 'Cannot connect to ORIGIN: 502 Injected fault: refused with 502'],
  ['an upgrade refused with 503', { refuse: { status: 503 } }, 'server_error', 'Cannot connect to ORIGIN: 503 Injected fault: refused with 503'],
];

const withOrigin = (message: string, r: Run) => message.replace('ORIGIN', r.emulator.url.replace(/\?.*$/, ''));

describe.concurrent('close codes and refusals that are retried', () => {
  for (const [name, plan, code, message, waitMs] of retried) {
    it(`${name}, once: one reconnect after the policy's delay, and the whole transcript`, async ({ expect }) => {
      const r = await run(plan, 'once');
      expectWhole(r);
      expect(r.upgrades).toHaveLength(2);
      expect(r.reconnecting.map((e) => e.attempt)).toEqual([1]);
      expect(r.reconnecting[0]!.cause).toBeInstanceOf(SttError);
      expect(r.reconnecting[0]!.cause).toMatchObject({ code, message: withOrigin(message, r) });
      expectDelays(r, waitMs);
      const first = r.emulator.stats.perConnection[0]!;
      if (plan.close?.afterBytes === 1) expect(first.audioSeconds).toBe(0);
      if ('refuse' in plan) expect(first.refusedStatus).toBe(plan.refuse!.status);
      else expect(first.faults.length).toBeGreaterThan(0);
    });

    it(`${name}, every time: retries+1 attempts with growing delays, then connection_failed naming the last cause`, async ({ expect }) => {
      const r = await run(plan, 'always');
      expect(r.error).toBeInstanceOf(SttError);
      // The message tells what the server did (the same thing four times), and the last cause.
      const closeCode = plan.close?.code ?? (plan.drop ? 1006 : undefined);
      const story =
        plan.refuse !== undefined
          ? `4 connection attempts in a row were refused with ${plan.refuse.status} (${code})`
          : `4 connections in a row were closed with ${closeCode} (${code}) right after opening`;
      expect(r.error).toMatchObject({
        code: 'connection_failed',
        message: `Gave up reconnecting after 4 failed attempts (\`reconnect.retries\` is 3): ${story}; last: ${code}: ${withOrigin(message, r)}`,
        retryable: false,
      });
      expect((r.error as SttError).cause).toMatchObject({ code });
      expect(r.upgrades).toHaveLength(4);
      expect(r.reconnecting.map((e) => e.attempt)).toEqual([1, 2, 3]);
      expect(r.reconnecting.every((e) => e.cause.code === code)).toBe(true);
      expectDelays(r, waitMs);
      expect(r.events.filter((e) => e.type === 'final')).toEqual([]);
      if (plan.close?.afterBytes === 1) expect(r.emulator.stats.perConnection.map((c) => c.audioSeconds)).toEqual([0, 0, 0, 0]);
    });
  }
});

describe.concurrent('4010 after a long connection', () => {
  it('a session that reached its maximum length after 10 s or more reconnects at once (attempt 0, no delay), and the transcript is whole', async ({ expect }) => {
    // About 11 s of audio at real time; the emulator closes with 4010 once 10.2 s have come.
    const long = dtmfSamples('1234 5678 90#* AB12 3C4D 1234 5678 90#* AB12');
    const r = await run({ maxSessionSeconds: 10.2 }, 'once', { audio: long, options: { realtimeFactor: 1 } });
    expectWhole(r, long);
    expect(r.upgrades).toHaveLength(2);
    expect(r.emulator.stats.perConnection[0]!.faults).toEqual(['session_limit']);
    expect(r.reconnecting).toHaveLength(1);
    expect(r.reconnecting[0]).toMatchObject({ attempt: 0, delayMs: 0 });
    expect(r.reconnecting[0]!.cause).toMatchObject({ code: 'session_limit', message: 'Connection closed (4010): The session reached its maximum length of 10.2 s of audio' });
    expect(r.upgrades[1]! - r.reconnecting[0]!.at).toBeLessThan(500);
  }, 30_000);
});

describe.concurrent('close codes and refusals that end the stream', () => {
  it('close 1000 after session.ended: done on the one connection, the whole transcript', async ({ expect }) => {
    const r = await run(null, 'always');
    expectWhole(r);
    expect(r.upgrades).toHaveLength(1);
    expect(r.reconnecting).toEqual([]);
    expect(r.emulator.stats.perConnection[0]!.closeCode).toBe(1000);
  });

  const fatal: [string, FaultPlan | null, string, string, object, string[]?][] = [
    ['close 4000 (invalid input)', close(4000), 'invalid_input', 'Connection closed (4000): Injected fault: close 4000', { closeCode: 4000 }],
    ['close 4001 (unauthenticated)', close(4001), 'unauthenticated', 'Connection closed (4001): Injected fault: close 4001', { closeCode: 4001 }],
    ['a wrong key (the emulator closes 4001)', null, 'unauthenticated', 'Connection closed (4001): Missing or invalid API key', { closeCode: 4001 }, ['other-key']],
    ['close 4002 (out of credit)', close(4002), 'insufficient_quota', 'Connection closed (4002): Injected fault: close 4002', { closeCode: 4002 }],
    ['an upgrade refused with 401', { refuse: { status: 401 } }, 'unauthenticated', 'Cannot connect to ORIGIN: 401 Injected fault: refused with 401', { status: 401 }],
    ['an upgrade refused with 402', { refuse: { status: 402 } }, 'insufficient_quota', 'Cannot connect to ORIGIN: 402 Injected fault: refused with 402', { status: 402 }],
  ];
  for (const [name, plan, code, message, fields, apiKeys] of fatal) {
    it(`${name}: one attempt, no reconnect, the stream fails with ${code}`, async ({ expect }) => {
      const r = await run(plan, 'always', { apiKeys });
      expect(r.error).toBeInstanceOf(SttError);
      expect(r.error).toMatchObject({ code, message: withOrigin(message, r), retryable: false, ...fields });
      expect(r.upgrades).toHaveLength(1);
      expect(r.reconnecting).toEqual([]);
      expect(r.events.filter((e) => e.type === 'final')).toEqual([]);
    });
  }

  it('a Retry-After longer than the reconnect budget allows: one attempt, then connection_failed at once, naming the wait and the option, with retryAfterMs', async ({ expect }) => {
    const started = performance.now();
    const r = await run({ refuse: { status: 429, retryAfter: 3600 } }, 'always');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(r.upgrades).toHaveLength(1);
    expect(r.error).toMatchObject({
      code: 'connection_failed',
      retryAfterMs: 3_600_000,
      status: 429,
      cause: { code: 'rate_limited', retryAfterMs: 3_600_000 },
      message: withOrigin(
        'Gave up reconnecting after the server asked to wait 3600 s before trying again (Retry-After), longer than `reconnect.maxRetryTimeMs` (20000 ms) allows: the last connection attempt was refused with 429 (rate_limited); last: rate_limited: Cannot connect to ORIGIN: 429 Injected fault: refused with 429',
        r,
      ),
    });
  });
});

describe.concurrent('a gateway that closes every connection at once, with the default options', () => {
  it('4010 right after opening, every time: the end bound ends the stream, saying what the gateway did, with the last close as cause', { timeout: 40_000 }, async ({ expect }) => {
    // `end` goes out on the first connection (the audio is 2.5 s and is sent at once); no final ever confirms
    // it, so the stream fails endTimeoutMs (15 s) after it, while the reconnect budget still allows more.
    const started = performance.now();
    const r = await run({ close: { code: 4010, afterBytes: 1 } }, 'always', { options: { reconnect: undefined } });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(15_000);
    expect(elapsed).toBeLessThan(19_000);
    expect(r.error).toBeInstanceOf(SttError);
    const n = r.upgrades.length;
    expect(n).toBeGreaterThanOrEqual(4);
    expect(r.error).toMatchObject({
      code: 'timeout',
      message: `No final confirmed new audio for 15000 ms after the end of the audio (\`endTimeoutMs\`): ${n} connections in a row were closed with 4010 (session_limit) right after opening`,
      cause: { code: 'session_limit', closeCode: 4010 },
    });
  });
});
