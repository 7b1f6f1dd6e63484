/**
 * The transcript events waiting for a slow reader. Interims replace each
 * other by contract, so a newer interim on a channel takes the place of a
 * waiting one (until a final on that channel is queued after it); finals,
 * gaps and `speech_started` are never dropped. The queue is bounded: past
 * `max` events, `push` refuses and the stream fails rather than grow.
 *
 * @module
 */
import type { TranscriptEvent } from '../types.ts';

/**
 * A FIFO of transcript events with interim coalescing; O(1) per event.
 *
 * @example
 * ```ts
 * const q = new EventQueue(100);
 * q.push(interimA); q.push(interimB); // interimB replaced interimA
 * q.length;                            // 1
 * ```
 */
export class EventQueue {
  readonly max: number;
  #items: (TranscriptEvent | undefined)[] = [];
  #head = 0;
  /** Where each channel's waiting interim is (an absolute index), or -1. */
  #interimAt: number[] = [];

  constructor(max: number) {
    this.max = max;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Queues `event`; `false` when the queue is full (the event is not queued). */
  push(event: TranscriptEvent): boolean {
    const segment = event.type === 'interim' || event.type === 'final';
    if (event.type === 'interim') {
      const at = this.#interimAt[event.channel] ?? -1;
      if (at >= this.#head) {
        this.#items[at] = event;
        return true;
      }
    }
    if (this.length >= this.max) return false;
    if (segment) this.#interimAt[event.channel] = event.type === 'interim' ? this.#items.length : -1;
    this.#items.push(event);
    return true;
  }

  /** The oldest event, or `undefined`. */
  shift(): TranscriptEvent | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const event = this.#items[this.#head];
    this.#items[this.#head++] = undefined;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
      this.#interimAt = [];
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      // Compact now and then, so the array does not grow with what was read.
      this.#items = this.#items.slice(this.#head);
      this.#interimAt = this.#interimAt.map((i) => (i >= this.#head ? i - this.#head : -1));
      this.#head = 0;
    }
    return event;
  }
}
