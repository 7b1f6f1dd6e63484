/**
 * Opening one connection for a transcriber: the credentials (fetched again
 * for every connection), the transport's `connect`, and the one gate for
 * everything a server says: messages are parsed and the credentials
 * redacted from whatever text a server sends back (error messages, codes,
 * params, close reasons), and nothing reaches the session before the
 * connection's `opened` (a transport may report a message before its
 * `connect` promise has been seen to resolve).
 *
 * @module
 */
import { redactSecrets, type SttError } from '../errors.ts';
import { resolveStreamCredentials } from '../protocol/credentials.ts';
import { parseServerMessage, type ServerMessage } from '../protocol/gateway-dialect.ts';
import type { SttTransport, TransportConnection } from '../transport.ts';
import type { TranscriberOptions } from './types.ts';

/** Where a connection's events go, each with the connection's id. */
export interface ConnectionSink {
  opened(id: number, conn: TransportConnection): void;
  refused(id: number, error: unknown): void;
  message(id: number, msg: ServerMessage): void;
  messageError(id: number, error: SttError): void;
  closed(id: number, code: number, reason: string): void;
}

/** What a {@link Connector} needs. */
export interface ConnectorOptions {
  transport: SttTransport;
  /** The streaming URL, query included (never a credential). */
  url: string;
  /** Where the credentials come from (`apiKey`, `token`). */
  credentials: Pick<TranscriberOptions, 'apiKey' | 'token'>;
  connectTimeoutMs: number;
  /** Aborts every attempt still in progress (the stream is over). */
  signal: AbortSignal;
}

/**
 * Opens connections for a transcriber.
 *
 * @example
 * ```ts
 * const connector = new Connector({ transport, url, credentials: options, connectTimeoutMs: 10_000, signal });
 * connector.open(1, sink); // sink.opened(1, conn), then sink.message(1, msg), …, sink.closed(1, code, reason)
 * ```
 */
export class Connector {
  readonly #o: ConnectorOptions;

  constructor(options: ConnectorOptions) {
    this.#o = options;
  }

  /** Opens connection `id`; its outcome and events go to `sink`. */
  async open(id: number, sink: ConnectionSink): Promise<void> {
    const o = this.#o;
    let ready = false;
    const early: (() => void)[] = [];
    const later = (event: () => void) => (ready ? event() : early.push(event));
    try {
      const credentials = await resolveStreamCredentials(o.credentials, o.transport.supportsHeaders);
      // This connection's credentials (a `token` function may give each connection another) are redacted from what its server says.
      const secrets = credentials.secrets;
      const conn = await o.transport.connect(
        { url: o.url, headers: credentials.headers, protocols: credentials.protocols, timeoutMs: o.connectTimeoutMs, signal: o.signal },
        {
          message: (data) => later(() => message(id, data, secrets, sink)),
          close: (code, reason) => later(() => sink.closed(id, code, redact(reason, secrets))),
        },
      );
      sink.opened(id, conn);
      ready = true;
      for (const event of early) event();
    } catch (err) {
      sink.refused(id, err);
    }
  }
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.length === 0 || text === '' ? text : redactSecrets(text, secrets);
}

/** A server message, parsed, with the credentials redacted from an error's words (its message, code and param). */
function message(id: number, data: string | ArrayBuffer | Uint8Array, secrets: readonly string[], sink: ConnectionSink): void {
  let msg: ServerMessage;
  try {
    msg = parseServerMessage(data);
  } catch (err) {
    sink.messageError(id, err as SttError);
    return;
  }
  if (msg.type === 'error' && secrets.length > 0) {
    const { code, message, param } = msg.error;
    const error = { ...msg.error, code: redact(code, secrets), message: redact(message, secrets) };
    if (param !== undefined) error.param = redact(param, secrets);
    msg = { type: 'error', error };
  }
  sink.message(id, msg);
}
