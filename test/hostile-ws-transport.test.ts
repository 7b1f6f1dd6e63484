// The ws transport against hostile upgrade answers: a refusal whose
// body never ends, a redirect, a credential echoed back, an absurd frame.
// Raw node:http / node:net servers on 127.0.0.1, since `ws` will not misbehave.
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createTranscriber, createWsTransport } from '@stt-stream/node';
import { WebSocketServer } from 'ws';
import { describe, expect, it } from 'vitest';
import { acceptKey, flood, listen, nothingLeftRunning, recorder } from './hostile-servers.ts';
import { rejection } from './rejection.ts';

const KEY = 'sk_test_hostile_0451';
const TOKEN = 'tok_hostile_0452';

const cleanup = nothingLeftRunning();

const request = (url: string, timeoutMs = 10_000) => ({
  url,
  headers: { Authorization: `Bearer ${KEY}` },
  protocols: ['bearer', TOKEN],
  timeoutMs,
});

/** A server that answers every upgrade with `answer(req, socket)`. */
async function upgradeServer(answer: (req: IncomingMessage, socket: Socket) => void) {
  const server = createServer();
  const upgrades: IncomingMessage[] = [];
  server.on('upgrade', (req, socket: Socket) => {
    upgrades.push(req);
    socket.on('error', () => undefined);
    answer(req, socket);
  });
  const l = await listen(server);
  cleanup(l.close);
  return { ...l, url: `ws://${l.origin}/v1/stt/stream?model_id=m`, upgrades };
}

describe('ws transport against hostile servers', () => {
  for (const [name, body] of [
    ['sends no body and never ends it', 'none'],
    ['trickles a body forever', 'trickle'],
    ['floods a 200 MB body', 'flood'],
  ] as const) {
    it(`a 401 upgrade answer that ${name} is unauthenticated within 3 s, not a retried timeout`, async () => {
      const srv = await upgradeServer((_req, socket) => {
        socket.write('HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nx-request-id: req_hang\r\n\r\n');
        if (body === 'trickle') {
          const timer = setInterval(() => socket.write('1\r\n \r\n'), 50);
          socket.on('close', () => clearInterval(timer));
        } else if (body === 'flood') {
          socket.write(`${(200 << 20).toString(16)}\r\n`);
          flood(socket, 200 << 20);
        }
      });
      const rss = process.memoryUsage().rss;
      const started = Date.now();
      const err = await rejection(createWsTransport().connect(request(srv.url), recorder().handlers));
      const took = Date.now() - started;
      expect(err).toMatchObject({ code: 'unauthenticated', status: 401, requestId: 'req_hang', retryable: false });
      expect(err.message).toBe(`Cannot connect to ws://${srv.origin}/v1/stt/stream: 401 request failed`);
      expect(took).toBeLessThan(3000);
      if (body === 'flood') {
        expect(took).toBeLessThan(1500); // 64 KiB arrive at once: no wait for the 2 s bound
        expect(process.memoryUsage().rss - rss).toBeLessThan(64 << 20);
      }
      expect(srv.upgrades).toHaveLength(1);
    });
  }

  it('a short handshake timeout still gets the status, not a timeout, from a 401 whose body hangs', async () => {
    const srv = await upgradeServer((_req, socket) => {
      socket.write('HTTP/1.1 401 Unauthorized\r\ncontent-length: 100\r\n\r\n{"error":');
    });
    const started = Date.now();
    const err = await rejection(createWsTransport().connect(request(srv.url, 400), recorder().handlers));
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401 });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a refusal that echoes the key and the token: both are redacted from the message and param', async () => {
    const srv = await upgradeServer((req, socket) => {
      const echoed = `${String(req.headers.authorization)} / ${String(req.headers['sec-websocket-protocol'])}`;
      const body = JSON.stringify({ error: { code: 'unauthenticated', message: `Rejected credentials: ${echoed}`, param: KEY } });
      socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });
    const started = Date.now();
    const err = await rejection(createWsTransport().connect(request(srv.url), recorder().handlers));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401, param: '[redacted]' });
    expect(err.message).toBe(`Cannot connect to ws://${srv.origin}/v1/stt/stream: 401 Rejected credentials: Bearer [redacted] / bearer,[redacted]`);
  });

  for (const status of [301, 302, 307, 308]) {
    it(`a ${status} upgrade answer is not followed: connection_failed naming the status and the Location's origin`, async () => {
      // The second server would accept; it must never hear from us.
      const second = createServer();
      const wss = new WebSocketServer({ server: second });
      let secondRequests = 0;
      second.on('request', () => secondRequests++);
      second.on('upgrade', () => secondRequests++);
      const l2 = await listen(second);
      cleanup(() => {
        wss.close();
        return l2.close();
      });
      const srv = await upgradeServer((_req, socket) => {
        socket.end(`HTTP/1.1 ${status} Moved\r\nlocation: ws://${l2.origin}/v1/stt/stream?model_id=m\r\ncontent-length: 0\r\n\r\n`);
      });
      for (const clientOptions of [{}, { followRedirects: true } as object]) {
        const started = Date.now();
        const err = await rejection(createWsTransport({ clientOptions }).connect(request(srv.url), recorder().handlers));
        expect(Date.now() - started).toBeLessThan(1000);
        expect(err).toMatchObject({ code: 'connection_failed', status, retryable: false });
        expect(err.message).toBe(
          `Cannot connect to ws://${srv.origin}/v1/stt/stream: ${status} redirect to ws://${l2.origin}, not followed: redirects are refused (point the client at the address that answers)`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
      expect(secondRequests).toBe(0);
    });
  }

  /** A raw server that completes the handshake by hand, then runs `then` on the socket. */
  const rawAccept = (then: (socket: Socket) => void) =>
    upgradeServer((req, socket) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\nsec-websocket-protocol: bearer\r\n\r\n`,
      );
      then(socket);
    });

  for (const [claim, high, reason] of [
    ['2^52 bytes', 0x00100000, "the server sent a message over the 1048576-byte limit (createWsTransport's `clientOptions.maxPayload`; ws: WS_ERR_UNSUPPORTED_MESSAGE_LENGTH)"],
    ['2^63 - 1 bytes', 0x7fffffff, 'Unsupported WebSocket frame: payload length > 2^53 - 1 (WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH)'],
  ] as const) {
    it(`a frame header claiming ${claim} and then silence closes the connection at once (1009), instead of waiting for it`, async () => {
      const srv = await rawAccept((socket) => {
        // FIN + text, 127 = a 64-bit length; then nothing.
        const header = Buffer.alloc(10);
        header[0] = 0x81;
        header[1] = 127;
        header.writeUInt32BE(high, 2);
        socket.write(header);
      });
      const rec = recorder();
      const conn = await createWsTransport().connect(request(srv.url), rec.handlers);
      const started = Date.now();
      await rec.closed;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(rec.closes).toEqual([[1009, reason]]);
      expect(rec.messages).toHaveLength(0);
      conn.close();
    });
  }

  it('a message over 1 MiB closes with 1009 by default; clientOptions.maxPayload raises the bound', async () => {
    const big = 'x'.repeat((1 << 20) + 1);
    const server = createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => 'bearer' });
    wss.on('connection', (ws) => ws.send(big));
    const l = await listen(server);
    cleanup(() => {
      wss.close();
      return l.close();
    });
    const url = `ws://${l.origin}/v1/stt/stream`;
    const rec = recorder();
    const conn = await createWsTransport().connect(request(url), rec.handlers);
    const started = Date.now();
    await rec.closed;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(rec.closes).toEqual([[1009, "the server sent a message over the 1048576-byte limit (createWsTransport's `clientOptions.maxPayload`; ws: WS_ERR_UNSUPPORTED_MESSAGE_LENGTH)"]]);
    expect(rec.messages).toHaveLength(0);
    conn.close();
    const rec2 = recorder();
    const conn2 = await createWsTransport({ clientOptions: { maxPayload: 2 << 20 } }).connect(request(url), rec2.handlers);
    for (let i = 0; i < 100 && rec2.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(rec2.messages).toEqual([big]);
    conn2.close(1000);
    await rec2.closed;
  });

  it('a close reason that echoes the key is redacted before the transcriber reports it (one place: where the session takes what a server says)', async () => {
    const server = createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => 'bearer' });
    wss.on('connection', (ws, req) => ws.close(4001, `bad ${String(req.headers.authorization).slice(7)}`));
    const l = await listen(server);
    cleanup(() => {
      wss.close();
      return l.close();
    });
    const key = 'sk_live_echoed_0123456789';
    const t = createTranscriber({ model: 'm', url: `ws://${l.origin}/v1/stt/stream`, apiKey: key, transport: createWsTransport() });
    const closes: string[] = [];
    t.events.on('close', ({ reason }) => closes.push(reason));
    const writer = t.writable.getWriter();
    const failed = t.readable.getReader().read().then(
      () => null,
      (err: unknown) => err,
    );
    await writer.write({ data: new Int16Array(1600), sampleRate: 16000, channels: 1 }).catch(() => undefined);
    const error = (await failed) as Error;
    expect(error).toMatchObject({ code: 'unauthenticated', closeCode: 4001, message: 'Connection closed (4001): bad [redacted]' });
    expect(closes).toEqual(['bad [redacted]']);
  });
});
