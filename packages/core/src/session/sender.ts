/**
 * The sending side of an open connection: what goes now, in what order.
 * Markers (`finalize`, `end`) where they fall, then wire messages cut by
 * {@link nextMessage}, within the socket's high-water mark (drain to half,
 * then a burst) and `realtimeFactor` pacing. Pure: it queues `send`,
 * `awaitDrain` and `wakeAt` commands.
 *
 * @module
 */
import { clientMessages } from '../protocol/gateway-dialect.ts';
import { Op, type Outbox, type SessionSettings } from './commands.ts';
import type { Connection } from './connection.ts';
import { nextMessage, type MessageCut } from './framing.ts';
import type { LatencyTracker } from './latency.ts';
import type { Markers } from './markers.ts';
import type { ReplayWindow } from './replay-window.ts';

/** What {@link Sender.pump} did: bits of these. */
export const Sent = { audio: 1, end: 2, lost: 4 } as const;

/**
 * Sends a session's audio and markers on its open connection.
 *
 * @example
 * ```ts
 * const sender = new Sender(settings, window, markers, latency, out);
 * if (sender.pump(conn, now) & Sent.end) firstEndSentAt ??= now;
 * ```
 */
export class Sender {
  readonly #s: SessionSettings;
  readonly #window: ReplayWindow;
  readonly #markers: Markers;
  readonly #latency: LatencyTracker;
  readonly #out: Outbox;
  /** Samples per channel in a catch-up message, and bytes per sample frame. */
  readonly #messageSamples: number;
  readonly #bytesPerSample: number;
  /** One cut, reused: no object per message. */
  readonly #cut: MessageCut;
  /** Samples per channel of audio handed to sockets, replays included. */
  sentSamples = 0;

  constructor(s: SessionSettings, window: ReplayWindow, markers: Markers, latency: LatencyTracker, out: Outbox) {
    this.#s = s;
    this.#window = window;
    this.#markers = markers;
    this.#latency = latency;
    this.#out = out;
    const messageFrames = Math.max(1, s.messageFrames ?? 1);
    this.#messageSamples = s.frameSamples * messageFrames;
    this.#bytesPerSample = 2 * s.channels;
    this.#cut = {
      from: 0,
      available: 0,
      boundary: Infinity,
      frameSamples: s.frameSamples,
      frameBytes: s.frameSamples * this.#bytesPerSample,
      messageFrames,
      paced: false,
      room: 0,
      hold: false,
    };
  }

  /**
   * Sends what can go now on `conn`. New audio paced by `realtimeFactor`
   * goes a frame at a time; other audio that is there in more than one
   * frame goes in catch-up messages. New audio written ahead of real time
   * (a file) waits for a whole message, at the latest until real time comes
   * within one message of its end.
   */
  pump(conn: Connection, now: number): number {
    if (conn.drainWait || now < conn.pacingUntil) return 0;
    const s = this.#s;
    const out = this.#out;
    const window = this.#window;
    const markers = this.#markers;
    const cut = this.#cut;
    let done = 0;
    for (;;) {
      let boundary = Infinity;
      if (markers.size > 0) {
        const due = markers.due(conn.id, conn.sentUpTo);
        if (due === 'cut') continue;
        if (due) {
          const text = due === 'end' ? clientMessages.end : clientMessages.finalize;
          out.push(Op.send, text, conn.id);
          conn.sent(text.length, now);
          if (due === 'end') {
            conn.endSentAt = now;
            done |= Sent.end;
          }
          continue;
        }
        boundary = markers.boundary(conn.id, conn.sentUpTo);
      }
      // Silence not sent (a hole) is jumped: the connection's clock goes on from the audio after it.
      if (conn.sentUpTo < window.start) conn.jumpTo(window.start);
      const hole = window.nextHole(conn.sentUpTo);
      if (hole !== null && hole.start <= conn.sentUpTo) {
        conn.jumpTo(hole.end);
        continue;
      }
      const fresh = conn.sentUpTo >= conn.replayEnd;
      const paced = s.realtimeFactor !== Infinity && fresh;
      const flushAt =
        !paced && fresh && cut.messageFrames > 1 ? this.#dueAt(conn, conn.sentSamples + window.heldAfter(conn.sentUpTo) - this.#messageSamples, 1) : -Infinity;
      cut.from = conn.sentUpTo;
      cut.available = window.end;
      cut.boundary = hole === null || hole.start > boundary ? boundary : hole.start; // nothing follows the audio before a hole
      cut.paced = paced;
      cut.room = s.highWaterMarkBytes - conn.bufferedBound;
      cut.hold = now < flushAt;
      const until = nextMessage(cut);
      if (until < 0) {
        if (cut.hold) out.push(Op.wakeAt, flushAt);
        break;
      }
      if (conn.bufferedBound >= s.highWaterMarkBytes) {
        // Drain to half the mark, then send a burst: one wake-up per burst.
        conn.drainWait = true;
        out.push(Op.awaitDrain, conn.id, s.highWaterMarkBytes >> 1);
        break;
      }
      if (paced) {
        // New audio goes no faster than realtimeFactor × real time (a replay goes at once).
        const due = this.#dueAt(conn, conn.sentSamples, s.realtimeFactor);
        if (due - now > 1) {
          conn.pacingUntil = due;
          out.push(Op.wakeAt, due);
          break;
        }
      }
      const data = window.readBytes(conn.sentUpTo, until);
      // Unreachable: sent audio is dropped only up to `sentUpTo`, unsent audio only with a gap that moves it.
      if (!data) return done | Sent.lost;
      out.push(Op.send, data, conn.id);
      conn.sent(data.byteLength, now);
      const samples = data.byteLength / this.#bytesPerSample;
      conn.sentUpTo += samples;
      conn.sentSamples += samples;
      this.sentSamples += samples;
      this.#latency.recordSend(conn.sentUpTo, now);
      done |= Sent.audio;
    }
    return done;
  }

  /** A keep-alive when nothing was sent for `keepAliveMs` and the socket is empty. */
  keepAlive(conn: Connection, now: number, buffered: number): void {
    if (now - conn.lastSendAt < this.#s.keepAliveMs || buffered !== 0) return;
    this.#out.push(Op.send, clientMessages.keepalive, conn.id);
    conn.sent(clientMessages.keepalive.length, now);
  }

  /**
   * When new audio up to `samples` of the connection's own clock is due at
   * `factor` × real time since the connection opened (ms): counted past its
   * replay, so silence not sent costs no time.
   */
  #dueAt(conn: Connection, samples: number, factor: number): number {
    return conn.openedAt + ((samples - conn.replaySamples) / this.#s.sampleRate / factor) * 1000;
  }
}
