import { dtmfSamples, startEmulator } from '@stt-stream/emulator';
import { describe, expect, it } from 'vitest';
import * as node from './index.ts';

// The package entry: core re-exported, createTranscriber over `ws` by
// default, and the browser stub.

describe('@stt-stream/node', () => {
  it('index - re-exports core and adds the Node parts', () => {
    for (const name of ['SttError', 'SttAuthError', 'transcribe', 'WavDecoder', 'createWebSocketTransport']) expect(node).toHaveProperty(name);
    // core's helpers for the sibling packages stay in @stt-stream/core/internal
    for (const name of ['isRetryable', 'connectAttempt', 'errorFromResponse', 'redactUrl', 'parseServerMessage', 'ReplayBuffer']) {
      expect(node).not.toHaveProperty(name);
    }
    for (const name of ['createWsTransport', 'fileSource', 'fromNodeReadable', 'toNodeReadable', 'microphone', 'transcribeFile', 'toSrt', 'toWebVtt']) {
      expect(typeof (node as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('createTranscriber - streams over ws by default, sending the key in the Authorization header (one connection, key not in the URL)', async () => {
    const key = 'sk_test_index';
    // The emulator takes the key from the header or from the `bearer` subprotocol; its `faults`
    // hook sees each upgrade request's headers and URL, so the test reads which one was used.
    const upgrades: { authorization: unknown; protocols: unknown; url: string }[] = [];
    const emu = await startEmulator({
      apiKeys: [key],
      faults: ({ headers, url }) => {
        upgrades.push({ authorization: headers.authorization, protocols: headers['sec-websocket-protocol'], url: url.href });
        return undefined;
      },
    });
    try {
      const { samples, sampleRate } = dtmfSamples('12 3');
      const frames = new ReadableStream<node.PCMFrame>({
        start(c) {
          for (let i = 0; i < samples.length; i += 1600) c.enqueue({ data: samples.slice(i, i + 1600), sampleRate, channels: 1 });
          c.close();
        },
      });
      const transcriber = node.createTranscriber({ model: 'whisper-1', url: emu.url, apiKey: key, interimResults: false });
      const finals: string[] = [];
      const reader = frames.pipeThrough(transcriber).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) if (r.value.type === 'final') finals.push(r.value.text);
      expect(finals).toEqual(['one two', 'three']);
      expect(upgrades).toHaveLength(1);
      expect(upgrades[0]!.authorization).toBe(`Bearer ${key}`);
      expect(upgrades[0]!.protocols).toBeUndefined();
      expect(upgrades[0]!.url).not.toContain(key);
      // (The server's side of the close may still be under way here: `active` and `closeCode` are not asserted.)
      expect(emu.stats).toMatchObject({ connections: 1, accepted: 1, refused: 0, audioBytes: samples.length * 2 });
    } finally {
      await emu.close();
    }
  });

  it('createTranscriber - an unknown option is a TypeError naming it, and the one meant', () => {
    expect(() => node.createTranscriber({ model: 'whisper-1', baseUrl: 'http://127.0.0.1:8080' } as never)).toThrow(
      new TypeError('Unknown option `baseUrl` for createTranscriber(); did you mean `url`?'),
    );
    expect(() => node.createTranscriber({ model: 'whisper-1', reconnect: { retry: 3 } } as never)).toThrow(
      new TypeError('Unknown option `reconnect.retry` for createTranscriber(); did you mean `reconnect.retries`?'),
    );
    expect(() => node.createWsTransport({ agnet: undefined } as never)).toThrow(new TypeError('Unknown option `agnet` for createWsTransport(); did you mean `agent`?'));
  });

  // The transport below is the real `ws` one, wrapped to count the connections it is asked for:
  // the hosted gateway cannot be reached from here, and the point is that nothing tries to.
  function countingTransport() {
    const ws = node.createWsTransport();
    const counter = { connects: 0, transport: { ...ws, connect: (...args: Parameters<typeof ws.connect>) => (counter.connects++, ws.connect(...args)) } };
    return counter;
  }

  const oneSecond = () =>
    new ReadableStream<node.PCMFrame>({
      start(c) {
        c.enqueue({ data: new Int16Array(16000), sampleRate: 16000, channels: 1 });
        c.close();
      },
    });

  it('createTranscriber - no key, no token and no url: unauthenticated at once, nothing connects, no retry', async () => {
    const counter = countingTransport();
    const transcriber = node.createTranscriber({ model: 'whisper-1', transport: counter.transport });
    const reconnecting: unknown[] = [];
    transcriber.events.on('reconnecting', (info) => reconnecting.push(info));
    const err = await oneSecond().pipeThrough(transcriber).pipeTo(new WritableStream()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(node.SttAuthError);
    expect(err).toMatchObject({ code: 'unauthenticated', retryable: false, param: 'apiKey' });
    expect((err as Error).message).toBe(
      'No API key or token for the hosted gateway (gateway.llm-stats.com): pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY) ' +
        'or `token`; or, to use a server that needs none such as the local emulator, pass its `url`',
    );
    expect(counter.connects).toBe(0);
    expect(reconnecting).toEqual([]);
  });

  it('createTranscriber - a token function that fails with a non-retryable error ends the stream at once (called once, no reconnect)', async () => {
    const emu = await startEmulator();
    try {
      const counter = countingTransport();
      let calls = 0;
      const transcriber = node.createTranscriber({
        model: 'whisper-1',
        url: emu.url,
        transport: counter.transport,
        token: () => {
          calls++;
          throw new node.SttError('unauthenticated', 'the session expired', { retryable: false });
        },
      });
      const reconnecting: unknown[] = [];
      transcriber.events.on('reconnecting', (info) => reconnecting.push(info));
      const err = await oneSecond().pipeThrough(transcriber).pipeTo(new WritableStream()).then(() => null, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'unauthenticated', retryable: false, message: 'The `token` function failed: unauthenticated: the session expired' });
      expect(calls).toBe(1);
      expect(counter.connects).toBe(0);
      expect(reconnecting).toEqual([]);
      expect(emu.stats.connections).toBe(0);
    } finally {
      await emu.close();
    }
  });

  it('browser stub - throws, pointing at @stt-stream/browser', async () => {
    await expect(import('./browser.ts')).rejects.toThrow('@stt-stream/node does not run in browsers; use @stt-stream/browser');
  });
});
