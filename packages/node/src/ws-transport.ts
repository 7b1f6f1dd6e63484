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
import { checkOptionNames, connectAttempt, errorFromResponse, optionNames, redactUrl, requestSecrets } from '@stt-stream/core/internal';

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
   * above; redirects are never followed (`followRedirects` is always false).
   *
   * `maxPayload` bounds each incoming message: 1 MiB (1,048,576 bytes) unless
   * set here. A longer message closes the connection with 1009.
   */
  clientOptions?: Omit<ClientOptions, 'headers' | 'agent' | 'handshakeTimeout' | 'followRedirects' | 'maxRedirects'>;
}

/** The option names {@link createWsTransport} takes (`clientOptions` are `ws`'s own). */
export const WS_TRANSPORT_OPTIONS: readonly string[] = optionNames<WsTransportOptions>()(['agent', 'WebSocket', 'clientOptions']);

const TEXT = { binary: false };
const BINARY = { binary: true };

/** The most of a refused upgrade's body we read: an error envelope is small. */
const MAX_ERROR_BODY = 64 * 1024;
/** The longest we wait for a refused upgrade's body before deciding from the status and headers. */
const MAX_ERROR_BODY_MS = 2000;
/** The default bound on one incoming message (`ws`'s `maxPayload`). */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/**
 * How long a graceful close waits for the peer's answer before the socket is
 * dropped (`ws` itself would wait 30 s for a peer that never reads).
 */
export const CLOSE_WAIT_MS = 1000;

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
 * Bounds: a refused upgrade's body is read for at most 2 s and 64 KiB (then
 * the status and headers decide: a 401 whose body never ends is still
 * `unauthenticated`, at once); a redirect (3xx) is never followed and fails
 * with `connection_failed` naming the status and the `Location`'s origin;
 * each incoming message is at most `maxPayload` (1 MiB by default); a
 * graceful close that the peer does not answer within 1 s drops the socket. The request's credentials are
 * redacted from a refused upgrade's error (the transcriber redacts them from
 * what an open connection's server says).
 *
 * @param options - agent, `ws` class, extra `ws` client options
 * @throws TypeError for an unknown option, naming it
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
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, WS_TRANSPORT_OPTIONS, 'createWsTransport()');
  const Ctor = options.WebSocket ?? WebSocket;
  const keepsViews = Boolean(options.clientOptions?.perMessageDeflate || options.clientOptions?.generateMask);
  return {
    name: 'ws',
    supportsHeaders: true,
    connect(request: TransportRequest, handlers: TransportHandlers): Promise<TransportConnection> {
      const where = redactUrl(request.url);
      const secrets = requestSecrets(request);
      const startedAt = performance.now();
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
            maxPayload: DEFAULT_MAX_PAYLOAD,
            ...options.clientOptions,
            followRedirects: false,
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
          const status = res.statusCode ?? 0;
          const decide = (body: string | undefined) =>
            fail(errorFromResponse(status, body === undefined ? undefined : parseJson(body), headerReader(res), `Cannot connect to ${where}`, secrets));
          // A redirect is refused from its headers; its body says nothing we use.
          if (status >= 300 && status < 400) return decide(undefined);
          // Leave the handshake timeout a margin, so the status decides rather than the timer.
          const waitMs = Math.min(MAX_ERROR_BODY_MS, request.timeoutMs - (performance.now() - startedAt) - 50);
          readBody(res, waitMs).then(decide, () => decide(undefined));
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
          if (opened) {
            // A frame that breaks the protocol (too long, bad UTF-8, bad opcode): `ws` would send
            // a close and wait up to 30 s for a peer that is misbehaving. Drop it now instead.
            const protocolClose = wsProtocolCloseCode(err);
            if (protocolClose !== undefined && !closed) {
              closed = true;
              checkWaiters();
              socket.terminate();
              handlers.close(protocolClose, protocolText(err, options.clientOptions?.maxPayload ?? DEFAULT_MAX_PAYLOAD));
            }
            return; // otherwise 'close' follows with the code
          }
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
            // `ws` copies a binary message as it masks it (every client message), so the view may be reused at
            // once; not when compression queues it or a `generateMask` of zeros skips the mask: copy it then.
            const bytes = typeof data === 'string' || !keepsViews ? data : data.slice();
            socket.send(bytes, typeof data === 'string' ? TEXT : BINARY, onSent);
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
            if (socket.readyState === WebSocket.CLOSED) return;
            // A peer that does not answer the closing handshake (one that reads nothing) does not keep the socket.
            const timer = setTimeout(() => socket.terminate(), CLOSE_WAIT_MS);
            socket.once('close', () => clearTimeout(timer));
          },
        };
      });
    },
  };
}

/**
 * Reads at most {@link MAX_ERROR_BODY} bytes of a refused upgrade's body, for
 * at most `waitMs`: whatever has arrived by then (a body that never ends must
 * not keep the status from deciding).
 */
function readBody(res: IncomingMessage, waitMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = () => {
      clearTimeout(timer);
      res.off('data', onData);
      resolve(Buffer.concat(parts).subarray(0, MAX_ERROR_BODY).toString('utf8'));
    };
    const onData = (chunk: Buffer) => {
      parts.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY) done();
    };
    const timer = setTimeout(done, Math.max(0, waitMs));
    res.on('data', onData);
    res.once('end', done);
    res.once('close', done);
    res.once('aborted', done);
    res.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/**
 * The close code for a `ws` receiver error (`WS_ERR_…`): the one `ws` gives it
 * (its `status-code` symbol), else 1009 for a length, 1007 for UTF-8, 1002.
 */
function wsProtocolCloseCode(err: Error & { code?: string }): number | undefined {
  const { code } = err;
  if (!code?.startsWith('WS_ERR_')) return undefined;
  const sym = Object.getOwnPropertySymbols(err).find((k) => k.description === 'status-code');
  const given = sym === undefined ? undefined : (err as unknown as Record<symbol, unknown>)[sym];
  if (typeof given === 'number' && given >= 1000 && given < 5000) return given;
  if (code.includes('LENGTH')) return 1009;
  if (code === 'WS_ERR_INVALID_UTF8') return 1007;
  return 1002;
}

/** What a `ws` receiver error means, in the terms of this transport's options (the `ws` code kept). */
function protocolText(err: Error & { code?: string }, maxPayload: number): string {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return `the server sent a message over the ${maxPayload}-byte limit (createWsTransport's \`clientOptions.maxPayload\`; ws: ${err.code})`;
  }
  return errorText(err);
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

