import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Message } from '../test/ws-client.ts';
import { parseCliArgs } from './cli-program.ts';
import { startEmulator, type Emulator } from './emulator.ts';
import { dtmfSamples } from './fixtures/dtmf-samples.ts';

// `serverTime`: the emulator stamps each transcript with the wall clock at
// which it sent it, for latency measured from outside a client.

describe('serverTime', () => {
  let stamped: Emulator;
  let slow: Emulator;
  let plain: Emulator;
  beforeAll(async () => {
    stamped = await startEmulator({ serverTime: true });
    slow = await startEmulator({ serverTime: true, faults: { delayMs: 150 } });
    plain = await startEmulator();
  });
  afterAll(() => Promise.all([stamped.close(), slow.close(), plain.close()]));

  /** Streams one key and its tail, then `end`; the messages and when each arrived (Date.now()). */
  async function run(emulator: Emulator): Promise<{ sentAt: number; messages: Message[]; arrived: number[] }> {
    const client = connect(`${emulator.url}?model_id=m`);
    const arrived: number[] = [];
    client.ws.on('message', () => arrived.push(Date.now()));
    await client.waitFor((m) => m.type === 'session.started');
    const sentAt = Date.now();
    client.sendAudio(dtmfSamples('7', { tailMs: 400 }).samples, 1600);
    client.sendJson({ type: 'end' });
    expect((await client.closed).code).toBe(1000);
    return { sentAt, messages: client.messages, arrived };
  }

  it('stamps every transcript, interim and final, with the ms it was sent; other messages are as they were', async () => {
    const { sentAt, messages, arrived } = await run(stamped);
    const transcripts = messages.filter((m) => m.type === 'transcript');
    expect(transcripts.map((m) => [m.is_final, m.text]).at(-1)).toEqual([true, 'seven']);
    expect(transcripts.some((m) => !m.is_final)).toBe(true);
    messages.forEach((m, i) => {
      if (m.type !== 'transcript') {
        expect(m).not.toHaveProperty('server_time');
        return;
      }
      expect(Number.isInteger(m.server_time)).toBe(true);
      expect(m.server_time).toBeGreaterThanOrEqual(sentAt);
      expect(m.server_time).toBeLessThanOrEqual(arrived[i]!);
    });
    // The protocol's fields are all still there.
    expect(Object.keys(transcripts.at(-1)!).sort()).toEqual(['channel', 'confidence', 'end', 'is_final', 'language', 'server_time', 'start', 'text', 'type', 'words']);
  });

  it('stamps when the message goes out, after a delayMs fault', async () => {
    const { sentAt, messages } = await run(slow);
    const final = messages.find((m) => m.type === 'transcript' && m.is_final)!;
    expect(final.server_time - sentAt).toBeGreaterThanOrEqual(150);
  });

  it('is off by default', async () => {
    const { messages } = await run(plain);
    expect(messages.filter((m) => m.type === 'transcript').length).toBeGreaterThan(0);
    for (const m of messages) expect(m).not.toHaveProperty('server_time');
  });

  it('takes a boolean only, and --server-time on the command line', async () => {
    await expect(startEmulator({ serverTime: 'yes' as unknown as boolean })).rejects.toThrow(new TypeError('Invalid option `serverTime`: expected a boolean, got "yes"'));
    expect(parseCliArgs(['--server-time']).options.serverTime).toBe(true);
    expect(parseCliArgs([]).options).not.toHaveProperty('serverTime');
  });
});
