/**
 * Latency as the session sees it: when each piece of audio was last handed
 * to the socket, and how long after that the transcript covering it came.
 * Pure: times come in as numbers.
 *
 * @module
 */

/** Latency figures of a stream so far, in milliseconds (`null` before the first). */
export interface LatencySummary {
  /** Finals measured. */
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** Median latency of the first interim of each utterance. */
  firstInterimP50: number | null;
}

/**
 * Sends remembered per connection (a ring: the oldest go first). Sends of
 * confirmed audio are forgotten as finals come, so a session holds about
 * one entry per frame of unconfirmed audio, whatever the call's length.
 */
const MAX_SENDS = 4096;
/** Latencies kept for the percentiles (the most recent; 8 KiB a ring). */
const MAX_SAMPLES = 1024;
/** The rings start this small and double up to their bound (200 sessions would otherwise hold 38 MB of empty rings). */
const FIRST_SIZE = 64;

/** A bounded ring of the most recent values. */
class Recent {
  #values = new Float64Array(FIRST_SIZE);
  #count = 0;
  add(v: number): void {
    let values = this.#values;
    if (this.#count === values.length && values.length < MAX_SAMPLES) {
      // Still in order (nothing was overwritten yet): a larger ring keeps the same places.
      values = new Float64Array(values.length * 2);
      values.set(this.#values);
      this.#values = values;
    }
    values[this.#count++ % values.length] = v;
  }
  sorted(): Float64Array {
    return this.#values.slice(0, Math.min(this.#count, this.#values.length)).sort();
  }
}

function quantile(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Remembers when audio was sent and measures transcripts against it.
 *
 * @example
 * ```ts
 * const l = new LatencyTracker();
 * l.recordSend(1600, 1000); // samples up to 1600 sent at t = 1000 ms
 * l.final(1600, 1180);      // 180
 * ```
 */
export class LatencyTracker {
  /** Remembered sends, interleaved: the end position of send `k` at `2·(k mod size)`, its time after it (one array: one cache line per send). */
  #sends = new Float64Array(2 * FIRST_SIZE);
  #size = FIRST_SIZE;
  #first = 0;
  #next = 0;
  #count = 0;
  #max = -Infinity;
  /** Audio before this position is confirmed: its sends are forgotten. */
  #forgotten = 0;
  readonly #finals = new Recent();
  readonly #interims = new Recent();

  /** A new connection: what it sends is the most recent send of that audio. */
  reset(): void {
    this.#first = this.#next = 0;
  }

  /** Audio up to `endSample` (stream position) was handed to the socket at `now`. */
  recordSend(endSample: number, now: number): void {
    if (this.#next - this.#first === this.#size && this.#size < MAX_SENDS) this.#grow();
    const size = this.#size;
    const i = 2 * (this.#next++ % size);
    this.#sends[i] = endSample;
    this.#sends[i + 1] = now;
    if (this.#next - this.#first > size) this.#first = this.#next - size;
  }

  /**
   * Audio before `position` is confirmed: no transcript will be measured
   * against its sends any more, so they are forgotten (the ring stays as
   * small as the unconfirmed audio).
   */
  forgetBefore(position: number): void {
    if (position > this.#forgotten) this.#forgotten = position;
    const size = this.#size;
    while (this.#first < this.#next && this.#sends[2 * (this.#first % size)]! < position) this.#first++;
  }

  /** Twice the room, each remembered send at its place in the larger ring. */
  #grow(): void {
    const old = this.#sends;
    const oldSize = this.#size;
    const size = oldSize * 2;
    const sends = new Float64Array(2 * size);
    for (let k = this.#first; k < this.#next; k++) {
      sends[2 * (k % size)] = old[2 * (k % oldSize)]!;
      sends[2 * (k % size) + 1] = old[2 * (k % oldSize) + 1]!;
    }
    this.#sends = sends;
    this.#size = size;
  }

  /** When the sample before `position` was last sent; `-1` when not known. */
  sentAt(position: number): number {
    if (position <= this.#forgotten) return -1;
    // Sends on one connection come in order: the first whose end reaches the position.
    const size = this.#size;
    let lo = this.#first;
    let hi = this.#next;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#sends[2 * (mid % size)]! < position) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.#next ? this.#sends[2 * (lo % size) + 1]! : -1;
  }

  /** A final ending at `endSample` came at `now`: its latency, or `null` when the send is not known. */
  final(endSample: number, now: number): number | null {
    const at = this.sentAt(endSample);
    if (at < 0) return null;
    const ms = Math.max(0, now - at);
    this.#count++;
    if (ms > this.#max) this.#max = ms;
    this.#finals.add(ms);
    return ms;
  }

  /** The first interim of an utterance, ending at `endSample`, came at `now`. */
  firstInterim(endSample: number, now: number): number | null {
    const at = this.sentAt(endSample);
    if (at < 0) return null;
    const ms = Math.max(0, now - at);
    this.#interims.add(ms);
    return ms;
  }

  /** The figures so far. */
  summary(): LatencySummary {
    const finals = this.#finals.sorted();
    return {
      count: this.#count,
      p50: quantile(finals, 0.5),
      p95: quantile(finals, 0.95),
      max: this.#count === 0 ? null : this.#max,
      firstInterimP50: quantile(this.#interims.sorted(), 0.5),
    };
  }
}
