/**
 * Framing: the only place wire frames are cut. Audio is stored in the
 * replay blocks as it comes; each binary message sent is the next
 * `frameSamples` of it, except that a frame is cut short where a
 * `finalize` or `end` must follow (the partial frame goes at once), and
 * that audio which is already there in more than one frame (a replay, a
 * burst after the socket drained, a file written faster than real time)
 * goes in messages of several whole frames, up to {@link CATCH_UP_MESSAGE_MS}.
 *
 * `frameMs` has one meaning across the packages: the length of one audio
 * message (or captured chunk) while audio comes at real time, from
 * {@link FRAME_MS}.min to .max milliseconds, {@link FRAME_MS}.default when
 * not given.
 *
 * @module
 */

/** The range and default of every `frameMs` option, in milliseconds. */
export const FRAME_MS = Object.freeze({ min: 10, max: 1000, default: 100 });

/**
 * The longest message of audio that is ahead of the wire (in milliseconds,
 * whole frames, at least one): the gateway's recommended maximum. Fewer,
 * larger messages cost the client, the kernel and the server less per
 * second of audio; audio that comes at real time still goes a frame at a
 * time, so live latency is unchanged.
 */
export const CATCH_UP_MESSAGE_MS = 250;

/**
 * Whole frames of `frameMs` in one catch-up message ({@link CATCH_UP_MESSAGE_MS}, at least 1).
 *
 * @example
 * ```ts
 * catchUpFrames(100); // 2
 * catchUpFrames(20);  // 12
 * ```
 */
export function catchUpFrames(frameMs: number): number {
  return Math.max(1, Math.floor(CATCH_UP_MESSAGE_MS / frameMs));
}

/**
 * Samples per channel in a frame of `frameMs` at `sampleRate`.
 *
 * @example
 * ```ts
 * frameSamples(16000, 100); // 1600
 * ```
 */
export function frameSamples(sampleRate: number, frameMs: number): number {
  return Math.max(1, Math.round((sampleRate * frameMs) / 1000));
}

/**
 * Checks a `frameMs` option: a number from {@link FRAME_MS}.min to .max.
 *
 * @throws TypeError for a value that is not a number; RangeError naming the option and the range.
 * @example
 * ```ts
 * frameMsOption(undefined); // 100
 * ```
 */
export function frameMsOption(value: unknown, name = 'frameMs'): number {
  if (value === undefined) return FRAME_MS.default;
  if (typeof value !== 'number') throw new TypeError(`Invalid option \`${name}\`: expected a number of milliseconds, got ${typeof value}`);
  if (!(value >= FRAME_MS.min && value <= FRAME_MS.max)) {
    throw new RangeError(`Invalid option \`${name}\`: must be from ${FRAME_MS.min} to ${FRAME_MS.max} ms, got ${value}`);
  }
  return value;
}

/**
 * Where the messages of one connection are cut. Positions are stream
 * sample positions (per channel). Messages are whole frames counted from
 * the connection's first position; one message is up to `frames` of them.
 *
 * @example
 * ```ts
 * const f = new Framing(1600);
 * f.reset(0);
 * f.next(0, 4000, Infinity);       // 1600: a whole frame is ready
 * f.next(1600, 4000, Infinity);    // 3200
 * f.next(3200, 4000, Infinity);    // -1: the rest of that frame is still to come
 * f.next(3200, 4000, 4000);        // 4000: a marker at 4000 cuts it short
 * f.reset(0);
 * f.next(0, 4000, Infinity, 2);    // 3200: two frames in one message
 * f.next(0, 2000, Infinity, 2, true); // -1: hold for the second frame
 * ```
 */
export class Framing {
  /** Samples per channel in a whole frame. */
  readonly frameSamples: number;
  #frameEnd = 0;

  constructor(frameSamples: number) {
    this.frameSamples = frameSamples;
  }

  /** A new connection starts sending at `position`: frames are counted from there. */
  reset(position: number): void {
    this.#frameEnd = position;
  }

  /**
   * The end of the next message from `sentUpTo`, or -1 when none is due.
   *
   * @param available The end of the audio written so far.
   * @param boundary A position that cuts a frame short (the next `finalize`
   *   or `end`), `Infinity` when none.
   * @param frames The most whole frames in one message (default 1).
   * @param hold Wait until `frames` whole frames are there (more audio is
   *   sure to come soon), unless a marker is due first.
   */
  next(sentUpTo: number, available: number, boundary: number, frames = 1, hold = false): number {
    const limit = boundary < available ? boundary : available;
    if (sentUpTo >= limit) return -1;
    // A read that stopped early (at a block's end) keeps the message's end.
    if (sentUpTo < this.#frameEnd) {
      const end = this.#frameEnd;
      if (end <= limit) return end;
      return boundary <= available ? limit : -1;
    }
    const size = this.frameSamples;
    let whole = Math.floor((limit - sentUpTo) / size);
    if (whole === 0) {
      // A partial frame goes only where a marker cuts it; the rest of that frame goes next.
      if (boundary > available) return -1;
      this.#frameEnd = sentUpTo + size;
      return limit;
    }
    if (whole >= frames) whole = frames;
    else if (hold && boundary > available) return -1;
    return (this.#frameEnd = sentUpTo + whole * size);
  }
}
