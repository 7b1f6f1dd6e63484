/**
 * The `lag` notice of a live stream (`overflow: 'drop-oldest'`): behind once
 * the audio not yet confirmed passes {@link LAG_SECONDS} or half the replay
 * window, caught up once it is back under half of that. Audio handed to the
 * socket may wait in the kernel's buffers or a proxy's, where the client
 * cannot see it; the finals that do not come are what shows a slow link.
 * Pure.
 *
 * @module
 */
import { LAG_SECONDS, type Outbox, type SessionSettings } from './commands.ts';
import type { ReplayWindow } from './replay-window.ts';

/**
 * Whether a live stream is behind, and the notices when that changes.
 *
 * @example
 * ```ts
 * const lag = new Lag(settings);
 * lag.check(window, sentUpTo, out); // after audio came, went or was confirmed
 * ```
 */
export class Lag {
  readonly #live: boolean;
  readonly #rate: number;
  /** Unconfirmed samples past which the stream is behind. */
  readonly #behindAt: number;
  #behind = false;

  constructor(s: SessionSettings) {
    this.#live = s.overflow === 'drop-oldest';
    this.#rate = s.sampleRate;
    this.#behindAt = Math.min(LAG_SECONDS * s.sampleRate, s.windowSamples >> 1);
  }

  /** Looks again; queues a `lag` notice when the stream fell behind or caught up. */
  check(window: ReplayWindow, sentUpTo: number, out: Outbox): void {
    if (!this.#live) return;
    // Audio kept and not confirmed: silence not sent (the holes of only-speech) is not waiting.
    const unconfirmed = window.heldAfter(window.committed());
    if (this.#behind ? unconfirmed > this.#behindAt >> 1 : unconfirmed <= this.#behindAt) return;
    this.#behind = !this.#behind;
    const rate = this.#rate;
    out.notice('lag', { behind: this.#behind, unsentSeconds: window.heldAfter(sentUpTo) / rate, unconfirmedSeconds: unconfirmed / rate });
  }
}
