/**
 * The replay window: what a stream keeps for a reconnect, and the rules
 * that bound it. Commit points per channel (the `end` of each channel's
 * latest final), the window (the most unconfirmed audio kept), the
 * `overflow` policy when it is full, the bounded wait for a final
 * (`windowWaitMs`), and the gaps reported for audio it no longer has. Pure:
 * time comes in as a number.
 *
 * @module
 */
import type { GapEvent } from '../types.ts';
import type { BlockPool } from './block-pool.ts';
import { ReplayBuffer, blockSamplesFor } from './replay-buffer.ts';

/** At most about how large one block of retained audio is: what a stream holds beyond what it retains is less than one. */
const BLOCK_BYTES = 16 * 1024;

/** Settings of a {@link ReplayWindow} (a session's settings have them all). */
export interface ReplayWindowOptions {
  channels: number;
  /** The most unconfirmed audio kept, in samples per channel. */
  windowSamples: number;
  overflow: 'wait' | 'drop-oldest';
  windowWaitMs: number;
  /** Wire frame length in samples per channel. */
  frameSamples: number;
  /** Frames in a catch-up message (default 1). */
  messageFrames?: number;
  /** About how large a block is, in bytes (default 16 KiB). */
  blockBytes?: number;
}

/** A span of stream audio lost to the window, in samples per channel. */
export interface Gap {
  start: number;
  end: number;
}

/** The `gap` event a reader gets for `gap`, in seconds of the stream. */
export function gapEvent(gap: Gap, sampleRate: number): GapEvent {
  return { type: 'gap', start: gap.start / sampleRate, end: gap.end / sampleRate, reason: 'replay_window_exceeded' };
}

/**
 * The retained audio of a stream and its commit points: a
 * {@link ReplayBuffer} with the window's rules on top.
 *
 * @example
 * ```ts
 * const w = new ReplayWindow({ channels: 1, windowSamples: 480000, overflow: 'wait',
 *   windowWaitMs: 5000, frameSamples: 1600 }, new BlockPool());
 * w.store(new Int16Array(16000), 0);
 * w.commit(0, 8000, 16000); // a final covered the first half second
 * w.replayStart();          // { from: 8000, gaps: [] }
 * ```
 */
export class ReplayWindow extends ReplayBuffer {
  readonly #windowSamples: number;
  readonly #overflow: 'wait' | 'drop-oldest';
  readonly #windowWaitMs: number;
  #commits: number[];
  #fullSince = -1;
  /** Unconfirmed audio the window let go (holes left out), and whether a gap already told of it. */
  #lost: (Gap & { reported: boolean })[] = [];
  /** Samples per channel reported lost in gaps so far. */
  gapSamples = 0;

  constructor(options: ReplayWindowOptions, pool: BlockPool, retire?: (block: Int16Array) => void) {
    // Blocks of at most about 16 KiB holding a whole number of catch-up messages where one fits (else of
    // wire frames), so that most messages come out of one block; a stream written in large pieces (a file,
    // 64 KiB reads) gets blocks of at least four pieces, so that few writes straddle two blocks.
    const frameBytes = options.frameSamples * options.channels * 2;
    const messageFrames = Math.max(1, options.messageFrames ?? 1);
    const blockBytes = options.blockBytes ?? BLOCK_BYTES;
    const unit = messageFrames * frameBytes <= blockBytes ? options.frameSamples * messageFrames : options.frameSamples;
    super(options.channels, { blockSamples: blockSamplesFor(unit, options.channels, blockBytes), writesPerBlock: 4, align: unit, pool, ...(retire ? { retire } : {}) });
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
   * Whether `samples` more may be stored now. In `wait` mode a full window
   * waits: connected, for a final, at most `windowWaitMs` (then the oldest
   * sent audio goes); disconnected, for the connection. In `drop-oldest`
   * mode it never waits: {@link store} lets the oldest audio go.
   */
  admit(samples: number, connected: boolean, now: number): boolean {
    if (this.#overflow === 'drop-oldest' || this.length + samples <= this.#windowSamples) return true;
    if (!connected) return false;
    if (this.#fullSince < 0) this.#fullSince = now;
    return now - this.#fullSince >= this.#windowWaitMs;
  }

  /** When a writer waiting on a full window may go on (`Infinity` when it is not waiting on one). */
  get waitDeadline(): number {
    return this.#fullSince < 0 || this.#overflow !== 'wait' ? Infinity : this.#fullSince + this.#windowWaitMs;
  }

  /**
   * Copies admitted samples in and keeps the window: in `wait` mode only
   * sent audio goes (a replay that needs it reports a gap); in `drop-oldest`
   * mode the oldest audio goes, sent or not. Returns the unsent audio that
   * went (at or after `sentUpTo`; pass `Infinity` while disconnected), which
   * the caller reports as a gap now; the sent audio that went is reported
   * by the replay that would need it ({@link replayStart}).
   */
  store(chunk: Int16Array, sentUpTo: number): Gap[] {
    this.append(chunk);
    const overflow = this.length - this.#windowSamples;
    if (overflow <= 0) return NONE;
    const oldest = this.#positionAfter(overflow);
    return this.#drop(this.#overflow === 'drop-oldest' ? oldest : Math.min(oldest, sentUpTo), sentUpTo);
  }

  /**
   * A final on `channel` ends at `endSample`: the channel's commit point
   * moves there and what every channel has confirmed (and was sent) is
   * let go.
   */
  commit(channel: number, endSample: number, sentUpTo: number): void {
    this.#commits[channel] = endSample;
    this.#fullSince = -1;
    const committed = this.committed();
    this.dropBefore(Math.min(committed, sentUpTo));
    // Audio a final covered was heard after all: lost to no one.
    if (this.#lost.length > 0 && this.#lost[0]!.end <= committed) this.#lost = this.#lost.filter((g) => g.end > committed);
  }

  /**
   * Where the next connection starts: the commit point, or the oldest
   * retained sample where the window let audio after the commit point go.
   * The lost spans not reported yet come back once as `gaps`, and the commit
   * points move past them.
   */
  replayStart(): { from: number; gaps: Gap[] } {
    const commit = this.committed();
    const from = Math.max(commit, this.start);
    const gaps: Gap[] = [];
    if (from > commit) {
      for (const g of this.#lost) {
        if (g.reported || g.end <= commit || g.start >= from) continue;
        const gap = { start: Math.max(g.start, commit), end: Math.min(g.end, from) };
        gaps.push(gap);
        this.gapSamples += gap.end - gap.start;
      }
      this.#commits = this.#commits.map((c) => Math.max(c, from));
    }
    this.#lost = this.#lost.filter((g) => g.end > from);
    return { from, gaps };
  }

  /** The stream position `held` retained samples after the start (holes take no samples). */
  #positionAfter(held: number): number {
    let left = held;
    for (const span of this.heldSpans(this.start, this.end)) {
      const n = span.end - span.start;
      if (left <= n) return span.start + left;
      left -= n;
    }
    return this.end;
  }

  /** Drops to `position`, keeping a record of the unconfirmed audio that goes; returns what of it was unsent. */
  #drop(position: number, sentUpTo: number): Gap[] {
    if (position <= this.start) return NONE;
    let unsent: Gap[] = NONE;
    for (const span of this.heldSpans(Math.max(this.start, this.committed()), position)) {
      // Sent audio goes quietly (a replay that needs it reports it); unsent audio is reported now.
      if (span.start < sentUpTo) this.#lose({ start: span.start, end: Math.min(span.end, sentUpTo) }, false);
      if (span.end > sentUpTo) {
        const gap = { start: Math.max(span.start, sentUpTo), end: span.end };
        this.#lose(gap, true);
        if (unsent === NONE) unsent = [];
        unsent.push(gap);
      }
    }
    this.dropBefore(position);
    return unsent;
  }

  #lose(gap: Gap, reported: boolean): void {
    const last = this.#lost[this.#lost.length - 1];
    if (last?.end === gap.start && last.reported === reported) last.end = gap.end;
    else this.#lost.push({ ...gap, reported });
    if (reported) this.gapSamples += gap.end - gap.start;
  }
}

const NONE: Gap[] = [];
