/**
 * One connection's state, as one record: made when a connection opens and
 * dropped when it ends, so nothing of it has to be reset by hand. Its
 * clock (samples received by the server on it) maps onto the stream's
 * through the spans it actually sent ({@link SpanMap}). Pure.
 *
 * @module
 */
import type { ErrorEnvelope } from '../errors.ts';

/**
 * Where a connection's samples sit on the stream's clock: the connection
 * received contiguous audio, but the stream may have skipped spans between
 * them (audio the window let go while it was unsent). Each entry says "from
 * connection sample `c` on, stream sample = `s` + (sample − `c`)".
 *
 * @example
 * ```ts
 * const m = new SpanMap(1000); // the connection starts at stream sample 1000
 * m.jump(500, 4000);           // after 500 samples, the stream skipped to 4000
 * m.toStream(200, false);      // 1200
 * m.toStream(500, true);       // 1500: an end at the jump is the end of what came before it
 * m.toStream(500, false);      // 4000
 * ```
 */
export class SpanMap {
  readonly #conn: number[] = [0];
  readonly #stream: number[];

  constructor(base: number) {
    this.#stream = [base];
  }

  /** From connection sample `at` on, the audio is stream audio from `streamAt`. */
  jump(at: number, streamAt: number): void {
    const last = this.#conn.length - 1;
    if (this.#conn[last] === at) this.#stream[last] = streamAt;
    else {
      this.#conn.push(at);
      this.#stream.push(streamAt);
    }
  }

  /** The stream position of connection sample `at`; an `end` at a jump belongs to the span before it. */
  toStream(at: number, end: boolean): number {
    return at + this.offset(at, end);
  }

  /** Stream position minus connection position where connection sample `at` lies (samples; may be fractional `at`). */
  offset(at: number, end: boolean): number {
    const conn = this.#conn;
    let i = conn.length - 1;
    while (i > 0 && (end ? conn[i]! >= at : conn[i]! > at)) i--;
    return this.#stream[i]! - conn[i]!;
  }
}

/**
 * The open connection. Times are the session's clock (ms); positions are
 * stream sample positions per channel unless named for the connection.
 */
export class Connection {
  readonly id: number;
  readonly openedAt: number;
  /** Stream position of the first sample sent on it (the replay start). */
  readonly base: number;
  /** Where new audio starts: what it sends before this is a replay. */
  readonly replayEnd: number;
  /** Samples of the replay (holes left out): where new audio starts on its own clock. */
  readonly replaySamples: number;
  readonly spans: SpanMap;
  /** The stream position it has sent up to. */
  sentUpTo: number;
  /** Samples per channel it has sent: its own clock. */
  sentSamples = 0;

  /** `session.started` came. */
  started = false;
  /** `session.ended` came, and when. */
  sessionEnded = false;
  sessionEndedAt = 0;
  /** When `end` went out on it (-1: not yet). */
  endSentAt = -1;
  lastSendAt: number;
  lastMessageAt: number;
  /** Server messages that were not finals confirming new audio, since the last that was (what a bound reports). */
  chatter = 0;

  /** Bytes handed to its socket. */
  bytesSent = 0;
  /** Bytes the socket has let go of (sent − buffered), the most seen, and when it last grew. */
  flushed = 0;
  flushedAt: number;
  /** What the socket held when last told, plus what was sent since: at least what it holds now. */
  bufferedBound = 0;
  /** Waiting for the socket to drain before sending more. */
  drainWait = false;
  /** New audio is paced: nothing goes before this time. */
  pacingUntil = 0;

  /** The server's `error` message, kept for the close that follows it. */
  serverError: ErrorEnvelope['error'] | undefined;
  /** The end (connection seconds) of the latest final on each channel, and whether an utterance is open there. */
  readonly lastFinalEnd: number[];
  readonly inUtterance: boolean[];

  constructor(id: number, now: number, base: number, replayEnd: number, replaySamples: number, channels: number) {
    this.id = id;
    this.openedAt = this.lastSendAt = this.lastMessageAt = this.flushedAt = now;
    this.base = this.sentUpTo = base;
    this.replayEnd = replayEnd;
    this.replaySamples = replaySamples;
    this.spans = new SpanMap(base);
    this.lastFinalEnd = new Array<number>(channels).fill(0);
    this.inUtterance = new Array<boolean>(channels).fill(false);
  }

  /** The socket holds `buffered` bytes at `now`: what it let go of since is progress. */
  observe(buffered: number, now: number): void {
    const flushed = this.bytesSent - buffered;
    if (flushed > this.flushed) {
      this.flushed = flushed;
      this.flushedAt = now;
    }
    this.bufferedBound = buffered;
  }

  /** Its clock goes on at stream `position`: what lies between (a hole, audio the window let go) is not sent. */
  jumpTo(position: number): void {
    this.spans.jump(this.sentSamples, position);
    this.sentUpTo = position;
  }

  /** `bytes` were handed to the socket at `now`. */
  sent(bytes: number, now: number): void {
    this.bytesSent += bytes;
    this.bufferedBound += bytes;
    this.lastSendAt = now;
  }

  /** Bytes that may still be in its socket: sent and not yet seen let go. */
  get unflushed(): number {
    return this.bytesSent - this.flushed;
  }
}
