import { createSttError } from './errors.ts';
import { checkOptionNames, optionNames } from './known-options.ts';
import { nativeWebSocketTakesHeaders } from './internal/detect-runtime.ts';
import { DRAIN_POLL_MS, connectAttempt, pollDrain, type SttTransport, type TransportConnection, type TransportHandlers, type TransportRequest } from './transport.ts';

/** The constructor shape of a standard `WebSocket`. */
export interface WebSocketConstructor {
  new (url: string, protocols?: string | string[] | Record<string, unknown>): WebSocket;
}

/** Options for {@link createWebSocketTransport}. */
export interface WebSocketTransportOptions {
  /**
   * Whether the constructor takes `{ headers, protocols }` as its second
   * argument.
   * @defaultValue true in Deno, Bun and Node (22+ has a global `WebSocket`), false in browsers
   */
  headers?: boolean;
  /**
   * How often to look at `bufferedAmount` while waiting for it to drain
   * (the standard `WebSocket` has no drain event).
   * @defaultValue 4
   */
  drainPollMs?: number;
}

/** The option names {@link createWebSocketTransport} takes. */
export const WEBSOCKET_TRANSPORT_OPTIONS: readonly string[] = optionNames<WebSocketTransportOptions>()(['headers', 'drainPollMs']);

/**
 * A transport over the standard `WebSocket` (browsers, Deno, Bun, Node 22+).
 * The constructor is looked up when connecting, so a polyfill installed later
 * is used. Incoming message size is bounded only by the runtime (the
 * transcriber refuses a text message over 4 Mi characters as a
 * `protocol_error`); redirects are whatever the runtime does (browsers refuse
 * them on a WebSocket). The transcriber redacts its credentials from what a
 * server says (close reasons included). A standard `WebSocket` cannot drop
 * a socket without the closing handshake: the runtime gives up on a peer
 * that does not answer it.
 *
 * @param WebSocketCtor - the constructor to use; `globalThis.WebSocket` when omitted
 * @param options - `headers`, `drainPollMs`
 * @throws TypeError for an unknown option (naming it), or options passed where the constructor goes
 * @example
 * ```ts
 * const t = createTranscriber({ model: 'whisper-1', transport: createWebSocketTransport() });
 * ```
 */
export function createWebSocketTransport(
  WebSocketCtor?: WebSocketConstructor,
  options: WebSocketTransportOptions = {},
): SttTransport {
  if (WebSocketCtor !== undefined && typeof WebSocketCtor !== 'function') {
    throw new TypeError(
      'Invalid argument `WebSocketCtor`: expected a WebSocket constructor or undefined (the options go second: createWebSocketTransport(undefined, { headers }))',
    );
  }
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, WEBSOCKET_TRANSPORT_OPTIONS, 'createWebSocketTransport()');
  const takesHeaders = options.headers ?? nativeWebSocketTakesHeaders();
  const pollMs = options.drainPollMs ?? DRAIN_POLL_MS;
  return {
    name: 'websocket',
    supportsHeaders: takesHeaders,
    connect(request: TransportRequest, handlers: TransportHandlers): Promise<TransportConnection> {
      const Ctor = WebSocketCtor ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (typeof Ctor !== 'function') {
        return Promise.reject(
          new TypeError(
            'Cannot connect: this runtime has no global WebSocket. On Node 20 use @stt-stream/node, or pass `transport`.',
          ),
        );
      }
      const where = redactUrl(request.url);
      return new Promise<TransportConnection>((resolve, reject) => {
        let socket: WebSocket;
        try {
          const hasHeaders = Object.keys(request.headers).length > 0;
          socket =
            takesHeaders && hasHeaders
              ? new Ctor(request.url, { headers: request.headers, protocols: request.protocols })
              : new Ctor(request.url, request.protocols.length > 0 ? request.protocols : undefined);
        } catch (cause) {
          reject(createSttError('connection_failed', `Cannot connect to ${where}: ${String(cause)}`, { cause, retryable: false }));
          return;
        }
        socket.binaryType = 'arraybuffer';
        let opened = false;
        let closed = false;
        const attempt = connectAttempt<TransportConnection>(request, where, resolve, reject, () => socket.close());
        if (attempt.settled) return;

        socket.addEventListener('open', () => {
          opened = attempt.succeed(connection);
        });
        socket.addEventListener('message', (ev: MessageEvent) => {
          if (opened && !closed) handlers.message(ev.data as string | ArrayBuffer);
        });
        socket.addEventListener('error', () => {
          // The close event follows with the details; before open, fail now.
          if (!opened) attempt.fail(createSttError('connection_failed', `Cannot connect to ${where}`, { closeCode: 1006 }));
        });
        socket.addEventListener('close', (ev: CloseEvent) => {
          if (!opened) {
            attempt.fail(createSttError('connection_failed', `Cannot connect to ${where}: closed with ${ev.code}`, { closeCode: ev.code }));
            return;
          }
          if (closed) return;
          closed = true;
          handlers.close(ev.code || 1006, ev.reason ?? '');
        });

        const connection: TransportConnection = {
          get protocol() { return socket.protocol; },
          get bufferedAmount() { return socket.bufferedAmount; },
          send(data) {
            if (socket.readyState !== 1) return;
            // Newer DOM typings (Deno's, TypeScript 6) accept only ArrayBuffer-backed views; ours always are.
            socket.send(data as string | Uint8Array<ArrayBuffer>);
          },
          drain(bytes) {
            return pollDrain(() => socket.bufferedAmount, bytes, () => socket.readyState !== 1, pollMs);
          },
          close(code, reason) {
            try { socket.close(code, reason); } catch { socket.close(); }
          },
        };
      });
    },
  };
}

/**
 * The URL without its query, for error messages: the query never holds a key,
 * but it may hold a fault plan or other noise. Transports use it for theirs.
 *
 * @example
 * ```ts
 * redactUrl('wss://g.example/v1/stt/stream?model_id=x'); // 'wss://g.example/v1/stt/stream'
 * ```
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
