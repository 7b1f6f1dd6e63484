/**
 * `@stt-stream/core/internal`: **not public API.** What the sibling packages
 * (`@stt-stream/node`, `@stt-stream/browser`, `@stt-stream/emulator`) share
 * with core but users should not rely on: the error-envelope and close-code
 * mapping, the wire dialect (and the wire shapes of the server's messages,
 * which the emulator builds), the connect-attempt helper, audio-format
 * sniffing, the batch request's pieces, the replay blocks.
 *
 * No semver promise: anything here may change or go in any release. Import
 * from `@stt-stream/core` (or `@stt-stream/node`, `@stt-stream/browser`)
 * instead; if you need something that is only here, open an issue.
 *
 * @example What @stt-stream/node's ws transport imports
 * ```ts
 * import { connectAttempt, errorFromResponse, redactUrl } from '@stt-stream/core/internal';
 * ```
 *
 * @module
 */
export {
  errorFromResponse,
  isRetryable,
  parseRetryAfter,
  readErrorEnvelope,
  type ErrorEnvelope,
} from './errors.ts';
export { connectAttempt, pollDrain, DRAIN_POLL_MS, type ConnectAttempt } from './transport.ts';
export { redactUrl } from './websocket-transport.ts';
export { assertSubprotocolToken } from './protocol/credentials.ts';
export {
  buildStreamUrl,
  parseServerMessage,
  type ServerMessage,
  type StreamParams,
  type WireTranscript,
} from './protocol/gateway-dialect.ts';
export type {
  ErrorMessageJson,
  ServerMessageJson,
  SessionEndedJson,
  SessionStartedJson,
  SpeechStartedJson,
  TranscriptJson,
  WordJson,
} from './protocol/wire-messages.ts';
export { ReplayBuffer } from './session/replay-buffer.ts';
export { BlockPool } from './session/block-pool.ts';
export { checkOptionNames, optionNames, suggestOption, type OptionNamesOf } from './known-options.ts';
export { checkTranscriberOptions, RECONNECT_OPTIONS, TRANSCRIBER_OPTIONS, VOICE_ACTIVITY_OPTIONS } from './transcriber/options.ts';
export { WEBSOCKET_TRANSPORT_OPTIONS } from './websocket-transport.ts';
export { describeNetworkError } from './protocol/network-error.ts';
export { assertPCMFrame } from './audio/pcm-frame.ts';
export { sanitizeFloat } from './audio/sample-convert.ts';
export {
  sniffAudioFormat,
  fileExtension,
  audioMimeType,
  GATEWAY_AUDIO_EXTENSIONS,
  SNIFF_BYTES,
  type AudioFormatName,
} from './audio/audio-format.ts';
export { transcribeUrl, resolveUploadName, readTranscription, gatewayOption, BATCH_OPTIONS, TRANSCRIBE_PATH } from './batch/transcribe.ts';
export {
  API_KEY_ENV,
  HOSTED_GATEWAY_HOST,
  URL_CREDENTIAL_PARAMS,
  assertCredentialsFor,
  assertNoUrlCredentials,
  bearer,
  credentialHeaders,
  credentialProtocols,
  redactSecrets,
  requestSecrets,
  resolveStreamCredentials,
  type StreamCredentials,
} from './protocol/credentials.ts';
export { STREAM_PATH, batchUrl, streamUrl } from './protocol/gateway-url.ts';
export { MAX_ERROR_BODY_BYTES, MAX_RESPONSE_BYTES } from './batch/transcribe.ts';
export { describeCloseCode, errorFromClose, MIN_UPTIME_MS, type CloseAction, type CloseCodeInfo } from './session/reconnect-policy.ts';
export { backoffDelay, nextRetry, type RetryTiming } from './retry.ts';
export { FRAME_MS, frameMsOption, frameSamples } from './session/framing.ts';
export { LIMITS as TRANSCRIBER_LIMITS } from './transcriber/options.ts';
export { mulberry32 } from './prng.ts';
