/**
 * Server transcripts against the stream: what makes one a protocol error,
 * and how its connection times become stream times. Pure.
 *
 * @module
 */
import type { WireTranscript } from '../protocol/gateway-dialect.ts';
import type { TranscriptSegmentEvent } from '../types.ts';

/** Slack for rounding when a server's times are checked against the audio sent, in seconds. */
export const TIME_TOLERANCE_S = 0.02;

/**
 * Why a transcript breaks the contract, or `null` when it does not: a channel
 * the stream does not have, an end beyond the audio sent on its connection,
 * or (a final) a start before the previous final's end on its channel.
 *
 * @example
 * ```ts
 * transcriptProblem({ ...final, channel: 7 }, 1, 2.0, 0); // 'a final on channel 7 of a 1-channel stream'
 * ```
 */
export function transcriptProblem(msg: WireTranscript, channels: number, sentSeconds: number, lastFinalEnd: number | undefined): string | null {
  const kind = msg.isFinal ? 'a final' : 'an interim';
  if (msg.channel >= channels) return `${kind} on channel ${msg.channel} of a ${channels}-channel stream`;
  if (msg.end > sentSeconds + TIME_TOLERANCE_S) {
    return `${kind} ending at ${msg.end} s, beyond the ${sentSeconds.toFixed(3)} s of audio sent on this connection`;
  }
  if (msg.isFinal && lastFinalEnd !== undefined && msg.start < lastFinalEnd - TIME_TOLERANCE_S) {
    return `a final starting at ${msg.start} s overlaps the previous final on channel ${msg.channel} (it ended at ${lastFinalEnd} s)`;
  }
  return null;
}

/**
 * The event a reader gets: times moved from the connection's clock to the
 * stream's by `toStream` (connection seconds, whether the time is an end →
 * stream seconds).
 *
 * @example
 * ```ts
 * retime(wire, (t) => t + 12.5).start; // wire.start + 12.5
 * ```
 */
export function retime(msg: WireTranscript, toStream: (seconds: number, end: boolean) => number): TranscriptSegmentEvent {
  return {
    type: msg.isFinal ? 'final' : 'interim',
    text: msg.text,
    start: toStream(msg.start, false),
    end: toStream(msg.end, true),
    confidence: msg.confidence,
    language: msg.language,
    channel: msg.channel,
    words: msg.words ? msg.words.map((w) => ({ ...w, start: toStream(w.start, false), end: toStream(w.end, true) })) : null,
  };
}
