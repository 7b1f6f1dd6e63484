/**
 * The bounds of an open connection and of the end of the stream: the one
 * place that decides when waiting has gone on too long. Each measures
 * silence or lack of progress, never time since an event alone, so a slow
 * but moving peer is never taken for a dead one:
 *
 * | bound | counts | then |
 * |---|---|---|
 * | `connectTimeoutMs` | from the socket opening, while no `session.started` came | the connection is dropped (reconnect) |
 * | `stallTimeoutMs` (send) | while bytes wait in the send buffer, from the last time any left it | dropped (reconnect) |
 * | `stallTimeoutMs` (answer) | after `end` on this connection, from the last message, the last byte that left the send buffer, or the `end` | dropped (reconnect) |
 * | `endTimeoutMs` | once `end` was sent, from the later of the first `end` and the last progress (a final that confirmed audio not confirmed before) | the stream fails with `timeout` |
 *
 * Pure: time comes in as a number.
 *
 * @module
 */
import { createSttError, type SttError } from '../errors.ts';
import type { Connection } from './connection.ts';
import type { SessionSettings } from './commands.ts';
import type { ReconnectPolicy } from './reconnect-policy.ts';

type BoundSettings = Pick<SessionSettings, 'connectTimeoutMs' | 'stallTimeoutMs' | 'endTimeoutMs'>;

/**
 * Why the open connection counts as stalled at `now`, or `null`. `buffered`
 * is what its socket holds now.
 *
 * @example
 * ```ts
 * stallOf(conn, 48000, settings, conn.flushedAt + 10_000);
 * // 'the server read nothing for 10000 ms (`stallTimeoutMs`) while 48000 bytes waited to be sent'
 * ```
 */
export function stallOf(conn: Connection, buffered: number, s: BoundSettings, now: number): string | null {
  if (!conn.started && now - conn.openedAt >= s.connectTimeoutMs) {
    return `no \`session.started\` within ${s.connectTimeoutMs} ms of the socket opening (\`connectTimeoutMs\`)`;
  }
  if (buffered > 0 && now - conn.flushedAt >= s.stallTimeoutMs) {
    return `the server read nothing for ${s.stallTimeoutMs} ms (\`stallTimeoutMs\`) while ${buffered} bytes waited to be sent`;
  }
  if (conn.endSentAt >= 0 && !conn.sessionEnded && now - Math.max(conn.lastMessageAt, conn.endSentAt, conn.flushedAt) >= s.stallTimeoutMs) {
    return `no answer to \`end\` for ${s.stallTimeoutMs} ms (\`stallTimeoutMs\`)`;
  }
  return null;
}

/**
 * When the stream must be over: `endTimeoutMs` after the later of the first
 * `end` sent and the last progress; `Infinity` before any `end` was sent.
 */
export function endDeadline(firstEndSentAt: number, lastProgressAt: number, s: BoundSettings): number {
  return firstEndSentAt < 0 ? Infinity : Math.max(firstEndSentAt, lastProgressAt) + s.endTimeoutMs;
}

/** The error of an attempt to connect that took longer than `connectTimeoutMs`. */
export function connectTimeout(s: BoundSettings): SttError {
  return createSttError('timeout', `No connection within ${s.connectTimeoutMs} ms (credentials and handshake; \`connectTimeoutMs\`)`);
}

/**
 * The `timeout` that ends a stream at its end bound: which bound, and what
 * the server did meanwhile (the reconnect policy's record of drops, with the
 * last one's error as `cause`; else what the open connection did).
 */
export function endTimeout(s: BoundSettings, policy: ReconnectPolicy, conn: Connection | null, buffered: number, now: number): SttError {
  const cause = policy.lastError;
  return createSttError('timeout', endTimeoutMessage(s, policy.story(), conn, buffered, now), cause ? { cause } : {});
}

function endTimeoutMessage(s: BoundSettings, story: string, conn: Connection | null, buffered: number, now: number): string {
  let what = story;
  if (!what && conn) {
    const silentFor = ((now - conn.lastMessageAt) / 1000).toFixed(1);
    what =
      conn.chatter > 0
        ? `the server sent ${conn.chatter} message(s) but no final for new audio (the last ${silentFor} s ago)`
        : `the server said nothing for ${silentFor} s`;
    if (buffered > 0) what += `; ${buffered} bytes still waited to be sent`;
  }
  if (!what) what = 'no connection was open';
  return `No final confirmed new audio for ${s.endTimeoutMs} ms after the end of the audio (\`endTimeoutMs\`): ${what}`;
}
