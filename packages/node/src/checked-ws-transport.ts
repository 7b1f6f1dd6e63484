/**
 * The public `createWsTransport`: the transport of `ws-transport.ts`, with
 * its options checked first (an unknown option is a TypeError naming it).
 *
 * @module
 */
import type { SttTransport } from '@stt-stream/core';
import { checkOptionNames, optionNames } from '@stt-stream/core/internal';
import { createWsTransport as createTransport, type WsTransportOptions } from './ws-transport.ts';

/** The option names {@link createWsTransport} takes (`clientOptions` are `ws`'s own). */
export const WS_TRANSPORT_OPTIONS: readonly string[] = optionNames<WsTransportOptions>()(['agent', 'WebSocket', 'clientOptions']);

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
 * each incoming message is at most `maxPayload` (1 MiB by default). The
 * request's credentials are redacted from the server's error message and
 * close reason.
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
  return createTransport(options);
}
