/**
 * What the session core is made of and speaks to: its settings, the notices
 * it gives, and the effects it asks for ({@link SessionIO}, carried out by
 * the Web Streams wrapper).
 *
 * @module
 */
import type { SttError } from '../errors.ts';
import type { TranscriptEvent, TranscriptSegmentEvent } from '../types.ts';
import type { LatencySummary } from './latency.ts';
import type { ReconnectSettings } from './reconnect-policy.ts';

/** Resolved settings of a session (see `TranscriberOptions` for each). */
export interface SessionSettings {
  sampleRate: number;
  channels: number;
  frameSamples: number;
  /** Whole frames in one message of audio that is ahead of the wire (`catchUpFrames`). @defaultValue 1 */
  messageFrames?: number;
  windowSamples: number;
  /** About how large a replay block is, in bytes (default 16 KiB; tests use small blocks). */
  blockBytes?: number;
  overflow: 'wait' | 'drop-oldest';
  windowWaitMs: number;
  highWaterMarkBytes: number;
  realtimeFactor: number;
  keepAliveMs: number;
  stallTimeoutMs: number;
  connectTimeoutMs: number;
  endTimeoutMs: number;
  reconnect: ReconnectSettings | false;
  /** Randomness for the backoff jitter, in [0, 1). @defaultValue Math.random */
  random?: () => number;
}

/** What a final adds to the figures: the `metrics` event. */
export interface TranscriptMetrics {
  /** Milliseconds from the last send of the final's last sample to its arrival; `null` when not known. */
  latencyMs: number | null;
  final: TranscriptSegmentEvent;
  latency: LatencySummary;
  connections: number;
  reconnects: number;
  replayedSeconds: number;
  gapSeconds: number;
}

/** Lifecycle notices the session gives (the transcriber's `events`). */
export interface SessionNotices {
  open: { sessionId: string; model: string | null };
  reconnecting: { attempt: number; delayMs: number; cause: SttError };
  reconnected: { sessionId: string; replayedSeconds: number };
  close: { code: number; reason: string };
  error: SttError;
  metrics: TranscriptMetrics;
}

/** The effects a session asks for. Each is carried out at once; none reports back but through the inputs. */
export interface SessionIO {
  /** Open connection `id` now; answer with `opened`, `refused` (and later `message`, `closed`). */
  open(id: number): void;
  /** Send on the open connection. */
  send(data: Uint8Array | string): void;
  /** Bytes queued in the open connection's socket. */
  bufferedAmount(): number;
  /** Call `drained(id)` once the socket holds fewer than `bytes`. */
  awaitDrain(id: number, bytes: number): void;
  /** Close the open connection (a closing handshake); no `closed` input follows. */
  close(code: number, reason: string): void;
  /** Drop the open connection without a handshake; no `closed` input follows. */
  terminate(): void;
  /** Deliver a transcript event to the reader. */
  emit(event: TranscriptEvent): void;
  notice<K extends keyof SessionNotices>(name: K, info: SessionNotices[K]): void;
  /** Whether anyone listens to a notice (the `metrics` figures are made only then). */
  wants(name: keyof SessionNotices): boolean;
  /** Call `tick` at (or after) time `at`. Earlier requests win; a tick may come early. */
  wakeAt(at: number): void;
  /** Something changed that a waiting writer may be waiting for. */
  wakeWriter(): void;
  /** The session is over: `error` is `null` when it ended normally. */
  finish(error: Error | null): void;
}
