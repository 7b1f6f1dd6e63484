/**
 * A raw `ws` client for the emulator's tests: records every message, the
 * close, and a refused upgrade's response.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import WebSocket from 'ws';

/** A server message as JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = { type: string } & Record<string, any>;

/** What a refused upgrade answered. */
export interface Refusal {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A test connection. */
export interface TestClient {
  ws: WebSocket;
  messages: Message[];
  /** Headers of the 101 response. */
  upgradeHeaders: Promise<IncomingHttpHeaders>;
  /** Resolves on open; rejects with the refusal or error otherwise. */
  opened: Promise<void>;
  /** Resolves when the connection is closed, however. */
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Resolves with the refused upgrade's response (never, if it was accepted). */
  refused: Promise<Refusal>;
  /** Waits for a message matching `match` (seen before or after the call). */
  waitFor(match: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  /** Sends interleaved samples in messages of `frames` frames. */
  sendAudio(samples: Int16Array, frames: number, channels?: number): void;
  sendJson(value: unknown): void;
}

/**
 * Opens a connection.
 *
 * @example
 * ```ts
 * const client = connect(`${emulator.url}?model_id=m`, { headers: { Authorization: 'Bearer k' } });
 * await client.waitFor((m) => m.type === 'session.started');
 * ```
 */
export function connect(url: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}): TestClient {
  const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  let resolveRefused!: (r: Refusal) => void;
  const refused = new Promise<Refusal>((r) => (resolveRefused = r));
  const upgradeHeaders = new Promise<IncomingHttpHeaders>((resolve) => ws.once('upgrade', (res) => resolve(res.headers)));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    refused.then((r) => reject(new Error(`refused with ${r.status}`)));
  });
  opened.catch(() => {});
  ws.on('error', () => {});
  ws.on('unexpected-response', (_req, res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => {
      resolveRefused({ status: res.statusCode ?? 0, headers: res.headers, body });
      ws.terminate();
    });
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: performance.now() }));
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) throw new Error('the server sent a binary message');
    messages.push(JSON.parse(data.toString()) as Message);
    for (const w of waiters) w();
  });

  function waitFor(match: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = messages.find(match);
        if (found) {
          cleanup();
          resolve(found);
        }
        return !!found;
      };
      const onClose = (): void => {
        if (!check()) {
          cleanup();
          reject(new Error(`closed before the message came; got ${JSON.stringify(messages.map((m) => m.type))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out; got ${JSON.stringify(messages.map((m) => m.type))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
        ws.off('close', onClose);
      };
      const wake = (): void => void check();
      if (check()) return;
      waiters.add(wake);
      ws.once('close', onClose);
    });
  }

  return {
    ws,
    messages,
    upgradeHeaders,
    opened,
    closed,
    refused,
    waitFor,
    sendAudio(samples, frames, channels = 1) {
      for (let i = 0; i < samples.length; i += frames * channels) ws.send(samples.subarray(i, i + frames * channels));
    },
    sendJson(value) {
      ws.send(JSON.stringify(value));
    },
  };
}
