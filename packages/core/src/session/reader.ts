/**
 * The reader's side of a session: transcript events go to the reader while
 * it has room (the readable's `desiredSize`, told by `pull`), and wait in a
 * bounded {@link EventQueue} while it has none. While any event waits, the
 * writer waits too (a slow reader pauses the audio); past the queue's bound
 * the stream fails with `slow_reader` rather than grow. Pure.
 *
 * @module
 */
import { createSttError, type SttError } from '../errors.ts';
import type { TranscriptEvent } from '../types.ts';
import { Op, type Outbox } from './commands.ts';
import { EventQueue } from './event-queue.ts';

/**
 * Where the session's transcript events go.
 *
 * @example
 * ```ts
 * const reader = new Reader(10_000, out);
 * reader.pull(64);          // the readable has room for 64
 * reader.deliver(final);    // an `emit` command now
 * ```
 */
export class Reader {
  readonly #queue: EventQueue;
  readonly #out: Outbox;
  /** Events the readable takes before it is full. */
  #room = 0;

  constructor(maxBufferedEvents: number, out: Outbox) {
    this.#queue = new EventQueue(maxBufferedEvents);
    this.#out = out;
  }

  /** The most events that may wait. */
  get max(): number {
    return this.#queue.max;
  }

  /** Events waiting for the reader. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Gives `event` to the reader, or queues it; `false` when the queue is full (the stream must fail). */
  deliver(event: TranscriptEvent): boolean {
    if (this.#room > 0 && this.#queue.length === 0) {
      this.#room--;
      this.#out.push(Op.emit, event);
      return true;
    }
    return this.#queue.push(event);
  }

  /** The readable has room for `desired` more: waiting events go. Returns whether none waits any more. */
  pull(desired: number): boolean {
    this.#room = desired;
    const queue = this.#queue;
    while (this.#room > 0 && queue.length > 0) {
      this.#room--;
      this.#out.push(Op.emit, queue.shift());
    }
    return queue.length === 0;
  }

  /** The stream failed: what waits is dropped (the readable errors). */
  clear(): void {
    while (this.#queue.length > 0) this.#queue.shift();
  }
}

/** The error of a stream whose reader let more than `max` events wait. */
export function slowReader(max: number): SttError {
  return createSttError('slow_reader', `More than ${max} transcript events waited for the reader; read faster or raise \`maxBufferedEvents\``);
}
