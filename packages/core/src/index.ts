/**
 * @stt-stream/core: runtime-agnostic real-time and batch speech-to-text over
 * the STT gateway. Web Streams in, transcript events out.
 *
 * This entry is the public API (the README and ARCHITECTURE.md).
 * What the sibling packages share beyond it is in `@stt-stream/core/internal`,
 * which is not public.
 *
 * @module
 */
export type * from './types.ts';
export {
  SttError,
  SttAuthError,
  SttRateLimitError,
  SttConnectionError,
  SttTimeoutError,
  SttAbortError,
  createSttError,
  type SttErrorCode,
  type SttErrorOptions,
} from './errors.ts';
export type { SttTransport, TransportConnection, TransportHandlers, TransportRequest } from './transport.ts';
export type { WebSocketConstructor, WebSocketTransportOptions } from './websocket-transport.ts';
export { createWebSocketTransport } from './websocket-transport.ts';
export { DEFAULT_STREAM_URL } from './protocol/gateway-dialect.ts';
export {
  createTranscriber,
  type ReconnectOptions,
  type Transcriber,
  type TranscriberEvents,
  type TranscriberOptions,
  type TranscriberStats,
  type TranscriberVoiceActivityOptions,
  type TranscriptMetrics,
  type LatencySummary,
  type LagInfo,
} from './transcriber/transcriber.ts';
// The type of `voiceActivity.detector`; the detectors themselves are `@stt-stream/core/vad` (loaded on demand).
export type { VoiceActivityDetector } from './vad/detector.ts';
export { floatToInt16, int16ToFloat } from './audio/sample-convert.ts';
export { downmix } from './audio/downmix.ts';
// `Resampler` is its own subpath, `@stt-stream/core/resampler`: a static export here would put it in
// every bundle (bundlers give a module statically reachable from the entry to the entry's chunk).
export { WireConverter, type WireConverterOptions, type AudioWarning } from './audio/wire-converter.ts';
export { WavDecoder, decodeWav, type WavFormat, type WavEncoding, type WavDecoderOptions } from './audio/wav-decoder.ts';
export { g711Decoder, type G711DecoderOptions } from './audio/g711-decoder.ts';
export { decodeMulaw, decodeAlaw } from './audio/g711.ts';
export { transcribe, DEFAULT_BASE_URL, MAX_BATCH_BYTES, type BatchOptions, type BatchAudio, type BatchRetryInfo } from './batch/transcribe.ts';
