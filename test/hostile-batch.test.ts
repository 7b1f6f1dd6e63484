// The batch client against hostile HTTP servers: a 200 MB answer,
// redirects to another origin, a key echoed back. Raw node:http servers on
// 127.0.0.1; each test asserts the code, the time, and that nothing is left
// running.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { transcribe } from '@stt-stream/node';
import { MAX_ERROR_BODY_BYTES, MAX_RESPONSE_BYTES } from '@stt-stream/core/internal';
import { dtmfWav } from '@stt-stream/emulator';
import { describe, expect, it } from 'vitest';
import { listen, nothingLeftRunning } from './hostile-servers.ts';
import { rejection } from './rejection.ts';

const KEY = 'sk_test_hostile_batch_77';
const WAV = dtmfWav('1').wav;
const fast = { minRetryDelayMs: 1, maxRetryDelayMs: 2 };

const cleanup = nothingLeftRunning();

/** A raw HTTP server; `requests` counts what reached it (the body read to its end first). */
async function httpServer(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: { method: string; url: string; bytes: number; authorization: string | undefined }[] = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => (bytes += c.length));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', bytes, authorization: req.headers.authorization });
      handle(req, res);
    });
  });
  const l = await listen(server);
  cleanup(l.close);
  return { ...l, base: `http://${l.origin}`, requests };
}

const rssMb = () => process.memoryUsage().rss / (1 << 20);

describe('batch against hostile servers', () => {
  it('the limits are what the docs say', () => {
    expect(MAX_RESPONSE_BYTES).toBe(8 * 1024 * 1024);
    expect(MAX_ERROR_BODY_BYTES).toBe(64 * 1024);
  });

  for (const [status, framing, code] of [
    [200, 'chunked', 'protocol_error'],
    [200, 'content-length', 'protocol_error'],
    [500, 'chunked', 'server_error'],
    [500, 'content-length', 'server_error'],
  ] as const) {
    it(`a ${status} with a 200 MB body (${framing}) fails with ${code} at once, without buffering it`, async () => {
      const size = 200 << 20;
      const srv = await httpServer((_req, res) => {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': 'req_big' };
        if (framing === 'content-length') headers['content-length'] = String(size);
        res.writeHead(status, headers);
        res.socket!.on('error', () => undefined);
        res.on('error', () => undefined);
        // Raw bytes after the head: the JSON never closes.
        const write = (chunk: Buffer) => res.write(chunk);
        let left = size;
        const chunk = Buffer.alloc(1 << 20, 0x20);
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            left -= chunk.length;
            if (!write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      });
      global.gc?.();
      const before = rssMb();
      const started = Date.now();
      const err = await rejection(transcribe(WAV, { model: 'm', apiKey: KEY, baseUrl: srv.base, retries: 1, ...fast }));
      const took = Date.now() - started;
      const grew = rssMb() - before;
      expect(err).toMatchObject({ code, status, requestId: 'req_big' });
      if (status === 200) {
        expect(err.message).toBe(
          `The gateway's response is over 8388608 bytes (8 MiB), the most a transcription response may be; it was not read`,
        );
        expect(err.retryable).toBe(false);
        expect(srv.requests).toHaveLength(1);
      } else {
        expect(err.message).toBe(`Transcription failed (an error body over ${MAX_ERROR_BODY_BYTES} bytes, not read): 500 request failed`);
        expect(err.retryable).toBe(true);
        expect(srv.requests).toHaveLength(2); // retried once, each answer dropped unread
      }
      expect(took).toBeLessThan(3000);
      expect(grew).toBeLessThan(64); // MB; reading it all grew RSS by ~800 MB
    });
  }

  it('a 200 with a body just under the limit is read (a large transcription is fine)', async () => {
    const text = 'x'.repeat(MAX_RESPONSE_BYTES - 200);
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text, duration: 1, language: null, confidence: null, words: null, model: 'm' }));
    });
    const result = await transcribe(WAV, { model: 'm', baseUrl: srv.base });
    expect(result.text.length).toBe(text.length);
  });

  for (const status of [301, 302, 307, 308]) {
    it(`a ${status} to another origin is not followed: the audio goes nowhere else, connection_failed names the status and origin`, async () => {
      const second = await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: 'not from the gateway', duration: 1, model: 'm' }));
      });
      const first = await httpServer((_req, res) => {
        res.writeHead(status, { location: `${second.base}/v1/stt/transcribe`, 'x-request-id': 'req_moved' });
        res.end();
      });
      const started = Date.now();
      const err = await rejection(transcribe(WAV, { model: 'm', apiKey: KEY, baseUrl: first.base, retries: 3, ...fast }));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(err).toMatchObject({ code: 'connection_failed', status, requestId: 'req_moved', retryable: false });
      expect(err.message).toBe(
        `Transcription failed: ${status} redirect to ${second.base}, not followed: redirects are refused (point the client at the address that answers)`,
      );
      expect(first.requests).toHaveLength(1);
      expect(first.requests[0]!.bytes).toBeGreaterThan(WAV.length);
      expect(second.requests).toHaveLength(0);
    });
  }

  it('a redirect to the same origin is refused too (one rule for every runtime: a browser cannot see where it goes)', async () => {
    const srv = await httpServer((req, res) => {
      if (req.url === '/v1/stt/transcribe') {
        res.writeHead(307, { location: '/moved/v1/stt/transcribe' });
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ text: 'moved', duration: 1, model: 'm' }));
      }
    });
    const err = await rejection(transcribe(WAV, { model: 'm', baseUrl: srv.base }));
    expect(err).toMatchObject({ code: 'connection_failed', status: 307 });
    expect(err.message).toBe(
      'Transcription failed: 307 redirect to another path on the same origin, not followed: redirects are refused (point the client at the address that answers)',
    );
    expect(srv.requests.map((r) => r.url)).toEqual(['/v1/stt/transcribe']);
  });

  it('a server that echoes the key back: the SttError never holds it', async () => {
    const srv = await httpServer((req, res) => {
      const body = JSON.stringify({ error: { code: 'unauthenticated', message: `No such key: ${String(req.headers.authorization)}`, param: 'authorization' } });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(body);
    });
    const err = await rejection(transcribe(WAV, { model: 'm', apiKey: KEY, baseUrl: srv.base }));
    expect(srv.requests[0]!.authorization).toBe(`Bearer ${KEY}`);
    expect(err).toMatchObject({ code: 'unauthenticated', status: 401, param: 'authorization', retryable: false });
    expect(err.message).toBe('Transcription failed: 401 No such key: Bearer [redacted]');
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(KEY);
  });

  it('a 404 (the URL is not a gateway) is not_found', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<h1>Not Found</h1>');
    });
    const err = await rejection(transcribe(WAV, { model: 'm', baseUrl: srv.base, retries: 2, ...fast }));
    expect(err).toMatchObject({ code: 'not_found', status: 404, retryable: false });
    expect(srv.requests).toHaveLength(1);
  });
});
