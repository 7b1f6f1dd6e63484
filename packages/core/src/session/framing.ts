/**
 * Framing: the only place wire frames are cut. Audio is stored in the
 * replay blocks as it comes; each binary message sent is the next
 * `frameSamples` of it, except that a frame is cut short where a
 * `finalize` or `end` must follow (the partial frame goes at once).
 *
 * `frameMs` has one meaning across the packages: the length of one audio
 * message (or captured chunk), from {@link FRAME_MS}.min to .max
 * milliseconds, {@link FRAME_MS}.default when not given.
 *
 * @module
 */

/** The range and default of every `frameMs` option, in milliseconds. */
export const FRAME_MS = Object.freeze({ min: 10, max: 1000, default: 100 });

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
 * sample positions (per channel).
 *
 * @example
 * ```ts
 * const f = new Framing(1600);
 * f.reset(0);
 * f.next(0, 4000, Infinity);  // 1600: a whole frame is ready
 * f.next(3200, 4000, Infinity); // -1: the rest of that frame is still to come
 * f.next(3200, 4000, 4000);   // 4000: a marker at 4000 cuts it short
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
   */
  next(sentUpTo: number, available: number, boundary: number): number {
    const limit = boundary < available ? boundary : available;
    if (sentUpTo >= limit) return -1;
    // A read that stopped early (at a block's end) keeps the frame's end.
    if (sentUpTo >= this.#frameEnd) this.#frameEnd = sentUpTo + this.frameSamples;
    const end = this.#frameEnd;
    if (end <= limit) return end;
    // A partial frame goes only where a marker cuts it.
    return boundary <= available ? limit : -1;
  }
}
