// The streaming transcriber against hostile servers: what a user
// sees when a server is silent, stops reading, ignores `end`, sends absurd
// frames, closes every connection at once, floods messages or sends finals
// that break the contract; and options out of range. Each case asserts the
// error code and message, the time it took, the number of connections, and
// that nothing is left running (the server's own socket count back to 0 per
// case; no handle left in the process at the end of the file).
//
// The servers are `ws`'s WebSocketServer, told to misbehave, and a raw
// `node:net` server where `ws` will not (a frame header claiming an absurd
// length). All on 127.0.0.1, port 0.
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTranscriber, SttError, type TranscriberOptions, type TranscriptEvent } from '@stt-stream/node';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesOf, sleep } from './helpers.ts';
import { acceptKey, handles, leftRunning } from './hostile-servers.ts';

const KEY = 'sk_test_hostile_stream_7731';
/** Quick bounds for the cases that should end fast (the defaults get a case of their own). */
const FAST = { reconnect: { retries: 3, minDelayMs: 50, maxDelayMs: 200 }, connectTimeoutMs: 300, stallTimeoutMs: 300 } as const;

let baseline: string[] = [];
/** Every server made, so a failed case still closes its own (closeServer is idempotent). */
const servers = new Set<Served>();
beforeAll(async () => {
  await sleep(20);
  baseline = handles();
});
afterAll(async () => {
  for (const srv of servers) await srv.close();
  // Every case closed its server and the client kept no socket or timer.
  expect(await leftRunning(baseline)).toEqual([]);
});

// ---- servers ------------------------------------------------------------------

interface Peer {
  index: number;
  ws: WebSocket;
  req: IncomingMessage;
  /** When the upgrade was accepted (Date.now()). */
  at: number;
  audioBytes: number;
  /** The audio received, when the server keeps it. */
  audio: Buffer[];
  texts: string[];
}

interface Served {
  url: string;
  peers: Peer[];
  /** TCP sockets open on the server side now. */
  active: () => number;
  close: () => Promise<void>;
}

async function listenTracked(server: NetServer): Promise<{ port: number; active: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    active: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A `ws` server that runs `behave` on every accepted connection. */
async function wsServer(behave: (peer: Peer) => void, { keepAudio = false } = {}): Promise<Served> {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  const peers: Peer[] = [];
  wss.on('connection', (ws, req) => {
    const peer: Peer = { index: peers.length, ws, req, at: Date.now(), audioBytes: 0, audio: [], texts: [] };
    peers.push(peer);
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary) peer.texts.push(data.toString());
      else {
        peer.audioBytes += data.length;
        if (keepAudio) peer.audio.push(Buffer.from(data));
      }
    });
    behave(peer);
  });
  const l = await listenTracked(http);
  let closed: Promise<void> | undefined;
  const srv: Served = {
    url: `ws://127.0.0.1:${l.port}/v1/stt/stream`,
    peers,
    active: l.active,
    close: () =>
      (closed ??= (async () => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        await l.close();
      })()),
  };
  servers.add(srv);
  return srv;
}

/** A raw TCP server that completes the WebSocket handshake by hand, then runs `then` on the socket. */
async function rawServer(then: (socket: Socket) => void): Promise<Served & { upgrades: number[] }> {
  const upgrades: number[] = [];
  const server = createNetServer((socket) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.on('data', () => undefined); // keep reading, and drop what comes
      const key = /sec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? '';
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptKey(key)}\r\n\r\n`);
      upgrades.push(Date.now());
      then(socket);
    };
    socket.on('data', onData);
  });
  const l = await listenTracked(server);
  let closed: Promise<void> | undefined;
  const srv = { url: `ws://127.0.0.1:${l.port}/v1/stt/stream`, peers: [], upgrades, active: l.active, close: () => (closed ??= l.close()) };
  servers.add(srv);
  return srv;
}

/** An unmasked server text frame (RFC 6455). */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const header = payload.length < 126 ? Buffer.from([0x81, payload.length]) : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([header, payload]);
}

const started = (id = 'sess_hostile') => JSON.stringify({ type: 'session.started', session_id: id, model: 'm', sample_rate: 16000, channels: 1, encoding: 'pcm_s16le' });
const transcript = (isFinal: boolean, text: string, start: number, end: number, channel = 0) =>
  JSON.stringify({ type: 'transcript', is_final: isFinal, text, start, end, confidence: isFinal ? 0.9 : null, language: 'en', channel, words: null });

/** Runs `fn` on every message of type `end` a peer receives. */
const onEnd = (peer: Peer, fn: () => void) =>
  peer.ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary && (JSON.parse(data.toString()) as { type: string }).type === 'end') fn();
  });

/** An interval that stops with the connection. */
function every(peer: Peer | Socket, ms: number, fn: () => void): void {
  const timer = setInterval(fn, ms);
  const target = 'ws' in peer ? peer.ws : peer;
  target.on('close', () => clearInterval(timer));
}

// ---- the client side -----------------------------------------------------------

type Segment = Extract<TranscriptEvent, { text: string }>;
const finalsOf = (events: TranscriptEvent[]): Segment[] => events.filter((e): e is Segment => e.type === 'final');

/** Distinct samples (a ramp), so replayed audio can be compared byte for byte. */
function ramp(seconds: number, sampleRate = 16000, channels = 1): Int16Array {
  const out = new Int16Array(Math.round(seconds * sampleRate) * channels);
  for (let i = 0; i < out.length; i++) out[i] = (i % 30011) - 15000;
  return out;
}

/** A live source: 100 ms frames at real time, until the stream stops reading. */
function liveSource(): ReadableStream<{ data: Int16Array; sampleRate: number; channels: number }> {
  const frame = ramp(0.1);
  return new ReadableStream(
    {
      async pull(controller) {
        await sleep(100);
        controller.enqueue({ data: frame.slice(), sampleRate: 16000, channels: 1 });
      },
    },
    { highWaterMark: 0 },
  );
}

interface Notice {
  name: string;
  at: number;
  info: unknown;
}

interface Outcome {
  events: TranscriptEvent[];
  error: unknown;
  elapsed: number;
  notices: Notice[];
  reconnecting: { attempt: number; delayMs: number; cause: SttError; at: number }[];
  errors: SttError[];
}

function watch(t: ReturnType<typeof createTranscriber>, notices: Notice[]): void {
  for (const name of ['open', 'close', 'reconnecting', 'reconnected', 'error', 'warning', 'metrics'] as const) {
    t.events.on(name, (info: unknown) => notices.push({ name, at: Date.now(), info }));
  }
}

/** Streams `source` (or `samples` in 100 ms frames) to `url` and reads every event. */
async function stream(
  url: string,
  options: Partial<TranscriberOptions>,
  audio: Int16Array | ReadableStream<{ data: Int16Array; sampleRate: number; channels: number }> = ramp(1),
): Promise<Outcome> {
  const sampleRate = options.sampleRate ?? 16000;
  const channels = options.channels ?? 1;
  const t = createTranscriber({ model: 'm', url, apiKey: KEY, ...options });
  const notices: Notice[] = [];
  watch(t, notices);
  const begin = Date.now();
  const source = audio instanceof Int16Array ? framesOf(audio, sampleRate, channels) : audio;
  const events: TranscriptEvent[] = [];
  let error: unknown = null;
  try {
    for await (const e of source.pipeThrough(t) as unknown as AsyncIterable<TranscriptEvent>) events.push(e);
  } catch (err) {
    error = err;
  }
  const elapsed = Date.now() - begin;
  const reconnecting = notices
    .filter((n) => n.name === 'reconnecting')
    .map((n) => ({ ...(n.info as { attempt: number; delayMs: number; cause: SttError }), at: n.at }));
  const errors = notices.filter((n) => n.name === 'error').map((n) => n.info as SttError);
  return { events, error, elapsed, notices, reconnecting, errors };
}

/** Waits until the server holds no socket (the client closed or dropped every connection), then closes it. */
async function closeServer(srv: Served): Promise<number> {
  // A server that stopped reading sees the client's close only once it reads again (the FIN
  // waits behind the audio the client had queued): it reads again now that the stream is over.
  for (const p of srv.peers) if (p.ws.isPaused) p.ws.resume();
  for (let i = 0; i < 100 && srv.active() > 0; i++) await sleep(20);
  const left = srv.active();
  await srv.close();
  return left;
}

/** The backoff of attempt n (1-based) for FAST: minDelayMs·2^(n−1)·[1, 2), capped at maxDelayMs. */
const backoffRange = (n: number, min = 50, max = 200): [number, number] => [Math.min(max, min * 2 ** (n - 1)), Math.min(max, min * 2 ** n)];

// ---- the cases -----------------------------------------------------------------

describe.concurrent('a hostile streaming server cannot keep a session alive', () => {
  it('a server that accepts and says nothing (no session.started): connection_failed after retries+1 connections', async ({ expect }) => {
    const srv = await wsServer(() => undefined);
    const out = await stream(srv.url, FAST);
    expect(out.error).toBeInstanceOf(SttError);
    expect(out.error).toMatchObject({
      code: 'connection_failed',
      message: 'Gave up reconnecting after 4 failed attempts (\`reconnect.retries\` is 3): 4 connections in a row were stalled; last: connection_lost: Connection dropped: no `session.started` within 300 ms of the socket opening (`connectTimeoutMs`)',
    });
    expect(srv.peers).toHaveLength(4);
    expect(out.reconnecting.map((r) => r.attempt)).toEqual([1, 2, 3]);
    out.reconnecting.forEach((r, i) => {
      const [lo, hi] = backoffRange(i + 1);
      expect(r.delayMs).toBeGreaterThanOrEqual(lo);
      expect(r.delayMs).toBeLessThanOrEqual(hi);
    });
    // 4 × 300 ms of waiting for session.started, plus the delays.
    expect(out.elapsed).toBeGreaterThanOrEqual(1200);
    expect(out.elapsed).toBeLessThan(4000);
    expect(await closeServer(srv)).toBe(0);
  });

  it('connectTimeoutMs alone (other bounds at their defaults) bounds the wait for session.started', async ({ expect }) => {
    const srv = await wsServer(() => undefined);
    const out = await stream(srv.url, { connectTimeoutMs: 300, reconnect: false });
    expect(out.error).toMatchObject({
      code: 'connection_lost',
      message: 'Connection dropped: no `session.started` within 300 ms of the socket opening (`connectTimeoutMs`)',
    });
    expect(out.elapsed).toBeGreaterThanOrEqual(300);
    expect(out.elapsed).toBeLessThan(700);
    expect(srv.peers).toHaveLength(1);
    expect(await closeServer(srv)).toBe(0);
  });

  it('endTimeoutMs alone (other bounds at their defaults) bounds the wait for session.ended', async ({ expect }) => {
    const srv = await wsServer((peer) => peer.ws.send(started()));
    const out = await stream(srv.url, { endTimeoutMs: 300 });
    expect(out.error).toMatchObject({ code: 'timeout' });
    // The server read the audio and `end`, and said nothing but `session.started`.
    expect((out.error as Error).message).toMatch(
      /^No final confirmed new audio for 300 ms after the end of the audio \(`endTimeoutMs`\): the server sent 1 message\(s\) but no final for new audio \(the last \d\.\d s ago\)$/,
    );
    expect(out.elapsed).toBeGreaterThanOrEqual(300);
    expect(out.elapsed).toBeLessThan(700);
    expect(srv.peers).toHaveLength(1);
    expect(await closeServer(srv)).toBe(0);
  });

  it(
    'with the default options, a silent server ends a live session with connection_failed in well under a minute',
    { timeout: 60_000 },
    async ({ expect }) => {
      const srv = await wsServer(() => undefined);
      const out = await stream(srv.url, {}, liveSource());
      // connectTimeoutMs 10 s per connection; the incident may last maxRetryTimeMs (20 s) from its first failure.
      expect(out.error).toMatchObject({ code: 'connection_failed' });
      expect((out.error as Error).message).toMatch(
        /^Gave up reconnecting after 2\d(\.\d)? s of retrying, and the next attempt would pass `reconnect\.maxRetryTimeMs` \(20000 ms\): 3 connections in a row were stalled; last: connection_lost: Connection dropped: no `session.started` within 10000 ms of the socket opening \(`connectTimeoutMs`\)$/,
      );
      expect(srv.peers).toHaveLength(3);
      expect(out.elapsed).toBeGreaterThanOrEqual(30_000);
      expect(out.elapsed).toBeLessThan(40_000);
      expect(await closeServer(srv)).toBe(0);
    },
  );

  it('a server that sends session.started, then stops reading and says nothing (48 kHz stereo): dropped for not draining, connection_failed', async ({ expect }) => {
    const srv = await wsServer((peer) => {
      peer.ws.send(started());
      peer.ws.pause();
    });
    const out = await stream(srv.url, { ...FAST, sampleRate: 48000, channels: 2, replayWindowSeconds: 120 }, ramp(60, 48000, 2));
    expect(out.error).toMatchObject({ code: 'connection_failed' });
    expect((out.error as Error).message).toMatch(
      /^Gave up reconnecting after 4 failed attempts \(`reconnect.retries` is 3\): 4 connections in a row were stalled; last: connection_lost: Connection dropped: the server read nothing for 300 ms \(`stallTimeoutMs`\) while \d+ bytes waited to be sent$/,
    );
    for (const r of out.reconnecting) expect(r.cause.message).toMatch(/^Connection dropped: the server read nothing for 300 ms \(`stallTimeoutMs`\) while \d+ bytes waited to be sent$/);
    expect(out.reconnecting).toHaveLength(3);
    expect(srv.peers).toHaveLength(4);
    expect(out.elapsed).toBeLessThan(5000);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a server that keeps sending interims but never reads the audio: dropped for not draining, connection_failed', async ({ expect }) => {
    const srv = await wsServer((peer) => {
      peer.ws.send(started());
      peer.ws.pause();
      let n = 0;
      every(peer, 20, () => peer.ws.send(transcript(false, `chatter ${n++}`, 0, 0.01)));
    });
    const out = await stream(srv.url, { ...FAST, sampleRate: 48000, channels: 2, replayWindowSeconds: 120 }, ramp(60, 48000, 2));
    expect(out.error).toMatchObject({ code: 'connection_failed' });
    expect((out.error as Error).message).toMatch(
      /^Gave up reconnecting after 4 failed attempts \(`reconnect.retries` is 3\): 4 connections in a row were stalled; last: connection_lost: Connection dropped: the server read nothing for 300 ms \(`stallTimeoutMs`\) while \d+ bytes waited to be sent$/,
    );
    expect(srv.peers).toHaveLength(4);
    expect(out.events.filter((e) => e.type === 'interim').length).toBeGreaterThan(0);
    expect(out.elapsed).toBeLessThan(5000);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a server that reads the audio and keeps sending interims but never answers `end`: endTimeoutMs ends the stream with timeout', async ({ expect }) => {
    const srv = await wsServer((peer) => {
      peer.ws.send(started());
      every(peer, 20, () => peer.ws.send(transcript(false, 'chatter', 0, 0.01)));
    });
    const out = await stream(srv.url, { ...FAST, endTimeoutMs: 1000 }, ramp(1));
    expect(out.error).toMatchObject({ code: 'timeout' });
    // It is not silent, so its connection is kept; it confirms nothing, so the stream ends at the bound.
    // Its last message came well within the bound (every 20 ms; a loaded machine may delay one timer).
    expect((out.error as Error).message).toMatch(
      /^No final confirmed new audio for 1000 ms after the end of the audio \(`endTimeoutMs`\): the server sent \d+ message\(s\) but no final for new audio \(the last 0\.[0-4] s ago\)$/,
    );
    expect(out.elapsed).toBeGreaterThanOrEqual(1000);
    expect(out.elapsed).toBeLessThan(2000);
    expect(srv.peers).toHaveLength(1);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a server that reads everything but ignores `end`: replaced after stallTimeoutMs each time, connection_failed', async ({ expect }) => {
    const srv = await wsServer((peer) => peer.ws.send(started()));
    const out = await stream(srv.url, FAST, ramp(1));
    expect(out.error).toMatchObject({
      code: 'connection_failed',
      message: 'Gave up reconnecting after 4 failed attempts (\`reconnect.retries\` is 3): 4 connections in a row were stalled; last: connection_lost: Connection dropped: no answer to `end` for 300 ms (`stallTimeoutMs`)',
    });
    expect(srv.peers).toHaveLength(4);
    // Each connection got the whole second of audio (nothing was confirmed) and `end`.
    for (const p of srv.peers) {
      expect(p.audioBytes).toBe(32000);
      expect(p.texts.filter((t) => t.includes('"end"'))).toHaveLength(1);
    }
    expect(out.elapsed).toBeLessThan(4000);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a server that ignores `end`, with a generous retry budget: endTimeoutMs ends the stream with timeout', async ({ expect }) => {
    const srv = await wsServer((peer) => peer.ws.send(started()));
    const out = await stream(srv.url, { ...FAST, reconnect: { retries: 100, minDelayMs: 50, maxDelayMs: 200, maxRetryTimeMs: 600_000 }, endTimeoutMs: 1000 });
    expect(out.error).toMatchObject({ code: 'timeout', cause: { code: 'connection_lost' } });
    expect((out.error as Error).message).toMatch(
      /^No final confirmed new audio for 1000 ms after the end of the audio \(`endTimeoutMs`\): (\d connections in a row were stalled|the last connection was stalled \d\.\d s after opening)$/,
    );
    expect(out.elapsed).toBeGreaterThanOrEqual(1000);
    expect(out.elapsed).toBeLessThan(2500);
    expect(srv.peers.length).toBeGreaterThanOrEqual(2);
    expect(srv.peers.length).toBeLessThanOrEqual(4);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a frame header claiming 2^52 bytes, then silence: protocol_error at once, one connection', async ({ expect }) => {
    const srv = await rawServer((socket) => {
      socket.write(textFrame(started()));
      const header = Buffer.alloc(10);
      header[0] = 0x81;
      header[1] = 127;
      header.writeUInt32BE(0x00100000, 2); // 2^52
      socket.write(header);
    });
    const out = await stream(srv.url, FAST, ramp(1));
    expect(out.error).toMatchObject({
      code: 'protocol_error',
      closeCode: 1009,
      message: "Connection closed (1009): the server sent a message over the 1048576-byte limit (createWsTransport's `clientOptions.maxPayload`; ws: WS_ERR_UNSUPPORTED_MESSAGE_LENGTH)",
    });
    expect(srv.upgrades).toHaveLength(1);
    expect(out.elapsed).toBeLessThan(1000);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a frame header claiming 1,000,000 bytes (under the limit), then silence: the unanswered `end` bounds each connection, connection_failed', async ({ expect }) => {
    const srv = await rawServer((socket) => {
      socket.write(textFrame(started()));
      const header = Buffer.alloc(10);
      header[0] = 0x81;
      header[1] = 127;
      header.writeUInt32BE(1_000_000, 6);
      socket.write(header);
    });
    const out = await stream(srv.url, FAST, ramp(1));
    expect(out.error).toMatchObject({
      code: 'connection_failed',
      message: 'Gave up reconnecting after 4 failed attempts (\`reconnect.retries\` is 3): 4 connections in a row were stalled; last: connection_lost: Connection dropped: no answer to `end` for 300 ms (`stallTimeoutMs`)',
    });
    expect(srv.upgrades).toHaveLength(4);
    expect(out.elapsed).toBeLessThan(4000);
    expect(await closeServer(srv)).toBe(0);
  });

  const closers: [string, (peer: Peer) => void, string][] = [
    ['1000 before anything', (p) => p.ws.close(1000, 'bye'), 'connection_lost: Connection closed (1000) before the session ended: bye'],
    [
      '1000 right after session.started',
      (p) => {
        p.ws.send(started());
        p.ws.close(1000);
      },
      'connection_lost: Connection closed (1000) before the session ended',
    ],
    [
      '4010 (maximum session length)',
      (p) => {
        p.ws.send(started());
        p.ws.send(JSON.stringify({ type: 'error', error: { code: 'session_limit', message: 'The session reached its maximum length' } }));
        p.ws.close(4010, 'session_limit');
      },
      'session_limit: Connection closed (4010): The session reached its maximum length',
    ],
    [
      '4008 (idle)',
      (p) => {
        p.ws.send(started());
        p.ws.send(JSON.stringify({ type: 'error', error: { code: 'idle_timeout', message: 'No message for 10 s' } }));
        p.ws.close(4008, 'idle_timeout');
      },
      'idle_timeout: Connection closed (4008): No message for 10 s',
    ],
  ];
  for (const [name, behave, last] of closers) {
    it(`a server that closes every connection at once with ${name}: retries+1 connections with backoff, then connection_failed`, async ({ expect }) => {
      const srv = await wsServer(behave);
      const out = await stream(srv.url, FAST, ramp(1));
      const code = last.includes('(4010)') ? 4010 : last.includes('(4008)') ? 4008 : 1000;
      expect(out.error).toMatchObject({
        code: 'connection_failed',
        message: `Gave up reconnecting after 4 failed attempts (\`reconnect.retries\` is 3): 4 connections in a row were closed with ${code} (${last.split(':')[0]}) right after opening; last: ${last}`,
      });
      expect(srv.peers).toHaveLength(4);
      expect(out.reconnecting.map((r) => r.attempt)).toEqual([1, 2, 3]);
      out.reconnecting.forEach((r, i) => {
        const [lo, hi] = backoffRange(i + 1);
        expect(r.delayMs).toBeGreaterThanOrEqual(lo);
        expect(r.delayMs).toBeLessThanOrEqual(hi);
        // The next connection came no sooner than the delay said.
        expect(srv.peers[i + 1]!.at - r.at).toBeGreaterThanOrEqual(r.delayMs - 5);
      });
      expect(out.elapsed).toBeLessThan(2000);
      expect(await closeServer(srv)).toBe(0);
    });
  }

  it('a server that floods finals while the reader never reads: slow_reader, and nothing grows past maxBufferedEvents', async ({ expect }) => {
    const srv = await wsServer((peer) => {
      peer.ws.send(started());
      onEnd(peer, () => {
        for (let i = 0; i < 2000 && peer.ws.readyState === peer.ws.OPEN; i++) peer.ws.send(transcript(true, `f${i}`, i / 1000, (i + 1) / 1000));
      });
    });
    const t = createTranscriber({ model: 'm', url: srv.url, apiKey: KEY, ...FAST, maxBufferedEvents: 16 });
    const begin = Date.now();
    const writer = t.writable.getWriter();
    await writer.write({ data: ramp(2), sampleRate: 16000, channels: 1 });
    const closing = writer.close().then(
      () => null,
      (err: unknown) => err,
    );
    const err = await closing;
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({
      code: 'slow_reader',
      message: 'More than 16 transcript events waited for the reader; read faster or raise `maxBufferedEvents`',
    });
    expect(Date.now() - begin).toBeLessThan(2000);
    // The reader, coming late, gets the same error.
    await expect(t.readable.getReader().read()).rejects.toBe(err);
    expect(srv.peers).toHaveLength(1);
    expect(await closeServer(srv)).toBe(0);
  });

  it('a server that echoes the key in its error message, param and close reason: redacted from the SttError and every event', async ({ expect }) => {
    const srv = await wsServer((peer) => {
      const key = String(peer.req.headers.authorization).replace(/^Bearer /, '');
      peer.ws.send(started());
      peer.ws.send(JSON.stringify({ type: 'error', error: { code: 'unauthenticated', message: `Invalid key ${key} (Bearer ${key})`, param: key } }));
      peer.ws.close(4001, `bad key ${key}`);
    });
    const out = await stream(srv.url, FAST, ramp(1));
    expect(srv.peers[0]!.req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(out.error).toMatchObject({
      code: 'unauthenticated',
      closeCode: 4001,
      message: 'Connection closed (4001): Invalid key [redacted] (Bearer [redacted])',
    });
    const err = out.error as SttError;
    const seen = [
      err.message,
      String(err.stack),
      JSON.stringify(err),
      JSON.stringify({ ...err, param: err.param, cause: String(err.cause) }),
      JSON.stringify(out.notices),
      JSON.stringify(out.events),
    ].join('\n');
    expect(seen).not.toContain(KEY);
    expect(out.notices.find((n) => n.name === 'close')?.info).toEqual({ code: 4001, reason: 'bad key [redacted]' });
    expect(srv.peers).toHaveLength(1);
    expect(await closeServer(srv)).toBe(0);
  });
});

describe.concurrent('finals that break the contract are protocol_error events, not delivered, and do not move the commit point', () => {
  // Connection 1 sends an honest final for 0–0.5 s, then the bad message, then drops. If the bad
  // message had moved the commit point, connection 2 would not get the audio from 0.5 s again.
  const sent = '2.000';
  const bad: [string, string, string][] = [
    ['a final ending seconds beyond the audio sent', transcript(true, 'BAD', 0.5, 5), `a final ending at 5 s, beyond the ${sent} s of audio sent on this connection`],
    ['a final ending at 1e6 s', transcript(true, 'BAD', 0.5, 1e6), `a final ending at 1000000 s, beyond the ${sent} s of audio sent on this connection`],
    ['a final ending at 1e308 s', transcript(true, 'BAD', 0.5, 1e308), `a final ending at 1e+308 s, beyond the ${sent} s of audio sent on this connection`],
    ['an interim ending beyond the audio sent', transcript(false, 'BAD', 0.5, 30), `an interim ending at 30 s, beyond the ${sent} s of audio sent on this connection`],
    ['a final overlapping the previous one', transcript(true, 'BAD', 0.25, 1.5), 'a final starting at 0.25 s overlaps the previous final on channel 0 (it ended at 0.5 s)'],
    ['a final on channel 7 of a mono stream', transcript(true, 'BAD', 0.5, 1.5, 7), 'a final on channel 7 of a 1-channel stream'],
    ['a second session.started on one connection', started('sess_again'), 'a second `session.started` on one connection'],
  ];
  for (const [name, message, problem] of bad) {
    it(name, async ({ expect }) => {
      const srv = await wsServer(
        (peer) => {
          peer.ws.send(started(`sess_${peer.index}`));
          onEnd(peer, () => {
            if (peer.index === 0) {
              peer.ws.send(transcript(true, 'F1', 0, 0.5));
              peer.ws.send(message);
              // A message after the bad one, so the drop comes once the client has read them all.
              peer.ws.send(JSON.stringify({ type: 'speech_started', timestamp: 0.5 }));
              setTimeout(() => peer.ws.terminate(), 100);
            } else {
              const seconds = peer.audioBytes / 32000;
              peer.ws.send(transcript(true, 'F2', 0, seconds));
              peer.ws.send(JSON.stringify({ type: 'session.ended', duration: seconds }));
              peer.ws.close(1000);
            }
          });
        },
        { keepAudio: true },
      );
      const audio = ramp(2);
      const out = await stream(srv.url, FAST, audio);
      expect(out.error).toBeNull();
      expect(out.errors).toHaveLength(1);
      expect(out.errors[0]).toBeInstanceOf(SttError);
      expect(out.errors[0]).toMatchObject({ code: 'protocol_error', message: `Server message rejected: ${problem}` });
      // Only the honest finals, at stream times; nothing of the bad message.
      expect(finalsOf(out.events).map((f) => [f.text, f.start, f.end])).toEqual([
        ['F1', 0, 0.5],
        ['F2', 0.5, 2],
      ]);
      expect(JSON.stringify(out.events)).not.toContain('BAD');
      // The reconnect replayed the audio after the honest final, byte for byte.
      expect(srv.peers).toHaveLength(2);
      const replayed = Buffer.concat(srv.peers[1]!.audio);
      expect(replayed.length).toBe(48000);
      expect(replayed.equals(Buffer.from(audio.buffer, 8000 * 2, 24000 * 2))).toBe(true);
      expect(out.notices.filter((n) => n.name === 'reconnected').map((n) => n.info)).toEqual([{ sessionId: 'sess_1', replayedSeconds: 1.5 }]);
      expect(await closeServer(srv)).toBe(0);
    });
  }
});

/** The heap still in use after a full garbage collection (gc is exposed at run time for this). */
function retainedHeap(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

describe('a flood of interims toward a slow reader', () => {
  it('100,000 interims a second while the reader takes one event per 50 ms: memory stays flat, the reader gets the latest interim and every final', async () => {
    const FLOOD_MS = 3000;
    let interimsSent = 0;
    let floodStart = 0;
    let floodEnd = 0;
    const srv = await wsServer((peer) => {
      peer.ws.send(started());
      onEnd(peer, () => {
        const ws = peer.ws;
        const begin = (floodStart = Date.now());
        let finals = 0;
        let lastFinalAt = begin;
        const timer = setInterval(() => {
          if (ws.readyState !== ws.OPEN) return clearInterval(timer);
          const from = finals / 10;
          if (Date.now() - begin < FLOOD_MS) {
            // 1000 interims per 10 ms, as far as the client takes them (no unbounded queue on our side).
            if (ws.bufferedAmount < 1 << 20) {
              for (let i = 0; i < 1000; i++) ws.send(transcript(false, `i${interimsSent++}`, from, from + 0.1));
            }
            if (Date.now() - lastFinalAt >= 150 && finals < 19) {
              lastFinalAt = Date.now();
              finals++;
              ws.send(transcript(true, `final ${finals}`, from, from + 0.1));
            }
            return;
          }
          clearInterval(timer);
          floodEnd = Date.now();
          while (finals < 19) {
            const f = finals / 10;
            finals++;
            ws.send(transcript(true, `final ${finals}`, f, f + 0.1));
          }
          ws.send(transcript(false, 'latest', 1.9, 2));
          ws.send(transcript(true, 'final 20', 1.9, 2));
          ws.send(JSON.stringify({ type: 'session.ended', duration: 2 }));
          ws.close(1000);
        }, 10);
        ws.on('close', () => clearInterval(timer));
      });
    });
    const heap0 = retainedHeap();
    const t = createTranscriber({ model: 'm', url: srv.url, apiKey: KEY, ...FAST });
    const begin = Date.now();
    const piping = framesOf(ramp(2), 16000, 1).pipeTo(t.writable);
    const reader = t.readable.getReader();
    const events: TranscriptEvent[] = [];
    let rssWarm = 0; // RSS once the flood has run for a second (V8's young generation has grown to its size by then)
    let rssMax = 0;
    let heapAtFloodEnd = -1;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      events.push(value);
      const rss = process.memoryUsage().rss;
      if (floodStart > 0 && Date.now() - floodStart >= 1000) {
        rssWarm ||= rss;
        rssMax = Math.max(rssMax, rss);
      }
      if (floodEnd > 0 && heapAtFloodEnd < 0) {
        heapAtFloodEnd = retainedHeap();
        if (heapAtFloodEnd - heap0 >= 10 << 20) {
          await reader.cancel(); // the flood was kept: fail below, without reading it all
          break;
        }
      }
      await sleep(50);
    }
    await piping.catch(() => undefined);
    const elapsed = Date.now() - begin;
    // The flood was real: at least 100,000 interims reached the client (the target rate is 100,000/s).
    expect(interimsSent).toBeGreaterThanOrEqual(100_000);
    // Memory stayed flat: RSS over the last two seconds of the flood, and what is still held after it.
    expect(rssWarm).toBeGreaterThan(0);
    expect(rssMax - rssWarm).toBeLessThan(50 << 20);
    expect(heapAtFloodEnd - heap0).toBeLessThan(10 << 20);
    // Every final, once, in order; just before the last one, the latest interim.
    const finals = finalsOf(events);
    expect(finals.map((f) => f.text)).toEqual(Array.from({ length: 20 }, (_, i) => `final ${i + 1}`));
    const last = events.findIndex((e) => e.type === 'final' && e.text === 'final 20');
    expect(events[last - 1]).toMatchObject({ type: 'interim', text: 'latest' });
    // Interims replaced each other: the reader read a few hundred events, not the flood.
    expect(events.length).toBeLessThan(200);
    // Reading the rest did not wedge: ~50 ms per event plus the flood.
    expect(elapsed).toBeLessThan(FLOOD_MS + events.length * 50 + 3000);
    expect(await closeServer(srv)).toBe(0);
  });
});

describe('options out of range', () => {
  const cases: [string, Partial<TranscriberOptions>, string][] = [
    ['replayWindowSeconds', { replayWindowSeconds: 1e6 }, 'Invalid option `replayWindowSeconds`: must be from 1 to 300, got 1000000'],
    ['replayWindowSeconds', { replayWindowSeconds: 0 }, 'Invalid option `replayWindowSeconds`: must be from 1 to 300, got 0'],
    ['replayWindowSeconds', { replayWindowSeconds: Infinity }, 'Invalid option `replayWindowSeconds`: must be from 1 to 300, got Infinity'],
    ['stallTimeoutMs', { stallTimeoutMs: 0 }, 'Invalid option `stallTimeoutMs`: must be from 100 to 300000, got 0'],
    ['connectTimeoutMs', { connectTimeoutMs: 1e9 }, 'Invalid option `connectTimeoutMs`: must be from 100 to 300000, got 1000000000'],
    ['endTimeoutMs', { endTimeoutMs: 600_001 }, 'Invalid option `endTimeoutMs`: must be from 100 to 600000, got 600001'],
    ['keepAliveMs', { keepAliveMs: 10 }, 'Invalid option `keepAliveMs`: must be from 100 to 60000, got 10'],
    ['maxBufferedEvents', { maxBufferedEvents: 1e9 }, 'Invalid option `maxBufferedEvents`: must be from 16 to 1000000, got 1000000000'],
    ['readableHighWaterMark', { readableHighWaterMark: 0 }, 'Invalid option `readableHighWaterMark`: must be from 1 to 10000, got 0'],
    ['highWaterMarkBytes', { highWaterMarkBytes: 1 }, 'Invalid option `highWaterMarkBytes`: must be from 1024 to 67108864, got 1'],
    ['windowWaitMs', { windowWaitMs: -1 }, 'Invalid option `windowWaitMs`: must be from 0 to 600000, got -1'],
    ['realtimeFactor', { realtimeFactor: 0 }, 'Invalid option `realtimeFactor`: must be from 0.1 to 1000, got 0'],
    ['sampleRate', { sampleRate: 96000 }, 'Invalid option `sampleRate`: must be from 8000 to 48000, got 96000'],
    ['reconnect.retries', { reconnect: { retries: 1e6 } }, 'Invalid option `reconnect.retries`: must be from 0 to 100, got 1000000'],
    ['reconnect.minDelayMs', { reconnect: { minDelayMs: 3_600_000 } }, 'Invalid option `reconnect.minDelayMs`: must be from 0 to 60000, got 3600000'],
    ['reconnect.maxDelayMs', { reconnect: { maxDelayMs: 1e9 } }, 'Invalid option `reconnect.maxDelayMs`: must be from 0 to 600000, got 1000000000'],
    ['reconnect.maxRetryTimeMs', { reconnect: { maxRetryTimeMs: 1e12 } }, 'Invalid option `reconnect.maxRetryTimeMs`: must be from 0 to 3600000, got 1000000000000'],
  ];
  for (const [name, options, message] of cases) {
    it(`${name}: ${JSON.stringify(options)} is a RangeError naming the option and its range, thrown by createTranscriber itself`, () => {
      let thrown: unknown;
      try {
        createTranscriber({ model: 'm', url: 'ws://127.0.0.1:9/v1/stt/stream', apiKey: KEY, ...options });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(RangeError);
      expect((thrown as Error).message).toBe(message);
    });
  }
});
