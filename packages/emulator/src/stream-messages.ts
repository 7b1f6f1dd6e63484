/**
 * The server-to-client messages of the streaming dialect (docs/protocol.md,
 * "Server to client"), built from engine events and session facts. Their
 * shapes are core's wire types (`ServerMessageJson`, the ones the client's
 * parser reads).
 *
 * @module
 */
import type {
  ErrorMessageJson,
  SessionEndedJson,
  SessionStartedJson,
  SpeechStartedJson,
  TranscriptJson,
} from '@stt-stream/core/internal';
import type { EngineEvent } from './engine.ts';
import { errorEnvelope, type ErrorBody } from './error-envelope.ts';
import type { StreamParams } from './stream-params.ts';

/**
 * `speech_started` with the channel the speech began on: the emulator's one
 * extra field (clients ignore unknown fields).
 *
 * @example Send one
 * ```ts
 * ws.send(JSON.stringify(engineEventMessage(event) satisfies ServerMessageJson));
 * ```
 */
export type SpeechStartedOnChannel = SpeechStartedJson & { channel: number };

/**
 * `session.started`, the first message of a session.
 *
 * @example The first message
 * ```ts
 * sessionStartedMessage('sess_1', params); // { type: 'session.started', session_id: 'sess_1', model: 'm', … }
 * ```
 */
export function sessionStartedMessage(sessionId: string, params: StreamParams): SessionStartedJson {
  return {
    type: 'session.started',
    session_id: sessionId,
    model: params.model,
    sample_rate: params.sampleRate,
    channels: params.channels,
    encoding: params.encoding,
  };
}

/**
 * The wire form of an engine event: `transcript` (snake_case `is_final`) or
 * `speech_started` (with its `channel` as an extra field).
 *
 * @example An onset on the wire
 * ```ts
 * engineEventMessage({ type: 'speech_started', timestamp: 0.2, channel: 0 }); // { type: 'speech_started', timestamp: 0.2, channel: 0 }
 * ```
 */
export function engineEventMessage(event: EngineEvent): TranscriptJson | SpeechStartedOnChannel {
  if (event.type === 'speech_started') return { type: 'speech_started', timestamp: event.timestamp, channel: event.channel };
  return {
    type: 'transcript',
    is_final: event.isFinal,
    text: event.text,
    start: event.start,
    end: event.end,
    confidence: event.confidence,
    language: event.language,
    channel: event.channel,
    words: event.words,
  };
}

/**
 * `session.ended` with the seconds of audio the connection received.
 *
 * @example After 12.34 s of audio
 * ```ts
 * sessionEndedMessage(12.34); // { type: 'session.ended', duration: 12.34 }
 * ```
 */
export function sessionEndedMessage(duration: number): SessionEndedJson {
  return { type: 'session.ended', duration };
}

/**
 * An `error` message (always followed by a close).
 *
 * @example Before close 4029
 * ```ts
 * errorMessage('rate_limited', 'Slow down', { retry_after: 2 });
 * ```
 */
export function errorMessage(code: string, message: string, extra: Omit<Partial<ErrorBody>, 'code' | 'message'> = {}): ErrorMessageJson {
  return { type: 'error', ...errorEnvelope(code, message, extra) };
}
