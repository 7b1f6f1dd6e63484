import { createSttError, type SttError } from './errors.ts';

/**
 * The transport contract: how the transcriber talks to a WebSocket without
 * knowing which runtime's WebSocket it is. Adapters (the standard
 * `WebSocket`, Node's `ws`) implement {@link SttTransport}.
 *
 * @module
 */

/** What the transcriber asks a transport to open. */
export interface TransportRequest {
  /** The full `ws:` or `wss:` URL, query included. Never holds a credential. */
  url: string;
  /** Headers to send with the upgrade (the `Authorization` header). Empty where none. */
  headers: Record<string, string>;
  /** Subprotocols to offer (`['bearer', token]` for browsers). Empty where none. */
  protocols: string[];
  /** How long the opening handshake may take. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Callbacks a connection reports to. `close` is called exactly once. */
export interface TransportHandlers {
  message(data: string | ArrayBuffer | Uint8Array): void;
  close(code: number, reason: string): void;
}

/** One open connection. */
export interface TransportConnection {
  /** The subprotocol the server selected (`''` where none). */
  readonly protocol: string;
  /** Bytes queued in the socket and not yet handed to the network. */
  readonly bufferedAmount: number;
  /**
   * Queues a message; never throws once the connection is closing. Binary
   * `data` is a view of one of the transcriber's replay blocks, which may
   * hold other audio as soon as `send` returns: hand it to a socket that
   * copies it (`ws`, browsers, Deno and Bun do) or copy it before returning;
   * never keep it.
   */
  send(data: string | Uint8Array): void;
  /**
   * Resolves when `bufferedAmount` is below `bytes` (or the connection is
   * closed). Transports with a drain signal use it; without it the
   * transcriber polls `bufferedAmount`.
   */
  drain?(bytes: number): Promise<void>;
  /**
   * Closes with the closing handshake. A peer that does not answer it
   * must not keep the socket: transports that can drop a socket do so
   * after a short wait (1 s in both of this project's transports that can).
   */
  close(code?: number, reason?: string): void;
  /**
   * Drops the connection at once, without a closing handshake (for a peer
   * that stopped answering). Where a runtime has no such thing, `close` is
   * used.
   */
  terminate?(): void;
}

/** How often {@link pollDrain} looks at `bufferedAmount`, by default (ms). */
export const DRAIN_POLL_MS = 4;

/**
 * Resolves once `read()` (a socket's `bufferedAmount`) is below `bytes`, or
 * `gone()` says the connection is closed: for sockets with no drain event.
 *
 * @example
 * ```ts
 * await pollDrain(() => socket.bufferedAmount, 32768, () => socket.readyState !== 1);
 * ```
 */
export function pollDrain(read: () => number, bytes: number, gone: () => boolean, pollMs: number = DRAIN_POLL_MS): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (gone() || read() < bytes ? resolve() : setTimeout(check, pollMs));
    check();
  });
}

/**
 * Drops `conn` at once: `terminate` where the transport has it, else the
 * closing handshake (a runtime whose WebSocket cannot drop a socket).
 */
export function dropConnection(conn: TransportConnection): void {
  try {
    if (conn.terminate) conn.terminate();
    else conn.close(1000, 'dropped');
  } catch {
    /* already closed */
  }
}

/**
 * A way to open WebSocket connections.
 *
 * `connect` resolves once the connection is open. It rejects with an
 * `SttError`: `connection_failed` (retryable) when nothing answered, or the
 * server's own code and status when it refused the upgrade with an error
 * envelope (where the runtime lets us read it).
 */
export interface SttTransport {
  /** A short name for logs and events (`websocket`, `ws`). */
  readonly name: string;
  /** Whether `headers` reach the server. Where not, credentials go as subprotocols. */
  readonly supportsHeaders: boolean;
  connect(request: TransportRequest, handlers: TransportHandlers): Promise<TransportConnection>;
}

/** The one outcome of a transport's `connect`: see {@link connectAttempt}. */
export interface ConnectAttempt<T> {
  /** Whether the attempt has ended (opened, failed, timed out or aborted). */
  readonly settled: boolean;
  /** Resolves with `value`; `false` when the attempt had already ended. */
  succeed(value: T): boolean;
  /** Rejects with `err` and abandons the socket; nothing when already ended. */
  fail(err: SttError): void;
}

/**
 * What every transport's `connect` shares: the handshake timeout
 * (`request.timeoutMs`, an `SttError` `timeout`), the request's abort signal
 * (`aborted`), and a single outcome. `abandon` drops the half-open socket
 * when the attempt fails. An already aborted signal fails it at once.
 *
 * @param where The URL for messages, without its query ({@link redactUrl}).
 * @example Inside connect
 * ```ts
 * return new Promise((resolve, reject) => {
 *   const socket = new WebSocket(request.url);
 *   const attempt = connectAttempt(request, where, resolve, reject, () => socket.close());
 *   socket.onopen = () => attempt.succeed(connection);
 *   socket.onerror = () => attempt.fail(createSttError('connection_failed', `Cannot connect to ${where}`));
 * });
 * ```
 */
export function connectAttempt<T>(
  request: Pick<TransportRequest, 'timeoutMs' | 'signal'>,
  where: string,
  resolve: (value: T) => void,
  reject: (err: SttError) => void,
  abandon: () => void,
): ConnectAttempt<T> {
  let settled = false;
  const { signal } = request;
  const end = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    return true;
  };
  const attempt: ConnectAttempt<T> = {
    get settled() {
      return settled;
    },
    succeed(value) {
      if (!end()) return false;
      resolve(value);
      return true;
    },
    fail(err) {
      if (!end()) return;
      try {
        abandon();
      } catch {
        /* already closing */
      }
      reject(err);
    },
  };
  const onAbort = () => attempt.fail(createSttError('aborted', 'Connecting was aborted', { cause: signal?.reason }));
  const timer = setTimeout(
    () => attempt.fail(createSttError('timeout', `Connecting to ${where} took longer than ${request.timeoutMs} ms`)),
    request.timeoutMs,
  );
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return attempt;
}
