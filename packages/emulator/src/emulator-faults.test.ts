import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../test/ws-client.ts';
import { startEmulator, type Emulator } from './emulator.ts';
import { withFault, type FaultPlan } from './fault-plan.ts';
import { dtmfSamples } from './fixtures/dtmf-samples.ts';

describe('fault injection', () => {
  let emulator: Emulator;
  let base: string;
  beforeAll(async () => {
    emulator = await startEmulator({ idleTimeoutMs: 2000 });
    base = `${emulator.url}?model_id=m`;
  });
  afterAll(() => emulator.close());

  const faulted = (plan: FaultPlan): string => withFault(base, plan);

  it('refuses the upgrade with the status, the envelope, Retry-After and x-request-id', async () => {
    const before = emulator.stats.refused;
    const client = connect(faulted({ refuse: { status: 429, retryAfter: 2 } }));
    const refusal = await client.refused;
    expect(refusal.status).toBe(429);
    expect(refusal.headers['retry-after']).toBe('2');
    expect(refusal.headers['x-request-id']).toMatch(/^req_/);
    expect(JSON.parse(refusal.body)).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    await expect(client.opened).rejects.toThrow();
    expect(emulator.stats.refused).toBe(before + 1);

    const outage = connect(faulted({ refuse: { status: 502 } }));
    const second = await outage.refused;
    expect(second.status).toBe(502);
    expect(second.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(second.body).error.code).toBe('provider_unavailable');
  });

  it('drops the connection without a close frame after some time: the client sees 1006', async () => {
    const client = connect(faulted({ drop: { afterMs: 150 } }));
    await client.opened;
    const opened = performance.now();
    const closed = await client.closed;
    expect(closed.code).toBe(1006);
    expect(closed.at - opened).toBeGreaterThanOrEqual(120);
    expect(client.messages.map((m) => m.type)).toEqual(['session.started']);
  });

  it('drops the connection once enough audio has come, without hearing the message that reached it', async () => {
    const before = emulator.stats.connections;
    const fixture = dtmfSamples('1', { leadMs: 0, toneMs: 100, tailMs: 700 });
    const client = connect(faulted({ drop: { afterBytes: 16000 } }));
    await client.opened;
    client.sendAudio(fixture.samples, 1600); // 3200 bytes a message
    const closed = await client.closed;
    expect(closed.code).toBe(1006);
    const record = emulator.stats.perConnection[before];
    expect(record?.faults).toEqual(['drop']);
    expect(record?.audioBytes).toBe(16000);
    expect(record?.audioSeconds).toBeCloseTo(0.4, 10);
    expect(record?.closeCode).toBe(1006);
  });

  it.each([1001, 1011, 1012, 1013])('closes with %i after some time, with no error message', async (code) => {
    const client = connect(faulted({ close: { code, afterMs: 50 } }));
    const closed = await client.closed;
    expect(closed.code).toBe(code);
    expect(client.messages.map((m) => m.type)).toEqual(['session.started']);
  });

  it.each([
    [4010, 'session_limit'],
    [4029, 'rate_limited'],
    [4502, 'provider_unavailable'],
  ])('closes with %i after some audio, preceded by an error %s', async (code, errorCode) => {
    const client = connect(faulted({ close: { code, afterBytes: 6400, retryAfter: 3 } }));
    await client.opened;
    client.sendAudio(new Int16Array(16000), 1600);
    const closed = await client.closed;
    expect(closed.code).toBe(code);
    const error = client.messages.at(-1);
    expect(error).toMatchObject({ type: 'error', error: { code: errorCode } });
    if (code === 4029) expect(error?.error.retry_after).toBe(3);
    else expect(error?.error.retry_after).toBeUndefined();
  });

  it('closes at once when the trigger has neither time nor bytes', async () => {
    const client = connect(faulted({ close: { code: 1012 } }));
    expect((await client.closed).code).toBe(1012);
  });

  it('stalls: stops reading for forMs, without an idle timeout, then carries on', async () => {
    const quick = await startEmulator({ idleTimeoutMs: 200 });
    try {
      const client = connect(withFault(`${quick.url}?model_id=m`, { stall: { afterMs: 0, forMs: 600 } }));
      await client.waitFor((m) => m.type === 'session.started');
      await new Promise((r) => setTimeout(r, 20));
      const sent = performance.now();
      client.sendAudio(new Int16Array(1600), 1600);
      client.sendJson({ type: 'end' });
      const ended = await client.waitFor((m) => m.type === 'session.ended', 3000);
      expect(performance.now() - sent).toBeGreaterThanOrEqual(500);
      expect(ended.duration).toBe(0.1);
      expect((await client.closed).code).toBe(1000);
      expect(quick.stats.perConnection[0]?.faults).toEqual(['stall']);
    } finally {
      await quick.close();
    }
  });

  it('stalls after some audio: the socket is paused while the client keeps writing', async () => {
    const client = connect(faulted({ stall: { afterBytes: 3200, forMs: 400 } }));
    await client.opened;
    const big = new Int16Array(16000);
    client.ws.send(big.subarray(0, 1600));
    await new Promise((r) => setTimeout(r, 50));
    const sent = performance.now();
    for (let i = 0; i < 10; i++) client.ws.send(big);
    client.sendJson({ type: 'end' });
    const ended = await client.waitFor((m) => m.type === 'session.ended', 3000);
    expect(performance.now() - sent).toBeGreaterThanOrEqual(300);
    expect(ended.duration).toBeCloseTo(10.1, 10);
  });

  it('answers slowly: every message delayed, order kept, the close after them', async () => {
    const fixture = dtmfSamples('7', { tailMs: 400 });
    const client = connect(faulted({ delayMs: 150 }));
    await client.opened;
    const opened = performance.now();
    await client.waitFor((m) => m.type === 'session.started');
    expect(performance.now() - opened).toBeGreaterThanOrEqual(120);
    client.sendAudio(fixture.samples, 1600);
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
    const types = client.messages.map((m) => m.type);
    expect(types[0]).toBe('session.started');
    expect(types.at(-1)).toBe('session.ended');
    expect(client.messages.filter((m) => m.is_final).map((m) => m.text)).toEqual(['seven']);
  });

  it('limits the session length from the plan', async () => {
    const client = connect(faulted({ maxSessionSeconds: 0.2 }));
    await client.opened;
    client.sendAudio(new Int16Array(8000), 1600);
    expect((await client.closed).code).toBe(4010);
  });

  it('applies a URL plan with times and key to the first n connections that carry the key only', async () => {
    const url = faulted({ key: 'reconnect-1', times: 2, close: { code: 1012, afterMs: 0 } });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const client = connect(url);
      if (i === 2) {
        await client.waitFor((m) => m.type === 'session.started');
        client.sendJson({ type: 'end' });
      }
      codes.push((await client.closed).code);
    }
    expect(codes).toEqual([1012, 1012, 1000]);
    // The same key in another plan shares the counter.
    const other = connect(faulted({ key: 'reconnect-1', times: 2, drop: {} }));
    await other.waitFor((m) => m.type === 'session.started');
    other.ws.close();
  });

  it('counts a plan without key by its JSON', async () => {
    const url = faulted({ times: 1, refuse: { status: 503 } });
    expect((await connect(url).refused).status).toBe(503);
    const second = connect(url);
    await second.opened;
    second.ws.close();
  });
});

describe('processRate: a gateway slower than its input', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ idleTimeoutMs: 400 });
  });
  afterAll(() => emulator.close());

  /** Arrival time (performance.now()) of every message, by index in `client.messages`. */
  function arrivals(client: ReturnType<typeof connect>): number[] {
    const at: number[] = [];
    client.ws.on('message', () => at.push(performance.now()));
    return at;
  }

  it('reads the socket at once but hears at most N× real time: finals, then session.ended, at that pace', async () => {
    const fixture = dtmfSamples('12 34 56', { tailMs: 400 }); // 3.1 s
    const before = emulator.stats.connections;
    const client = connect(withFault(`${emulator.url}?model_id=m`, { processRate: 2 }));
    const at = arrivals(client);
    await client.waitFor((m) => m.type === 'session.started');
    const sent = performance.now();
    client.sendAudio(fixture.samples, 4000); // 250 ms messages
    client.sendJson({ type: 'end' });
    await new Promise((r) => setTimeout(r, 300));
    const record = emulator.stats.perConnection[before]!;
    // Everything was read within 300 ms; a third of a second of it was heard.
    expect(record.audioBytes).toBe(fixture.samples.length * 2);
    expect(record.audioSeconds).toBeLessThan(1);
    const ended = await client.waitFor((m) => m.type === 'session.ended', 5000);
    expect(ended.duration).toBeCloseTo(fixture.duration, 6);
    expect((await client.closed).code).toBe(1000);
    const finals = client.messages.map((m, i) => ({ m, at: at[i]! - sent })).filter(({ m }) => m.type === 'transcript' && m.is_final);
    expect(finals.map(({ m }) => m.text)).toEqual(['one two', 'three four', 'five six']);
    // Each final comes once the engine has heard its audio and the 300 ms of silence after it, at 2× real
    // time: never sooner, and (250 ms messages) at most one message later.
    for (const { m, at: ms } of finals) {
      expect(ms).toBeGreaterThanOrEqual(((m.end + 0.3) / 2) * 1000 - 5);
      expect(ms).toBeLessThan(((m.end + 0.3) / 2) * 1000 + 125 + 250);
    }
    const endedAt = at[client.messages.indexOf(ended)]! - sent;
    expect(endedAt).toBeGreaterThanOrEqual((fixture.duration / 2) * 1000 - 5);
    expect(endedAt).toBeLessThan((fixture.duration / 2) * 1000 + 500);
  });

  it('a finalize waits for the audio before it', async () => {
    const fixture = dtmfSamples('789', { tailMs: 100 }); // too little silence for a final of its own
    const client = connect(withFault(`${emulator.url}?model_id=m`, { processRate: 1 }));
    await client.waitFor((m) => m.type === 'session.started');
    client.sendAudio(fixture.samples, 1600);
    client.sendJson({ type: 'finalize' });
    const final = await client.waitFor((m) => m.type === 'transcript' && m.is_final, 3000);
    // A finalize heard before the audio would have had nothing to finalize.
    expect(final.text).toBe('seven eight nine');
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
  });

  it('suspends the idle timer while audio waits for the engine, and starts it again when the queue empties', async () => {
    const client = connect(withFault(`${emulator.url}?model_id=m`, { processRate: 0.5 }));
    await client.waitFor((m) => m.type === 'session.started');
    const sent = performance.now();
    client.sendAudio(new Int16Array(8000), 1600); // 0.5 s of audio: 1 s to hear, longer than the 400 ms idle timeout
    const closed = await client.closed;
    expect(closed.code).toBe(4008);
    expect(client.messages.at(-1)).toMatchObject({ type: 'error', error: { code: 'idle_timeout' } });
    // Idle counts from when the queue emptied (1 s), not from the last message.
    expect(closed.at - sent).toBeGreaterThanOrEqual(1000 + 400 - 20);
    expect(closed.at - sent).toBeLessThan(1000 + 400 + 400);
  });

  it('a drop with audio still queued stops the engine: nothing more is heard', async () => {
    const before = emulator.stats.connections;
    const client = connect(withFault(`${emulator.url}?model_id=m`, { processRate: 1, drop: { afterMs: 300 } }));
    await client.waitFor((m) => m.type === 'session.started');
    client.sendAudio(new Int16Array(32000), 1600); // 2 s
    expect((await client.closed).code).toBe(1006);
    const record = emulator.stats.perConnection[before]!;
    const heard = record.audioSeconds;
    expect(heard).toBeLessThan(0.5);
    await new Promise((r) => setTimeout(r, 300));
    expect(record.audioSeconds).toBe(heard);
  });
});

describe('server-wide faults', () => {
  it('applies a plan to the first `times` connections', async () => {
    const emulator = await startEmulator({ faults: { times: 2, refuse: { status: 503, retryAfter: 'Wed, 21 Oct 2099 07:28:00 GMT' } } });
    try {
      const first = await connect(`${emulator.url}?model_id=m`).refused;
      expect(first.status).toBe(503);
      expect(first.headers['retry-after']).toBe('Wed, 21 Oct 2099 07:28:00 GMT');
      expect(JSON.parse(first.body).error.code).toBe('server_error');
      expect((await connect(`${emulator.url}?model_id=m`).refused).status).toBe(503);
      const third = connect(`${emulator.url}?model_id=m`);
      await third.opened;
      third.ws.close();
      await third.closed;
      expect(emulator.stats).toMatchObject({ connections: 3, refused: 2, accepted: 1 });
    } finally {
      await emulator.close();
    }
  });

  it('asks a function for each connection, with its index, URL and headers', async () => {
    const seen: [number, string, unknown][] = [];
    const emulator = await startEmulator({
      faults: ({ index, url, headers }) => {
        seen.push([index, url.searchParams.get('model_id') ?? '', headers['x-test']]);
        return index === 0 ? { drop: { afterMs: 10 } } : undefined;
      },
    });
    try {
      const first = connect(`${emulator.url}?model_id=a`, { headers: { 'x-test': 'yes' } });
      expect((await first.closed).code).toBe(1006);
      const second = connect(`${emulator.url}?model_id=b`);
      await second.waitFor((m) => m.type === 'session.started');
      second.ws.close();
      expect(seen).toEqual([
        [0, 'a', 'yes'],
        [1, 'b', undefined],
      ]);
    } finally {
      await emulator.close();
    }
  });

  it('rejects a malformed server plan at start', async () => {
    await expect(startEmulator({ faults: { close: { code: 1006 } } })).rejects.toThrow(/close\.code/);
    await expect(startEmulator({ idleTimeoutMs: 0 })).rejects.toThrow(RangeError);
  });
});
