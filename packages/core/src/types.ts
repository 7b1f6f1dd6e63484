/**
 * The shapes that cross the public API: audio in, transcript events out, batch results.
 *
 * @module
 */

/**
 * A block of PCM audio, channels interleaved.
 *
 * `Float32Array` samples are in [-1, 1] (values outside are clipped, NaN and
 * Infinity become silence and are reported once); `Int16Array` samples are
 * signed 16-bit.
 *
 * @example Ten milliseconds of 16 kHz mono silence
 * ```ts
 * const frame: PCMFrame = { data: new Int16Array(160), sampleRate: 16000, channels: 1 };
 * ```
 */
export interface PCMFrame {
  /** Interleaved samples: `data.length` is a multiple of `channels`. */
  data: Int16Array | Float32Array;
  /** Samples per second per channel: an integer from 8000 to 192000. */
  sampleRate: number;
  /** Channel count: an integer from 1 to 8. */
  channels: number;
}

/** One recognised word with its times in seconds of the stream. */
export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
  confidence: number | null;
}

/** An interim (revisable) or final (never revised) transcript of one span of audio. */
export interface TranscriptSegmentEvent {
  type: 'interim' | 'final';
  text: string;
  /** Seconds from the first sample written to the transcriber, across reconnects. */
  start: number;
  end: number;
  confidence: number | null;
  language: string | null;
  channel: number;
  words: TranscriptWord[] | null;
}

/**
 * Speech began at `timestamp` seconds of the stream: as the server heard it
 * (`source: 'server'`, when the gateway sends one; no channel), or as the
 * client's own voice activity detector did (`source: 'client'`, with the
 * `voiceActivity` option; per channel, at the onset less the pre-roll).
 */
export interface SpeechStartedEvent {
  type: 'speech_started';
  timestamp: number;
  source: 'server' | 'client';
  /** The channel (client events); absent for the server's. */
  channel?: number;
}

/**
 * Speech ended at `timestamp` seconds of the stream, as the client's voice
 * activity detector heard it (`voiceActivity` option): the last speech plus
 * the hangover, per channel. The server sends no such event.
 */
export interface SpeechEndedEvent {
  type: 'speech_ended';
  timestamp: number;
  source: 'client';
  channel: number;
}

/**
 * Audio between `start` and `end` (seconds of the stream) could not be
 * transcribed: it was dropped from the replay window while it was still
 * needed for a reconnect. Never silent: every lost span is one `gap`.
 */
export interface GapEvent {
  type: 'gap';
  start: number;
  end: number;
  reason: string;
}

/**
 * What a transcriber's readable side yields.
 *
 * @example Print finals
 * ```ts
 * for await (const ev of audio.pipeThrough(createTranscriber({ model: 'whisper-1' }))) {
 *   if (ev.type === 'final') console.log(ev.start.toFixed(2), ev.text);
 * }
 * ```
 */
export type TranscriptEvent = TranscriptSegmentEvent | SpeechStartedEvent | SpeechEndedEvent | GapEvent;

/** The gateway's batch response (`POST /v1/stt/transcribe`), typed. */
export interface Transcription {
  text: string;
  /** Seconds of audio. */
  duration: number;
  language: string | null;
  confidence: number | null;
  words: TranscriptWord[] | null;
  model: string;
}
