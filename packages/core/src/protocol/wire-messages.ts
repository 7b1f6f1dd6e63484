/**
 * The server-to-client messages of the streaming dialect as they are on the
 * wire: the JSON objects of docs/protocol.md ("Server to client"), field
 * names in snake_case, times in seconds of the connection. Types only.
 *
 * One definition for both sides: the emulator builds its messages as these
 * types (packages/emulator/src/stream-messages.ts), and the client's
 * `parseServerMessage` (./gateway-dialect.ts) reads an unknown JSON value by
 * their field names and turns it into its normalised `ServerMessage`.
 * Required here is what a client requires; an optional field has the
 * default the parser gives it. A server may add fields (clients ignore them).
 *
 * @module
 */
import type { ErrorEnvelope } from '../errors.ts';

/**
 * `session.started`: the first message of a connection.
 *
 * @example
 * ```ts
 * const m: SessionStartedJson = { type: 'session.started', session_id: 'sess_1', model: 'whisper-1', sample_rate: 16000, channels: 1, encoding: 'pcm_s16le' };
 * ```
 */
export interface SessionStartedJson {
  type: 'session.started';
  session_id: string;
  model?: string;
  sample_rate?: number;
  channels?: number;
  encoding?: string;
}

/** A recognised word of a `transcript`. */
export interface WordJson {
  word: string;
  start: number;
  end: number;
  /** Read as `null` when absent. */
  confidence?: number | null;
}

/**
 * `transcript`: an interim (`is_final: false`) or a final of one channel.
 *
 * @example
 * ```ts
 * const m: TranscriptJson = { type: 'transcript', is_final: true, text: 'one', start: 0.2, end: 0.32, confidence: 0.9, language: null, channel: 0, words: null };
 * ```
 */
export interface TranscriptJson {
  type: 'transcript';
  is_final: boolean;
  text: string;
  start: number;
  /** Not before `start`. */
  end: number;
  /** Read as `null` when absent. */
  confidence?: number | null;
  /** Read as `null` when absent. */
  language?: string | null;
  /** A channel index; read as 0 when absent. */
  channel?: number | null;
  /** Read as `null` when absent. */
  words?: WordJson[] | null;
}

/** `speech_started` (optional in the protocol): speech began at `timestamp`. */
export interface SpeechStartedJson {
  type: 'speech_started';
  timestamp: number;
}

/** `session.ended`, after the last final: `duration` is the seconds of audio the connection received. */
export interface SessionEndedJson {
  type: 'session.ended';
  /** Read as `null` when absent. */
  duration?: number;
}

/** `error`, followed by a close: the error envelope of docs/protocol.md ("Errors") with a `type`. */
export interface ErrorMessageJson extends ErrorEnvelope {
  type: 'error';
}

/**
 * A server-to-client message as it is on the wire. Any other `type` is one
 * a client does not know, and ignores.
 *
 * @example Send one (a server)
 * ```ts
 * const m: ServerMessageJson = { type: 'session.ended', duration: 1.5 };
 * ws.send(JSON.stringify(m));
 * ```
 */
export type ServerMessageJson = SessionStartedJson | TranscriptJson | SpeechStartedJson | SessionEndedJson | ErrorMessageJson;
