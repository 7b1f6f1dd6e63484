/**
 * The replay window: what a stream keeps for a reconnect, and the rules
 * that bound it. Commit points per channel (the `end` of each channel's
 * latest final), the window (the most unconfirmed audio kept), the
 * `overflow` policy when it is full, the bounded wait for a final
 * (`windowWaitMs`), and the gaps a replay reports for audio it no longer
 * has. Pure: time comes in as a number.
 *
 * @module
 */
import { ReplayBuffer } from '../replay-buffer.ts';

/** At most about how large one block of retained audio is: what a stream holds beyond what it retains is less than one. */
const BLOCK_BYTES = 16 * 1024;

/** Settings of a {@link ReplayWindow} (a session's settings have them all). */
export interface ReplayWindowOptions {
  channels: number;
  /** The most unconfirmed audio kept, in samples per channel. */
  windowSamples: number;
  overflow: 'wait' | 'drop-oldest';
  windowWaitMs: number;
  /** Wire frame length in samples per channel: a block holds a whole number of frames. */
  frameSamples: number;
  /** Frames in a catch-up message: where one fits, a block holds a whole number of messages (default 1). */
  messageFrames?: number;
  /** About how large a block is, in bytes (default 16 KiB). */
  blockBytes?: number;
}

/** A span of stream audio lost to the window, in samples per channel. */
export interface Gap {
  start: number;
  end: number;
}

/**
 * The retained audio of a stream and its commit points: a
 * {@link ReplayBuffer} (positions, blocks, reads, release to the pool) with
 * the window's rules on top.
 *
 * @example
 * ```ts
 * const w = new ReplayWindow({ channels: 1, windowSamples: 480000, overflow: 'wait',
 *   windowWaitMs: 5000, frameSamples: 1600 });
 * w.store(new Int16Array(16000), 0);
 * w.commit(0, 8000, 16000); // a final covered the first half second
 * w.replayStart();          // { from: 8000, gap: null }
 * ```
 */
export class ReplayWindow extends ReplayBuffer {
  readonly #windowSamples: number;
  readonly #overflow: 'wait' | 'drop-oldest';
  readonly #windowWaitMs: number;
  #commits: number[];
  #fullSince = -1;
  /** Samples per channel reported lost in gaps so far. */
  gapSamples = 0;

  constructor(options: ReplayWindowOptions) {
    // Blocks of at most about 16 KiB, a whole number of catch-up messages each where one fits (else of
    // wire frames), so that a message or frame never straddles two; taken from the process's shared pool
    // as audio comes and handed back once confirmed and sent. A stream written in large pieces (a file,
    // 64 KiB reads) gets blocks of at least four pieces, so that few writes straddle two blocks. The
    // window is the buffer itself (one object on the per-frame path).
    const blockBytes = options.blockBytes ?? BLOCK_BYTES;
    const frameBytes = options.frameSamples * options.channels * 2;
    const messageFrames = Math.max(1, options.messageFrames ?? 1);
    const unit = messageFrames * frameBytes <= blockBytes ? options.frameSamples * messageFrames : options.frameSamples;
    super(options.channels, {
      blockSamples: unit * Math.max(1, Math.floor(blockBytes / (unit * options.channels * 2))),
      writesPerBlock: 4,
      align: unit,
    });
    this.#windowSamples = options.windowSamples;
    this.#overflow = options.overflow;
    this.#windowWaitMs = options.windowWaitMs;
    this.#commits = new Array<number>(options.channels).fill(0);
  }

  /** The stream's commit point: the lowest of the channels'. */
  committed(): number {
    const c = this.#commits;
    let min = c[0]!;
    for (let i = 1; i < c.length; i++) if (c[i]! < min) min = c[i]!;
    return min;
  }

  /** The commit point of one channel. */
  commitOf(channel: number): number {
    return this.#commits[channel]!;
  }

  /**
   * Whether `samples` more may be stored now. Connected, a full window waits
   * (in `wait` mode) for a final, at most `windowWaitMs`; disconnected, it
   * waits for the connection (`wait`) or drops the oldest audio
   * (`drop-oldest`, reported as a gap when a replay needs it).
   */
  admit(samples: number, connected: boolean, now: number): boolean {
    if (this.length + samples <= this.#windowSamples) return true;
    if (this.#overflow === 'drop-oldest') {
      if (!connected) this.dropBefore(this.end + samples - this.#windowSamples);
      return true;
    }
    if (!connected) return false;
    if (this.#fullSince < 0) this.#fullSince = now;
    return now - this.#fullSince >= this.#windowWaitMs;
  }

  /** When a writer waiting on a full window may go on (`Infinity` when it is not waiting on one). */
  get waitDeadline(): number {
    return this.#fullSince < 0 || this.#overflow !== 'wait' ? Infinity : this.#fullSince + this.#windowWaitMs;
  }

  /**
   * Copies admitted samples in. Past the window, sent audio that no final
   * confirmed yet goes (a replay that needs it reports a gap); unsent audio
   * never goes here.
   */
  store(chunk: Int16Array, sentUpTo: number): void {
    this.append(chunk);
    const overflow = this.length - this.#windowSamples;
    if (overflow > 0) this.dropBefore(Math.min(this.start + overflow, sentUpTo));
  }

  /**
   * A final on `channel` ends at `endSample`: the channel's commit point
   * moves there and what every channel has confirmed (and was sent) is
   * let go.
   */
  commit(channel: number, endSample: number, sentUpTo: number): void {
    this.#commits[channel] = endSample;
    this.#fullSince = -1;
    this.dropBefore(Math.min(this.committed(), sentUpTo));
  }

  /**
   * Where the next connection starts: the commit point, or the oldest
   * retained sample where the window let audio after the commit point go.
   * That lost span is returned once as `gap`, and the commit points move
   * past it.
   */
  replayStart(): { from: number; gap: Gap | null } {
    const commit = this.committed();
    const from = Math.max(commit, this.start);
    if (from <= commit) return { from, gap: null };
    this.#commits = this.#commits.map((c) => Math.max(c, from));
    this.gapSamples += from - commit;
    return { from, gap: { start: commit, end: from } };
  }
}
