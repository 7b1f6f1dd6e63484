/**
 * The streaming dialect of docs/protocol.md ("Streaming: `GET /v1/stt/stream`"):
 * the opening URL, client messages and the parsing of server messages (whose
 * wire shapes are ./wire-messages.ts; the opening's credentials are
 * ./credentials.ts). Everything that knows the wire format of the stream
 * lives in these files, so that another dialect can be added beside them.
 *
 * @module
 */
import { SttError, readErrorEnvelope, type ErrorEnvelope } from '../errors.ts';
import type { TranscriptWord } from '../types.ts';
import { streamUrl } from './gateway-url.ts';
import type { ServerMessageJson } from './wire-messages.ts';

/** Query parameters of the opening request. */
export interface StreamParams {
  model: string;
  language?: string | undefined;
  providerId?: string | undefined;
  sampleRate: number;
  channels: number;
  interimResults: boolean;
}

/** The default streaming endpoint. */
export const DEFAULT_STREAM_URL = 'wss://gateway.llm-stats.com/v1/stt/stream';

/**
 * Builds the opening URL: the base URL mapped by {@link streamUrl} (an
 * `http(s)` gateway origin or a `ws(s)` URL; its own query kept) plus the
 * dialect's parameters. Credentials never go here.
 *
 * @throws TypeError naming `url` for a non-URL, another scheme, or a credential in the URL
 * @example
 * ```ts
 * buildStreamUrl('http://127.0.0.1:8080', { model: 'm', sampleRate: 16000, channels: 1, interimResults: true });
 * // 'ws://127.0.0.1:8080/v1/stt/stream?model_id=m&encoding=pcm_s16le&sample_rate=16000&channels=1&interim_results=true'
 * ```
 */
export function buildStreamUrl(base: string, params: StreamParams): string {
  const url = streamUrl(base, 'url');
  const q = url.searchParams;
  q.set('model_id', params.model);
  if (params.language) q.set('language', params.language);
  if (params.providerId) q.set('provider_id', params.providerId);
  q.set('encoding', 'pcm_s16le');
  q.set('sample_rate', String(params.sampleRate));
  q.set('channels', String(params.channels));
  q.set('interim_results', params.interimResults ? 'true' : 'false');
  return url.toString();
}

/** Client text messages. */
export const clientMessages = {
  finalize: JSON.stringify({ type: 'finalize' }),
  keepalive: JSON.stringify({ type: 'keepalive' }),
  end: JSON.stringify({ type: 'end' }),
} as const;

/** A transcript as the parser returns it (a `TranscriptJson` normalised): times in seconds of this connection. */
export interface WireTranscript {
  type: 'transcript';
  isFinal: boolean;
  text: string;
  start: number;
  end: number;
  confidence: number | null;
  language: string | null;
  channel: number;
  words: TranscriptWord[] | null;
}

/**
 * A server message, validated and normalised: what {@link parseServerMessage}
 * makes of a {@link ServerMessageJson} (camelCase, defaults filled in), or
 * `unknown` for a type the client does not know.
 */
export type ServerMessage =
  | { type: 'session.started'; sessionId: string; model: string | null; sampleRate: number | null; channels: number | null }
  | WireTranscript
  | { type: 'speech_started'; timestamp: number }
  | { type: 'session.ended'; duration: number | null }
  | { type: 'error'; error: ErrorEnvelope['error'] }
  | { type: 'unknown'; name: string };

function protocolError(message: string, cause?: unknown): SttError {
  return new SttError('protocol_error', `Malformed server message: ${message}`, { retryable: false, cause });
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optString = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const optNumber = (v: unknown): number | null => (isFiniteNumber(v) ? v : null);

/** Longest text field we accept; longer is a protocol error, not a memory problem. */
const MAX_TEXT = 1 << 20;

function readWords(value: unknown): TranscriptWord[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value)) throw protocolError('`words` is not an array');
  return value.map((w, i) => {
    if (typeof w !== 'object' || w === null) throw protocolError(`words[${i}] is not an object`);
    const { word, start, end, confidence } = w as Record<string, unknown>;
    if (typeof word !== 'string' || !isFiniteNumber(start) || !isFiniteNumber(end)) {
      throw protocolError(`words[${i}] lacks word, start or end`);
    }
    return { word, start, end, confidence: optNumber(confidence) };
  });
}

/** Every field of every wire message, as read from a JSON object before it is checked. */
type UncheckedFields = { [K in KeysOf<ServerMessageJson>]?: unknown };
type KeysOf<T> = T extends unknown ? keyof T : never;

/**
 * Parses one server message: checks a text message against the wire types
 * ({@link ServerMessageJson}) and returns it normalised ({@link ServerMessage}).
 * Binary messages, invalid JSON and messages that lack a required field
 * throw an `SttError` with code `protocol_error`; unknown types come back as
 * `{ type: 'unknown' }`. Only known fields are copied, so `__proto__` keys
 * and extra fields go nowhere.
 */
export function parseServerMessage(data: string | ArrayBuffer | Uint8Array): ServerMessage {
  if (typeof data !== 'string') throw protocolError('expected text, got a binary message');
  if (data.length > 4 * MAX_TEXT) throw protocolError(`message of ${data.length} characters is too long`);
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch (cause) {
    throw protocolError('not valid JSON', cause);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw protocolError('not a JSON object');
  const m = raw as UncheckedFields;
  const type = m.type;
  if (typeof type !== 'string') throw protocolError('missing `type`');
  switch (type) {
    case 'session.started': {
      if (typeof m.session_id !== 'string') throw protocolError('session.started lacks `session_id`');
      return {
        type,
        sessionId: m.session_id,
        model: optString(m.model),
        sampleRate: optNumber(m.sample_rate),
        channels: optNumber(m.channels),
      };
    }
    case 'transcript': {
      if (typeof m.is_final !== 'boolean') throw protocolError('transcript lacks `is_final`');
      if (typeof m.text !== 'string') throw protocolError('transcript lacks `text`');
      if (m.text.length > MAX_TEXT) throw protocolError('transcript `text` is too long');
      if (!isFiniteNumber(m.start) || !isFiniteNumber(m.end)) throw protocolError('transcript lacks `start` or `end`');
      if (m.end < m.start) throw protocolError('transcript ends before it starts');
      const channel = m.channel === undefined || m.channel === null ? 0 : m.channel;
      if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 0) throw protocolError('transcript `channel` is not a channel index');
      return {
        type,
        isFinal: m.is_final,
        text: m.text,
        start: m.start,
        end: m.end,
        confidence: optNumber(m.confidence),
        language: optString(m.language),
        channel,
        words: readWords(m.words),
      };
    }
    case 'speech_started': {
      if (!isFiniteNumber(m.timestamp)) throw protocolError('speech_started lacks `timestamp`');
      return { type, timestamp: m.timestamp };
    }
    case 'session.ended':
      return { type, duration: optNumber(m.duration) };
    case 'error': {
      const error = readErrorEnvelope(m);
      if (!error) throw protocolError('error message lacks `error.code`');
      return { type, error };
    }
    default:
      return { type: 'unknown', name: type.slice(0, 64) };
  }
}
