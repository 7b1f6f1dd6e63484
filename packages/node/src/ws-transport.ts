/**
 * The transport over the `ws` package (through isomorphic-ws): sends the
 * `Authorization` header, reads the status and error envelope of a refused
 * upgrade, takes an `http.Agent` (proxies), and drains by `ws`'s send
 * callbacks rather than by polling.
 *
 * @module
 */
import type { Agent, IncomingMessage } from 'node:http';
import WebSocket from 'isomorphic-ws';
import type { ClientOptions } from 'ws';
import {
  createSttError,
  type SttTransport,
  type TransportConnection,
  type TransportHandlers,
  type TransportRequest,
} from '@stt-stream/core';
import { connectAttempt, errorFromResponse, redactUrl } from '@stt-stream/core/internal';

/** Options for {@link createWsTransport}. */
export interface WsTransportOptions {
  /** An `http.Agent` (or `https.Agent`) for the upgrade request: a proxy agent, keep-alive, custom TLS. */
  agent?: Agent;
  /**
   * The `ws` `WebSocket` class to use.
   * @defaultValue the one isomorphic-ws re-exports from `ws`
   */
  WebSocket?: typeof WebSocket;
  /**
   * Further `ws` client options (TLS `ca`, `maxPayload`, …). `headers`,
   * `agent` and `handshakeTimeout` come from the request and the options
   * above.
   */
  clientOptions?: Omit<ClientOptions, 'headers' | 'agent' | 'handshakeTimeout'>;
}

const TEXT = { binary: false };
const BINARY = { binary: true };

/** The most of a refused upgrade's body we read: an error envelope is small. */
const MAX_ERROR_BODY = 64 * 1024;

const TLS_ERROR = /^(CERT_|ERR_TLS_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET|VERIFY)_)/;

/**
 * A transport over `ws` for Node. Unlike the standard `WebSocket` of Node
 * 22+, it sends the `Authorization` header on Node 20, lets the caller read
 * why a server refused the upgrade (status, `code`, `param`,
 * `x-request-id`, `Retry-After`), and goes through an `agent`.
 *
 * `connect` rejects with an `SttError`: the server's code and status when it
 * refused the upgrade, `connection_failed` (retryable) when nothing
 * answered, `timeout` when the handshake took longer than
 * `request.timeoutMs`, `aborted` when `request.signal` fired.
 *
 * @param options - agent, `ws` class, extra `ws` client options
 * @example Stream through a proxy agent
 * ```ts
 * import { HttpsProxyAgent } from 'https-proxy-agent';
 * const transcriber = createTranscriber({
 *   model: 'whisper-1',
 *   apiKey: process.env.STT_STREAM_API_KEY,
 *   transport: createWsTransport({ agent: new HttpsProxyAgent('http://proxy:3128') }),
 * });
 * ```
 */
export function createWsTransport(options: WsTransportOptions = {}): SttTransport {
  const Ctor = options.WebSocket ?? WebSocket;
  return {
    name: 'ws',
    supportsHeaders: true,
    connect(request: TransportRequest, handlers: TransportHandlers): Promise<TransportConnection> {
      const where = redactUrl(request.url);
      return new Promise<TransportConnection>((resolve, reject) => {
        if (request.signal?.aborted) {
          // Already aborted: fail before opening a socket at all.
          reject(createSttError('aborted', 'Connecting was aborted', { cause: request.signal.reason }));
          return;
        }
        let socket: WebSocket;
        try {
          socket = new Ctor(request.url, request.protocols, {
            perMessageDeflate: false,
            ...options.clientOptions,
            headers: request.headers,
            ...(options.agent ? { agent: options.agent } : {}),
          });
        } catch (cause) {
          reject(createSttError('connection_failed', `Cannot connect to ${where}: ${errorText(cause)}`, { cause, retryable: false }));
          return;
        }

        let opened = false;
        let closed = false;
        /** Sends whose callback has not come yet; drain waits on their callbacks. */
        let pendingSends = 0;
        const waiters = new Set<{ bytes: number; done: () => void }>();
        let lastError: Error | undefined;

        const checkWaiters = () => {
          for (const w of waiters) {
            if (closed || socket.readyState !== WebSocket.OPEN || socket.bufferedAmount < w.bytes || pendingSends === 0) {
              waiters.delete(w);
              w.done();
            }
          }
        };
        // One callback for every send: the socket then batches its after-write work.
        const onSent = () => {
          // An error here is followed by 'close'; the callback only counts.
          pendingSends--;
          if (waiters.size > 0) checkWaiters();
        };
        const attempt = connectAttempt<TransportConnection>(request, where, resolve, reject, () => socket.terminate());
        const fail = attempt.fail;

        socket.on('unexpected-response', (_req, res: IncomingMessage) => {
          readBody(res).then(
            (body) => fail(errorFromResponse(res.statusCode ?? 0, parseJson(body), headerReader(res), `Cannot connect to ${where}`)),
            () => fail(errorFromResponse(res.statusCode ?? 0, undefined, headerReader(res), `Cannot connect to ${where}`)),
          );
        });
        socket.on('open', () => {
          opened = attempt.succeed(connection);
        });
        socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
          if (!opened || closed) return;
          const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
          handlers.message(isBinary ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
        });
        socket.on('error', (err: Error & { code?: string }) => {
          lastError = err;
          if (opened) return; // 'close' follows with the code
          const code = err.code ?? '';
          const tls = TLS_ERROR.test(code);
          fail(
            createSttError('connection_failed', `Cannot connect to ${where}: ${errorText(err)}`, {
              cause: err,
              closeCode: 1006,
              retryable: !tls && !(err instanceof SyntaxError),
            }),
          );
        });
        socket.on('close', (code: number, reason: Buffer) => {
          if (!opened) {
            fail(createSttError('connection_failed', `Cannot connect to ${where}: closed with ${code}`, { closeCode: code }));
            return;
          }
          if (closed) return;
          closed = true;
          checkWaiters();
          const text = reason.toString('utf8') || (code === 1006 && lastError ? errorText(lastError) : '');
          handlers.close(code === 1005 || code === 0 ? 1006 : code, text);
        });

        const connection: TransportConnection = {
          get protocol() {
            return socket.protocol;
          },
          get bufferedAmount() {
            return socket.bufferedAmount;
          },
          send(data) {
            if (socket.readyState !== WebSocket.OPEN) return;
            pendingSends++;
            socket.send(data, typeof data === 'string' ? TEXT : BINARY, onSent);
          },
          drain(bytes) {
            return new Promise<void>((done) => {
              const w = { bytes, done };
              waiters.add(w);
              checkWaiters();
            });
          },
          terminate() {
            socket.terminate();
          },
          close(code, reason) {
            try {
              socket.close(code, reason);
            } catch {
              // A code `ws` will not send (1006, out of range): close plainly.
              socket.close();
            }
          },
        };
      });
    },
  };
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size >= MAX_ERROR_BODY) return;
      parts.push(chunk);
      size += chunk.length;
    });
    res.on('end', () => resolve(Buffer.concat(parts).subarray(0, MAX_ERROR_BODY).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerReader(res: IncomingMessage): { get(name: string): string | null } {
  return {
    get(name) {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : (v ?? null);
    },
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}

