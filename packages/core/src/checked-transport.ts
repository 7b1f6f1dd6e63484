/**
 * The public `createWebSocketTransport`: the transport of
 * `websocket-transport.ts`, with its arguments checked first (an unknown
 * option is a TypeError naming it, see `known-options.ts`).
 *
 * @module
 */
import { checkOptionNames, optionNames } from './known-options.ts';
import type { SttTransport } from './transport.ts';
import { createWebSocketTransport as createTransport, type WebSocketConstructor, type WebSocketTransportOptions } from './websocket-transport.ts';

/** The option names {@link createWebSocketTransport} takes. */
export const WEBSOCKET_TRANSPORT_OPTIONS: readonly string[] = optionNames<WebSocketTransportOptions>()(['headers', 'drainPollMs']);

/**
 * A transport over the standard `WebSocket` (browsers, Deno, Bun, Node 22+).
 * The constructor is looked up when connecting, so a polyfill installed later
 * is used. Incoming message size is bounded only by the runtime (the
 * transcriber refuses a text message over 4 Mi characters as a
 * `protocol_error`); redirects are whatever the runtime does (browsers refuse
 * them on a WebSocket). The request's credentials are redacted from the
 * server's close reason.
 *
 * @param WebSocketCtor - the constructor to use; `globalThis.WebSocket` when omitted
 * @param options - `headers`, `drainPollMs`
 * @throws TypeError for an unknown option (naming it), or options passed where the constructor goes
 * @example
 * ```ts
 * const t = createTranscriber({ model: 'whisper-1', transport: createWebSocketTransport() });
 * ```
 */
export function createWebSocketTransport(WebSocketCtor?: WebSocketConstructor, options: WebSocketTransportOptions = {}): SttTransport {
  if (WebSocketCtor !== undefined && typeof WebSocketCtor !== 'function') {
    throw new TypeError(
      'Invalid argument `WebSocketCtor`: expected a WebSocket constructor or undefined (the options go second: createWebSocketTransport(undefined, { headers }))',
    );
  }
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, WEBSOCKET_TRANSPORT_OPTIONS, 'createWebSocketTransport()');
  return createTransport(WebSocketCtor, options);
}
