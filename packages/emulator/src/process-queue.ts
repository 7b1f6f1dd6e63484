/**
 * The `processRate` fault: an engine that hears audio no faster than a given
 * multiple of real time. What the connection reads waits here, in order, and
 * is handed to the engine at that pace.
 *
 * @module
 */

/** What waits for the engine: audio, or a `finalize` / `end` that must come after the audio before it. */
export type QueuedInput =
  | { kind: 'audio'; samples: Int16Array; frames: number }
  | { kind: 'finalize' }
  | { kind: 'end' };

/**
 * A queue in front of an engine that takes `frames / sampleRate / rate`
 * seconds to hear each audio message, one after the other: a time the engine
 * was idle is not saved up. A `finalize` or `end` is handled as soon as the
 * audio before it has been heard.
 *
 * @example An engine at half real time
 * ```ts
 * const queue = new ProcessQueue(0.5, 16000, later, (input) => handle(input), () => armIdle());
 * queue.push({ kind: 'audio', samples, frames: samples.length }); // heard 2× its duration later
 * ```
 */
export class ProcessQueue {
  readonly #rate: number;
  readonly #sampleRate: number;
  readonly #schedule: (ms: number, fn: () => void) => void;
  readonly #handle: (input: QueuedInput) => boolean;
  readonly #onIdle: () => void;
  #items: QueuedInput[] = [];
  #busy = false;
  #stopped = false;
  /** When the engine is done with what it took last (`performance.now()` ms). */
  #freeAt = 0;

  /**
   * @param rate the most times real time the engine hears (> 0)
   * @param sampleRate frames per second of the audio
   * @param schedule runs `fn` after `ms` (the session's tracked timers, so a close clears them)
   * @param handle hears one input; false stops the queue (the session is over)
   * @param onIdle called each time the queue has become empty
   */
  constructor(rate: number, sampleRate: number, schedule: (ms: number, fn: () => void) => void, handle: (input: QueuedInput) => boolean, onIdle: () => void) {
    this.#rate = rate;
    this.#sampleRate = sampleRate;
    this.#schedule = schedule;
    this.#handle = handle;
    this.#onIdle = onIdle;
  }

  /** Whether anything is waiting or being heard. */
  get pending(): boolean {
    return this.#busy || this.#items.length > 0;
  }

  /** Seconds of audio waiting or being heard. */
  get queuedSeconds(): number {
    let frames = 0;
    for (const item of this.#items) if (item.kind === 'audio') frames += item.frames;
    return frames / this.#sampleRate;
  }

  push(input: QueuedInput): void {
    if (this.#stopped) return;
    this.#items.push(input);
    if (!this.#busy) this.#next();
  }

  #next(): void {
    while (!this.#stopped) {
      const item = this.#items[0];
      if (!item) {
        this.#onIdle();
        return;
      }
      if (item.kind !== 'audio') {
        this.#items.shift();
        if (!this.#handle(item)) this.#stopped = true;
        continue;
      }
      const now = performance.now();
      const ms = (item.frames / this.#sampleRate / this.#rate) * 1000;
      this.#freeAt = Math.max(now, this.#freeAt) + ms;
      this.#busy = true;
      this.#schedule(this.#freeAt - now, () => {
        this.#busy = false;
        this.#items.shift();
        if (!this.#handle(item)) this.#stopped = true;
        else this.#next();
      });
      return;
    }
  }
}
