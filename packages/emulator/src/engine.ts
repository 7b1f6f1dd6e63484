/**
 * The recogniser contract: what the emulator runs on each connection's audio.
 *
 * @module
 */
import type { TranscriptWord } from '@stt-stream/core';
import type { WireTranscript } from '@stt-stream/core/internal';

/**
 * One recognised word; times in seconds from the connection's first sample.
 * The same shape as core's {@link TranscriptWord}: the wire and the batch
 * response carry words as the client sees them.
 *
 * @example A word
 * ```ts
 * const word: EngineWord = { word: 'one', start: 0.2, end: 0.3, confidence: 0.95 };
 * ```
 */
export type EngineWord = TranscriptWord;

/**
 * An interim (revisable) or final transcript of one channel: the wire's
 * `transcript` message as core parses it (`WireTranscript`: one type,
 * `isFinal` for `is_final`), timed from the connection's first sample. Not
 * core's `TranscriptSegmentEvent`, which is `interim`/`final` and re-timed
 * across reconnects.
 *
 * @example Keep only finals
 * ```ts
 * const finals = events.filter((e): e is EngineTranscript => e.type === 'transcript' && e.isFinal);
 * ```
 */
export type EngineTranscript = WireTranscript;

/**
 * Speech (a key) began on `channel` at `timestamp` seconds. Unlike core's
 * `SpeechStartedEvent` it names the channel (the wire sends it).
 *
 * @example An onset on the right channel
 * ```ts
 * const ev: EngineSpeechStarted = { type: 'speech_started', timestamp: 1.25, channel: 1 };
 * ```
 */
export interface EngineSpeechStarted {
  type: 'speech_started';
  timestamp: number;
  channel: number;
}

/**
 * What an engine reports.
 *
 * @example Tell the two kinds apart
 * ```ts
 * function describe(ev: EngineEvent): string {
 *   return ev.type === 'transcript' ? `${ev.isFinal ? 'final' : 'interim'}: ${ev.text}` : `speech at ${ev.timestamp}`;
 * }
 * ```
 */
export type EngineEvent = EngineTranscript | EngineSpeechStarted;

/**
 * What a connection tells its engine when it opens.
 *
 * @example Options of a 16 kHz mono connection
 * ```ts
 * const options: EngineOptions = { sampleRate: 16000, channels: 1, language: null, interimResults: true };
 * ```
 */
export interface EngineOptions {
  /** Samples per second per channel. */
  sampleRate: number;
  /** Interleaved channels. */
  channels: number;
  /** The `language` query parameter, or `null`. */
  language: string | null;
  /** Whether interims are wanted (`interim_results`). */
  interimResults: boolean;
}

/**
 * A recogniser for one connection. Every method returns the events it
 * produced, in order; none of them throws for well-formed input.
 *
 * @example Drive an engine by hand
 * ```ts
 * const engine = createToneEngine({ sampleRate: 16000, channels: 1, language: null, interimResults: true });
 * const { samples } = dtmfSamples('12');
 * const events = [...engine.push(samples), ...engine.end()];
 * ```
 */
export interface Engine {
  /** Hears interleaved pcm_s16le samples (a whole number of frames). */
  push(samples: Int16Array): EngineEvent[];
  /** Emits what has been heard so far as finals now (`{"type":"finalize"}`). */
  finalize(): EngineEvent[];
  /** No more audio: flushes every final. Nothing may be pushed afterwards. */
  end(): EngineEvent[];
}

/**
 * Makes the engine of one connection.
 *
 * @example An engine that hears nothing
 * ```ts
 * const factory: EngineFactory = () => ({ push: () => [], finalize: () => [], end: () => [] });
 * const emulator = await startEmulator({ engine: factory });
 * ```
 */
export type EngineFactory = (options: EngineOptions) => Engine;
