// Not public: the queue between the capture worklet and a stream's reader.

/**
 * Audio dropped because the reader fell behind (what `onDrop` receives).
 *
 * @example Report drops
 * ```ts
 * microphone({ onDrop: ({ start, end }) => log(`lost ${start.toFixed(2)}–${end.toFixed(2)} s of capture`) });
 * ```
 */
export interface DroppedAudio {
  /** Seconds of capture (from the first captured sample) where the dropped span starts. */
  start: number;
  /** Where it ends (exclusive). The span is contiguous: the oldest audio goes first. */
  end: number;
  /** Milliseconds dropped by this call. */
  droppedMs: number;
}

interface Entry {
  data: Float32Array;
  /** Index of the entry's first sample frame in the capture. */
  at: number;
}

/**
 * A FIFO of interleaved Float32 frames bounded by duration: pushing past the
 * bound drops the oldest whole frames and says what went.
 *
 * @example Keep at most 100 ms of 16 kHz mono
 * ```ts
 * const q = new BoundedFrameQueue({ maxSampleFrames: 1600, sampleRate: 16000, channels: 1 });
 * const dropped = q.push(new Float32Array(320)); // undefined until the bound is passed
 * ```
 */
export class BoundedFrameQueue {
  readonly #entries: Entry[] = [];
  #head = 0;
  #queued = 0;
  #captured = 0;
  readonly #max: number;
  readonly #rate: number;
  readonly #channels: number;

  constructor(options: { maxSampleFrames: number; sampleRate: number; channels: number }) {
    this.#max = options.maxSampleFrames;
    this.#rate = options.sampleRate;
    this.#channels = options.channels;
  }

  /** Sample frames (per channel) waiting. */
  get queuedSampleFrames(): number {
    return this.#queued;
  }

  /** Frames waiting. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** Counts a frame as captured without queueing it (it went straight to a waiting reader). */
  pass(data: Float32Array): void {
    this.#captured += data.length / this.#channels;
  }

  /** Queues a frame; drops the oldest frames while more than the bound is queued. */
  push(data: Float32Array): DroppedAudio | undefined {
    const frames = data.length / this.#channels;
    this.#entries.push({ data, at: this.#captured });
    this.#captured += frames;
    this.#queued += frames;
    let first: number | undefined;
    let last = 0;
    while (this.#queued > this.#max && this.length > 1) {
      const old = this.#entries[this.#head]!;
      this.#entries[this.#head++] = undefined as unknown as Entry;
      const n = old.data.length / this.#channels;
      this.#queued -= n;
      first ??= old.at;
      last = old.at + n;
    }
    this.#compact();
    if (first === undefined) return undefined;
    return {
      start: first / this.#rate,
      end: last / this.#rate,
      droppedMs: ((last - first) * 1000) / this.#rate,
    };
  }

  /** Takes the oldest frame. */
  shift(): Float32Array | undefined {
    if (this.length === 0) return undefined;
    const entry = this.#entries[this.#head]!;
    this.#entries[this.#head++] = undefined as unknown as Entry;
    this.#queued -= entry.data.length / this.#channels;
    this.#compact();
    return entry.data;
  }

  /** Drops everything queued (on cancel; nothing to report then). */
  clear(): void {
    this.#entries.length = 0;
    this.#head = 0;
    this.#queued = 0;
  }

  #compact(): void {
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
