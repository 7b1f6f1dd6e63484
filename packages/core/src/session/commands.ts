/**
 * What the session core is given and what it asks for: its settings, the
 * notices it gives, and the commands it queues in an {@link Outbox} for the
 * wrapper (`transcriber.ts`) to carry out after each input. No command is
 * carried out inside a step, so no user code (a listener, a reader) ever runs
 * in the middle of one.
 *
 * @module
 */
import type { SttError } from '../errors.ts';
import type { TranscriptEvent, TranscriptSegmentEvent } from '../types.ts';
import type { BlockPool } from './block-pool.ts';
import type { LatencySummary } from './latency.ts';
import type { ReconnectSettings } from './reconnect-policy.ts';
import type { SpeechFilterFactory, SpeechSettings } from './speech.ts';

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
  /** Transcript events that may wait for a slow reader before the stream fails with `slow_reader`. */
  maxBufferedEvents: number;
  /** Voice activity detection at the client (with `SessionDeps.speech`); none when absent. */
  speech?: SpeechSettings;
}

/** What the core is given besides its settings: memory and randomness. */
export interface SessionDeps {
  /** Where replay blocks come from and go back to. */
  pool: BlockPool;
  /** Randomness for the backoff jitter, in [0, 1) (seeded in tests, so that a run replays). */
  random: () => number;
  /** Makes the speech filter and its detector (called at the first write) when `SessionSettings.speech` is set. */
  speech?: SpeechFilterFactory;
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

/** How far the stream is behind its audio: the `lag` notice (live sources, `overflow: 'drop-oldest'`). */
export interface LagInfo {
  /**
   * `true` when the audio not yet confirmed passed 10 s (or half
   * the replay window, if less); `false` once it is back under half of that.
   */
  behind: boolean;
  /** Seconds of audio written but not yet handed to the socket (what the client holds). */
  unsentSeconds: number;
  /** Seconds of audio written but not yet confirmed by a final: how far behind the transcript is. */
  unconfirmedSeconds: number;
}

/**
 * Unconfirmed audio past this many seconds (or half the replay window, if
 * less) makes a live stream `behind`. Audio handed to the socket may wait in
 * the kernel's buffers or a proxy's, where the client cannot see it: the
 * finals that do not come are what shows a slow link.
 */
export const LAG_SECONDS = 10;

/** Lifecycle notices the session gives (the transcriber's `events`), but `metrics`, which the wrapper completes. */
export interface SessionNotices {
  open: { sessionId: string; model: string | null };
  reconnecting: { attempt: number; delayMs: number; cause: SttError };
  reconnected: { sessionId: string; replayedSeconds: number };
  close: { code: number; reason: string };
  error: SttError;
  lag: LagInfo;
}

/** The commands of an {@link Outbox}: each is one op and up to two arguments. */
export const Op = {
  /** Open connection `a` (an id); answer with `opened` or `refused` (then `message`, `closed`). */
  open: 1,
  /** Send `a` (bytes or text) on the open connection `b`. The bytes may be reused once `send` returns. */
  send: 2,
  /** Call `drained(a)` once connection `a`'s socket holds fewer than `b` bytes. */
  awaitDrain: 3,
  /** Close connection `a` with the closing handshake (`b`: `{ code, reason }`); no `closed` input follows. */
  close: 4,
  /** Drop connection `a` at once, without a handshake; no `closed` input follows. */
  terminate: 5,
  /** Give transcript event `a` to the reader (the core has checked that the reader has room). */
  emit: 6,
  /** Emit notice `a` (a key of {@link SessionNotices}) with `b`. */
  notice: 7,
  /** A final was delivered: `a` the final, `b` its latency; the wrapper makes the `metrics` notice if anyone listens. */
  metrics: 8,
  /** Call `tick` at (or after) time `a`. Earlier requests win; a tick may come early. */
  wakeAt: 9,
  /** The pending write has been taken in whole (or the stream is over): resolve the writer's promise. */
  writeDone: 10,
  /** The stream is over: `a` is the error, or `null`. Streams are errored now; the readable closes at `closeReader`. */
  finish: 11,
  /** Every event has gone to the reader after a normal end: close the readable side. */
  closeReader: 12,
} as const;

export type OpCode = (typeof Op)[keyof typeof Op];

/**
 * The commands the core queued, in order: a flat array of `[op, a, b]`
 * triples (no object per command on the per-frame path). The wrapper runs
 * them after every input and then empties it; an input made while they run
 * (a listener calling `finalize()`) adds to the same list.
 */
export class Outbox {
  readonly list: unknown[] = [];
  /** Blocks let go while commands may still read them (a `send` is a view of one): back to the pool at {@link settle}. */
  readonly #retired: Int16Array[] = [];
  readonly #pool: BlockPool;

  constructor(pool: BlockPool) {
    this.#pool = pool;
  }

  /** A replay block no longer needed: it goes back to the pool once the commands queued so far have run. */
  retire(block: Int16Array): void {
    this.#retired.push(block);
  }

  /** Every command queued has run (the list is empty): retired blocks go back to the pool. */
  settle(): void {
    this.list.length = 0;
    for (const block of this.#retired) this.#pool.give(block);
    this.#retired.length = 0;
  }

  push(op: OpCode, a?: unknown, b?: unknown): void {
    this.list.push(op, a, b);
  }

  notice<K extends keyof SessionNotices>(name: K, info: SessionNotices[K]): void {
    this.list.push(Op.notice, name, info);
  }
}
