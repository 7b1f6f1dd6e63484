/**
 * Framing: the one place wire messages are cut ({@link nextMessage}). Each
 * binary message is the next whole frame of the audio written, except that
 * a frame is cut short where a `finalize` or `end` must follow (the partial
 * frame goes at once), and that audio which is already there in more than
 * one frame (a replay, a burst after the socket drained, a file written
 * faster than real time) goes in messages of several whole frames, up to
 * {@link CATCH_UP_MESSAGE_MS}, as far as the socket's high-water mark
 * allows.
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

/** What {@link nextMessage} needs to cut the next message. Positions are stream sample positions (per channel). */
export interface MessageCut {
  /** Where the message starts: what the connection has sent up to. */
  from: number;
  /** The end of the audio that may go now. */
  available: number;
  /** A position that cuts a frame short (the next `finalize` or `end`), `Infinity` when none. */
  boundary: number;
  /** Samples per channel in a whole frame. */
  frameSamples: number;
  /** Bytes of a whole frame. */
  frameBytes: number;
  /** The most whole frames in one message of audio that is already there (`catchUpFrames`). */
  messageFrames: number;
  /** New audio paced at real time (`realtimeFactor`): one frame a message. */
  paced: boolean;
  /** Bytes the socket may still take before its high-water mark (a message takes it at most one frame past). */
  room: number;
  /** Wait until a whole message is there (more audio is sure to come soon), unless a marker is due first. */
  hold: boolean;
}

/**
 * The end of the next message from `cut.from`, or -1 when none is due yet.
 * A message is whole frames counted from `from`: one when paced, else as
 * many as are there up to `messageFrames` and the socket's room; a partial
 * frame goes only where a marker cuts it.
 *
 * @example
 * ```ts
 * const cut = { from: 0, available: 4000, boundary: Infinity, frameSamples: 1600, frameBytes: 3200,
 *   messageFrames: 2, paced: false, room: 65536, hold: false };
 * nextMessage(cut);                                 // 3200: two frames in one message
 * nextMessage({ ...cut, from: 3200 });              // -1: the rest of that frame is still to come
 * nextMessage({ ...cut, from: 3200, boundary: 4000 }); // 4000: a marker at 4000 cuts it short
 * nextMessage({ ...cut, available: 2000, hold: true }); // -1: hold for the second frame
 * ```
 */
export function nextMessage(cut: MessageCut): number {
  const { from, available, boundary } = cut;
  const limit = boundary < available ? boundary : available;
  if (from >= limit) return -1;
  const size = cut.frameSamples;
  let whole = Math.floor((limit - from) / size);
  // A partial frame goes only where a marker cuts it.
  if (whole === 0) return boundary <= available ? limit : -1;
  let frames = 1;
  if (!cut.paced && cut.messageFrames > 1) {
    frames = Math.max(1, Math.min(cut.messageFrames, 1 + Math.floor(cut.room / cut.frameBytes)));
    if (whole < frames && cut.hold && boundary > available) return -1;
  }
  if (whole > frames) whole = frames;
  return from + whole * size;
}
