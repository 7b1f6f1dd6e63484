/**
 * @stt-stream/core: runtime-agnostic real-time and batch speech-to-text over
 * the STT gateway. Web Streams in, transcript events out.
 *
 * @module
 */
export type * from './types.ts';
export * from './errors.ts';
export type * from './transport.ts';
export { createWebSocketTransport, type WebSocketConstructor, type WebSocketTransportOptions } from './websocket-transport.ts';
export {
  DEFAULT_STREAM_URL,
  assertSubprotocolToken,
  buildStreamUrl,
  parseServerMessage,
  type ServerMessage,
  type StreamParams,
} from './protocol/gateway-dialect.ts';
