import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { startEmulator } from '@stt-stream/emulator';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createWsTransport } from './ws-transport.ts';
import { recorder } from '../../../test/hostile-servers.ts';
import { rejection } from '../../../test/rejection.ts';

// A real `ws` server on 127.0.0.1, port 0; refusals are real HTTP responses
// written on the upgrade socket.

const KEY = 'sk_test_secret_123';
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Refusal {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

async function startServer(options: { refuse?: Refusal } = {}) {
  const server: Server = createServer();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has('bearer') ? 'bearer' : false) });
  const upgrades: IncomingMessage[] = [];
  const sockets: ServerSocket[] = [];
  server.on('upgrade', (req, socket: Socket, head) => {
    upgrades.push(req);
    const refuse = options.refuse;
    if (refuse) {
      const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(refuse.body)), ...refuse.headers };
      socket.end(
        `HTTP/1.1 ${refuse.status} Refused\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${refuse.body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.push(ws);
      wss.emit('connection', ws, req);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stt/stream?model_id=whisper-1`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, wss, url, upgrades, sockets };
}

const request = (url: string, extra: Partial<{ headers: Record<string, string>; protocols: string[]; timeoutMs: number; signal: AbortSignal }> = {}) => ({
  url,
  headers: { Authorization: `Bearer ${KEY}` },
  protocols: [],
  timeoutMs: 5000,
  ...extra,
});

describe('createWsTransport', () => {
  it('createWsTransport - sends the Authorization header, relays text and binary messages, reports close once', async () => {
    const srv = await startServer();
    srv.wss.on('connection', (ws) => {
      ws.send(JSON.stringify({ type: 'session.started', session_id: 's1' }));
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'bye') ws.close(1000, 'done');
        else ws.send(data, { binary: isBinary });
      });
    });
    const rec = recorder();
    const transport = createWsTransport();
    expect(transport).toMatchObject({ name: 'ws', supportsHeaders: true });
    const conn = await transport.connect(request(srv.url, { protocols: ['bearer', 'tok_abc'] }), rec.handlers);
    expect(srv.upgrades[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(srv.upgrades[0]!.headers['sec-websocket-protocol']).toMatch(/^bearer, ?tok_abc$/);
    expect(srv.upgrades[0]!.url).toBe('/v1/stt/stream?model_id=whisper-1');
    expect(conn.protocol).toBe('bearer');
    conn.send(new Uint8Array([1, 2, 3, 250]));
    conn.send('bye');
    await rec.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(rec.messages[0]).toBe('{"type":"session.started","session_id":"s1"}');
    expect(rec.messages[1]).toBeInstanceOf(Uint8Array);
    expect(Array.from(rec.messages[1] as Uint8Array)).toEqual([1, 2, 3, 250]);
    expect(rec.closes).toEqual([[1000, 'done']]);
    conn.send('after close'); // never throws once closed
    conn.close(1000);
  });

  it('createWsTransport - a refused upgrade rejects with the envelope code, status, param and request id', async () => {
    const body = JSON.stringify({ error: { code: 'unauthenticated', message: 'Invalid API key.', param: 'authorization' } });
    const srv = await startServer({ refuse: { status: 401, body, headers: { 'x-request-id': 'req_401' } } });
    const err = await rejection(createWsTransport().connect(request(srv.url), recorder().handlers));
    expect(err.name).toBe('SttAuthError');
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401, param: 'authorization', requestId: 'req_401', retryable: false });
    expect(err.message).toContain('Invalid API key.');
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain('model_id');
  });

  it('createWsTransport - a 429 refusal keeps Retry-After and is retryable', async () => {
    const body = JSON.stringify({ error: { code: 'rate_limited', message: 'Slow down.' } });
    const srv = await startServer({ refuse: { status: 429, body, headers: { 'retry-after': '2' } } });
    const err = await rejection(createWsTransport().connect(request(srv.url), recorder().handlers));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 2000, retryable: true });
  });

  it('createWsTransport - a refusal without an envelope falls back on the status', async () => {
    const srv = await startServer({ refuse: { status: 503, body: 'upstream down', headers: { 'content-type': 'text/plain' } } });
    const err = await rejection(createWsTransport().connect(request(srv.url), recorder().handlers));
    expect(err).toMatchObject({ code: 'server_error', status: 503, retryable: true });
  });

  it('createWsTransport - nothing listening is connection_failed, retryable', async () => {
    const probe = createNetServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const err = await rejection(createWsTransport().connect(request(`ws://127.0.0.1:${port}/v1/stt/stream`), recorder().handlers));
    expect(err).toMatchObject({ code: 'connection_failed', retryable: true, closeCode: 1006 });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('createWsTransport - a handshake with no answer times out', async () => {
    const silent = createNetServer((socket) => cleanups.push(() => socket.destroy())).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => new Promise((r) => silent.close(r)));
    const started = Date.now();
    const err = await rejection(
      createWsTransport().connect(request(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, { timeoutMs: 150 }), recorder().handlers),
    );
    expect(err).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('createWsTransport - the signal aborts the handshake, and an aborted signal never connects', async () => {
    const silent = createNetServer((socket) => cleanups.push(() => socket.destroy())).listen(0, '127.0.0.1');
    await once(silent, 'listening');
    cleanups.push(() => new Promise((r) => silent.close(r)));
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    const controller = new AbortController();
    const pending = createWsTransport().connect(request(url, { signal: controller.signal }), recorder().handlers);
    setTimeout(() => controller.abort(), 30);
    expect(await rejection(pending)).toMatchObject({ code: 'aborted', retryable: false });
    const srv = await startServer();
    const err = await rejection(createWsTransport().connect(request(srv.url, { signal: AbortSignal.abort() }), recorder().handlers));
    expect(err.code).toBe('aborted');
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.upgrades).toHaveLength(0);
  });

  it('createWsTransport - a socket that dies reports close 1006 exactly once', async () => {
    const srv = await startServer();
    srv.wss.on('connection', (ws) => setTimeout(() => ws.terminate(), 20));
    const rec = recorder();
    const conn = await createWsTransport().connect(request(srv.url), rec.handlers);
    await rec.closed;
    conn.close(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.closes).toHaveLength(1);
    expect(rec.closes[0]![0]).toBe(1006);
  });

  it('createWsTransport - drain waits while the peer does not read, and resolves when it reads again', async () => {
    const srv = await startServer();
    let received = 0;
    let serverSocket: Socket | undefined;
    srv.wss.on('connection', (ws, req) => {
      serverSocket = req.socket as Socket;
      serverSocket.pause(); // stop reading: TCP fills up, the client's buffer grows
      ws.on('message', (data: Buffer) => (received += data.length));
    });
    const rec = recorder();
    const conn = await createWsTransport().connect(request(srv.url), rec.handlers);
    await new Promise((r) => setTimeout(r, 20));
    const chunk = new Uint8Array(64 * 1024);
    const total = 256; // 16 MB, far beyond the socket buffers
    for (let i = 0; i < total; i++) conn.send(chunk);
    expect(conn.bufferedAmount).toBeGreaterThan(1 << 20);
    let drained = false;
    const drain = conn.drain!(1 << 20).then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 150));
    expect(drained).toBe(false);
    serverSocket!.resume();
    await drain;
    expect(conn.bufferedAmount).toBeLessThan(1 << 20);
    await conn.drain!(1);
    expect(conn.bufferedAmount).toBe(0);
    // What left the client's buffer may still be in the kernel's: the server reads it in its own time.
    for (let i = 0; i < 200 && received < total * chunk.length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe(total * chunk.length);
    conn.close(1000);
    await rec.closed;
  });

  it('createWsTransport - drain resolves when the connection closes', async () => {
    const srv = await startServer();
    srv.wss.on('connection', (_ws, req) => {
      req.socket.pause();
      setTimeout(() => req.socket.destroy(), 100);
    });
    const rec = recorder();
    const conn = await createWsTransport().connect(request(srv.url), rec.handlers);
    for (let i = 0; i < 128; i++) conn.send(new Uint8Array(64 * 1024));
    await conn.drain!(1);
    await rec.closed;
    expect(rec.closes[0]![0]).toBe(1006);
  });

  it('createWsTransport - an invalid URL is a non-retryable connection_failed', async () => {
    const err = await rejection(createWsTransport().connect(request('http//nope'), recorder().handlers));
    expect(err).toMatchObject({ code: 'connection_failed', retryable: false });
  });

  it('createWsTransport - against the emulator: Authorization header accepted, session.started, close 1000 after end', async () => {
    const emu = await startEmulator({ apiKeys: [KEY] });
    cleanups.push(() => emu.close());
    const rec = recorder();
    const conn = await createWsTransport().connect(request(`${emu.url}?model_id=whisper-1`), rec.handlers);
    conn.send(new Uint8Array(3200)); // 100 ms of silence
    conn.send(JSON.stringify({ type: 'end' }));
    await rec.closed;
    const types = rec.messages.map((m) => JSON.parse(m as string).type);
    expect(types[0]).toBe('session.started');
    expect(types.at(-1)).toBe('session.ended');
    expect(rec.closes).toEqual([[1000, expect.any(String)]]);
  });

  it('createWsTransport - against the emulator: a refused upgrade keeps status, code, request id and Retry-After', async () => {
    const emu = await startEmulator({ apiKeys: [KEY], faults: { refuse: { status: 429, retryAfter: 3 } } });
    cleanups.push(() => emu.close());
    const err = await rejection(createWsTransport().connect(request(`${emu.url}?model_id=whisper-1`), recorder().handlers));
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 3000, retryable: true });
    expect(err.requestId).toMatch(/^req_/);
    expect(emu.stats.refused).toBe(1);
  });
});
