/**
 * The receiving side of an open connection: what a server message does to
 * the stream. Transcripts are checked against the audio sent on their
 * connection (`transcripts.ts`), re-timed through its {@link SpanMap} onto
 * the stream's clock, and delivered once, in order; a final that confirms
 * new audio moves the commit point (progress). Pure: it queues notices and
 * reader events and says what happened.
 *
 * @module
 */
import { createSttError } from '../errors.ts';
import type { ServerMessage, WireTranscript } from '../protocol/gateway-dialect.ts';
import { Op, type Outbox, type SessionSettings } from './commands.ts';
import type { Connection } from './connection.ts';
import type { LatencyTracker } from './latency.ts';
import type { Markers } from './markers.ts';
import type { Reader } from './reader.ts';
import type { ReconnectPolicy } from './reconnect-policy.ts';
import type { ReplayWindow } from './replay-window.ts';
import { retime, transcriptProblem } from './transcripts.ts';

/** The session's parts a message may touch. */
export interface ReceiverParts {
  s: SessionSettings;
  window: ReplayWindow;
  policy: ReconnectPolicy;
  latency: LatencyTracker;
  markers: Markers;
  reader: Reader;
  out: Outbox;
}

/** What {@link receive} did: bits of these. */
export const Received = {
  /** `session.started` came (the first of the stream when `everStarted` was false). */
  started: 1,
  /** A final confirmed audio not confirmed before: the commit point moved. */
  progress: 2,
  /** The reader's queue is full: the stream must fail with `slow_reader`. */
  overflow: 4,
} as const;

/**
 * What server message `msg` on the open connection `conn` does, at `now`.
 *
 * @example
 * ```ts
 * const r = receive(parts, conn, parseServerMessage(text), now, everStarted);
 * if (r & Received.progress) lastProgressAt = now;
 * ```
 */
export function receive(p: ReceiverParts, conn: Connection, msg: ServerMessage, now: number, everStarted: boolean): number {
  conn.lastMessageAt = now;
  if (msg.type !== 'transcript' || !msg.isFinal) conn.chatter++;
  // A server's `error` is the one a close right after it is about; anything after it means it was not.
  if (msg.type !== 'error') conn.serverError = undefined;
  switch (msg.type) {
    case 'session.started':
      if (conn.started) {
        protocolError(p.out, 'a second `session.started` on one connection');
        return 0;
      }
      conn.started = true;
      if (everStarted) p.out.notice('reconnected', { sessionId: msg.sessionId, replayedSeconds: (conn.replayEnd - conn.base) / p.s.sampleRate });
      else p.out.notice('open', { sessionId: msg.sessionId, model: msg.model });
      return Received.started;
    case 'transcript':
      return transcript(p, conn, msg, now);
    case 'speech_started': {
      const rate = p.s.sampleRate;
      const timestamp = msg.timestamp + conn.spans.offset(msg.timestamp * rate, false) / rate;
      return p.reader.deliver({ type: 'speech_started', timestamp, source: 'server' }) ? 0 : Received.overflow;
    }
    case 'session.ended':
      conn.sessionEnded = true;
      conn.sessionEndedAt = now;
      return 0;
    case 'error':
      conn.serverError = msg.error;
  }
  return 0;
}

function protocolError(out: Outbox, message: string): void {
  out.notice('error', createSttError('protocol_error', `Server message rejected: ${message}`, { retryable: false }));
}

/** Checks a transcript against the stream, re-times it and delivers it (finals once, in order). */
function transcript(p: ReceiverParts, conn: Connection, msg: WireTranscript, now: number): number {
  const rate = p.s.sampleRate;
  const ch = msg.channel;
  const rejected = transcriptProblem(msg, p.s.channels, conn.sentSamples / rate, conn.lastFinalEnd[ch]);
  if (rejected) {
    protocolError(p.out, rejected);
    return 0;
  }
  const spans = conn.spans;
  const endSample = Math.min(conn.sentUpTo, Math.round(spans.toStream(msg.end * rate, true)));
  const window = p.window;
  const commit = window.commitOf(ch);
  if (!msg.isFinal) {
    if (endSample <= commit && msg.start !== msg.end) return 0; // an interim for audio that is already final
    if (!conn.inUtterance[ch]) {
      conn.inUtterance[ch] = true;
      p.latency.firstInterim(endSample, now);
    }
    return p.reader.deliver(retime(msg, (t, end) => t + spans.offset(t * rate, end) / rate)) ? 0 : Received.overflow;
  }
  conn.lastFinalEnd[ch] = msg.end;
  conn.inUtterance[ch] = false;
  // A final wholly before the commit point was delivered by an earlier connection.
  if (endSample <= commit && !(endSample === commit && commit === 0)) {
    conn.chatter++;
    return 0;
  }
  window.commit(ch, endSample, conn.sentUpTo);
  if (window.releasable) window.release();
  p.policy.progress();
  conn.chatter = 0;
  p.markers.confirm(window.committed());
  const event = retime(msg, (t, end) => t + spans.offset(t * rate, end) / rate);
  if (!p.reader.deliver(event)) return Received.progress | Received.overflow;
  const latencyMs = p.latency.final(endSample, now);
  p.latency.forgetBefore(window.committed());
  p.out.push(Op.metrics, event, latencyMs);
  return Received.progress;
}
