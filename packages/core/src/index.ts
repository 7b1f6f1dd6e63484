/**
 * @stt-stream/core: runtime-agnostic real-time and batch speech-to-text over
 * the STT gateway. Web Streams in, transcript events out.
 *
 * @module
 */
export type * from './types.ts';
export * from './errors.ts';
export type * from './transport.ts';
export { connectAttempt } from './transport.ts';
export { createWebSocketTransport, redactUrl, type WebSocketConstructor, type WebSocketTransportOptions } from './websocket-transport.ts';
export {
  DEFAULT_STREAM_URL,
  assertSubprotocolToken,
  buildStreamUrl,
  parseServerMessage,
  type ServerMessage,
  type StreamParams,
  type WireTranscript,
} from './protocol/gateway-dialect.ts';
export {
  createTranscriber,
  type ReconnectOptions,
  type Transcriber,
  type TranscriberEvents,
  type TranscriberOptions,
  type TranscriberStats,
} from './transcriber.ts';
export { ReplayBuffer } from './replay-buffer.ts';
export { assertPCMFrame } from './audio/pcm-frame.ts';
export { floatToInt16, int16ToFloat, sanitizeFloat } from './audio/sample-convert.ts';
export { downmix } from './audio/downmix.ts';
export { Resampler, type ResamplerOptions } from './audio/resampler.ts';
export { WireConverter, type WireConverterOptions, type AudioWarning } from './audio/wire-converter.ts';
export { WavDecoder, decodeWav, type WavFormat, type WavEncoding, type WavDecoderOptions } from './audio/wav-decoder.ts';
export { g711Decoder, type G711DecoderOptions } from './audio/g711-decoder.ts';
export {
  sniffAudioFormat,
  fileExtension,
  audioMimeType,
  GATEWAY_AUDIO_EXTENSIONS,
  SNIFF_BYTES,
  type AudioFormatName,
} from './audio/audio-format.ts';
export {
  transcribe,
  transcribeUrl,
  resolveUploadName,
  readTranscription,
  DEFAULT_BASE_URL,
  TRANSCRIBE_PATH,
  MAX_BATCH_BYTES,
  type BatchOptions,
  type BatchAudio,
} from './batch/transcribe.ts';
