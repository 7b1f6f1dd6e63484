// Helpers of the hostile-server tests: raw `node:http` / `node:net`
// servers on 127.0.0.1, port 0, that misbehave where `ws` or a real gateway
// would refuse to, and the "nothing left running" check of no-leaks.test.ts.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { TransportHandlers } from '@stt-stream/core';
import { afterEach, beforeEach, expect } from 'vitest';

/** Active handles, less the ones a test runner keeps (as in no-leaks.test.ts). */
export const handles = (): string[] =>
  process
    .getActiveResourcesInfo()
    .filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'FSReqCallback')
    .sort();

/** What is active now that was not in `baseline` (a multiset difference), after up to `ms` (2 s) for sockets to close. */
export async function leftRunning(baseline: string[], ms = 2000): Promise<string[]> {
  const extra = () => {
    const rest = [...baseline];
    return handles().filter((h) => {
      const i = rest.indexOf(h);
      if (i === -1) return true;
      rest.splice(i, 1);
      return false;
    });
  };
  const until = performance.now() + ms;
  while (extra().length > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 10));
  return extra();
}

/**
 * Listens on 127.0.0.1, port 0; returns the port and a close that destroys
 * every socket the server saw (so a never-ending response stops).
 */
export async function listen(server: HttpServer | NetServer): Promise<{ port: number; origin: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The `Sec-WebSocket-Accept` for a client's key (RFC 6455). */
export const acceptKey = (key: string): string =>
  createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');

/** Writes `bytes` of filler to `socket` as fast as it takes them, until it closes or `bytes` are out. */
export function flood(socket: Socket, bytes: number, chunk = Buffer.alloc(1 << 20, 0x20)): void {
  let left = bytes;
  const pump = () => {
    while (left > 0 && !socket.destroyed) {
      const n = Math.min(left, chunk.length);
      left -= n;
      if (!socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        socket.once('drain', pump);
        return;
      }
    }
  };
  socket.on('error', () => undefined);
  pump();
}

/**
 * Registers the hooks of a test file whose tests must leave nothing running:
 * each test's cleanups run last-in first-out after it, then no socket,
 * server or timer may be left beside the ones there were before it.
 * Returns `cleanup(fn)`, to register a test's cleanup.
 */
export function nothingLeftRunning(): (fn: () => unknown) => void {
  let cleanups: (() => unknown)[] = [];
  let baseline: string[] = [];
  beforeEach(async () => {
    await new Promise((r) => setTimeout(r, 20));
    baseline = handles();
    cleanups = [];
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    expect(await leftRunning(baseline)).toEqual([]);
  });
  return (fn) => void cleanups.push(fn);
}

/** Transport handlers that record what a connection delivered; `closed` resolves at its close. */
export function recorder() {
  const messages: (string | ArrayBuffer | Uint8Array)[] = [];
  const closes: [number, string][] = [];
  let onClose: () => void = () => {};
  const closed = new Promise<void>((resolve) => (onClose = resolve));
  const handlers: TransportHandlers = {
    message: (data) => messages.push(data),
    close: (code, reason) => {
      closes.push([code, reason]);
      onClose();
    },
  };
  return { messages, closes, closed, handlers };
}
