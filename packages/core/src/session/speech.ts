/**
 * Speech and silence at the intake: a voice activity detector's events per
 * channel, and (when only speech is sent) which audio is kept for the wire.
 * Silence past the detector's hangover is not stored: the stream's clock
 * jumps over it (a hole of the replay buffer), so nothing of it is sent or
 * replayed, and every time the user sees stays stream-absolute. The last
 * stretch of silence is kept aside (the tail) until speech starts again, so
 * that the detector's pre-roll (audio from before the onset it reports late)
 * still goes out. Pure: the detector is given, and positions are stream
 * sample positions per channel.
 *
 * @module
 */

/** What the session needs of a voice activity detector (`VoiceActivity` of `@stt-stream/core/vad` is one). */
export interface SpeechDetector {
  /** Feeds interleaved wire samples starting at stream `position`; events come through the callback it was made with. */
  push(frame: Int16Array, position: number): void;
  /** The stream ends at `position`: open speech ends there. */
  finish(position: number): void;
}

export type SpeechEventKind = 'speech_started' | 'speech_ended';

/** Makes a detector that reports its events to `onEvent`, in stream order. */
export type SpeechDetectorFactory = (onEvent: (kind: SpeechEventKind, channel: number, position: number) => void) => SpeechDetector;

/** What the intake needs of the speech filter (a {@link SpeechFilter}). */
export interface SpeechFilterLike {
  /** Samples per channel of silence not sent. */
  readonly skipped: number;
  push(part: Int16Array, position: number, sink: SpeechSink): void;
  finish(sink: SpeechSink): void;
}

/**
 * Makes a session's speech filter (at its first write). A factory, so that
 * the filter and its detector load with the detector's module, on demand:
 * pages that never turn voice activity on never load them.
 */
export type SpeechFilterFactory = (channels: number, settings: SpeechSettings) => SpeechFilterLike;

/** Settings of a {@link SpeechFilter}. */
export interface SpeechSettings {
  /** Send only speech (and the detector's hangover and pre-roll); else send everything and only report events. */
  sendOnlySpeech: boolean;
  /** Send `finalize` where speech ends (on every channel). */
  finalizeOnSpeechEnd: boolean;
  /** Samples per channel of silence kept aside for the pre-roll of the next onset (pre-roll plus the detector's delay). */
  tailSamples: number;
}

/** Where a {@link SpeechFilter} puts audio and events. */
export interface SpeechSink {
  /** Audio to keep (and send): interleaved, contiguous with what was kept before, or after a `jump`. */
  keep(samples: Int16Array): void;
  /** The next audio kept is at `position`: everything from the end of what was kept up to it is not sent. */
  jump(position: number): void;
  /** Where the kept audio ends (a stream position). */
  readonly keptEnd: number;
  /** A detector event, to deliver. */
  event(kind: SpeechEventKind, channel: number, position: number): void;
  /** Speech ended on every channel at `position` (the end of what was kept). */
  silence(position: number): void;
}

/**
 * Runs the detector over the audio written and decides what is kept.
 *
 * @example
 * ```ts
 * const filter = new SpeechFilter(1, { sendOnlySpeech: true, finalizeOnSpeechEnd: false, tailSamples: 4800 }, makeDetector);
 * filter.push(part, position, sink); // keeps speech, skips silence, reports events
 * filter.finish(sink);               // the stream ended
 * ```
 */
export class SpeechFilter implements SpeechFilterLike {
  readonly #channels: number;
  readonly #s: SpeechSettings;
  readonly #detector: SpeechDetector;
  /** Events of the part being pushed, flat: kind, channel, position. */
  readonly #events: (SpeechEventKind | number)[] = [];
  readonly #speaking: boolean[];
  #anySpeaking = false;
  /** The position just past the audio written. */
  written = 0;
  /** Samples per channel of silence not sent. */
  skipped = 0;
  /** The silence kept aside: a ring of `tailSamples`, holding positions `#tailEnd − #tailLength` to `#tailEnd`. */
  readonly #tail: Int16Array;
  #tailAt = 0;
  #tailLength = 0;
  #tailEnd = 0;

  constructor(channels: number, settings: SpeechSettings, make: SpeechDetectorFactory) {
    this.#channels = channels;
    this.#s = settings;
    this.#speaking = new Array<boolean>(channels).fill(false);
    this.#tail = new Int16Array(settings.sendOnlySpeech ? settings.tailSamples * channels : 0);
    this.#detector = make((kind, channel, position) => this.#events.push(kind, channel, position));
  }

  /** Audio written at stream `position` (the end of what was written before). */
  push(part: Int16Array, position: number, sink: SpeechSink): void {
    const ch = this.#channels;
    const end = position + part.length / ch;
    const only = this.#s.sendOnlySpeech;
    this.written = end;
    this.#detector.push(part, position);
    if (!only) sink.keep(part);
    // Positions of this part before `cursor` are decided: kept, or silence (to the tail at the end).
    let cursor = position;
    const events = this.#events;
    for (let i = 0; i < events.length; i += 3) {
      const kind = events[i] as SpeechEventKind;
      const channel = events[i + 1] as number;
      const at = events[i + 2] as number;
      sink.event(kind, channel, at);
      const was = this.#anySpeaking;
      this.#speaking[channel] = kind === 'speech_started';
      this.#anySpeaking = this.#speaking.includes(true);
      if (!only) {
        if (was && !this.#anySpeaking) sink.silence(at);
      } else if (!was && this.#anySpeaking) cursor = this.#start(cursor, Math.min(at, end), sink);
      else if (was && !this.#anySpeaking) {
        // Keep the part up to the end of speech (never less than what was kept already); silence from there.
        const e = Math.min(end, Math.max(at, cursor));
        if (e > cursor) sink.keep(part.subarray((cursor - position) * ch, (e - position) * ch));
        cursor = e;
        this.#tailLength = 0;
        this.#tailEnd = e;
        sink.silence(sink.keptEnd);
      }
    }
    events.length = 0;
    if (!only || cursor >= end) return;
    const rest = cursor === position ? part : part.subarray((cursor - position) * ch);
    if (this.#anySpeaking) sink.keep(rest);
    else this.#toTail(rest, cursor);
  }

  /** The stream ends: open speech ends where the audio does; trailing silence is not sent. */
  finish(sink: SpeechSink): void {
    this.#detector.finish(this.written);
    const events = this.#events;
    for (let i = 0; i < events.length; i += 3) sink.event(events[i] as SpeechEventKind, events[i + 1] as number, events[i + 2] as number);
    events.length = 0;
    this.#speaking.fill(false);
    this.#anySpeaking = false;
    if (this.#s.sendOnlySpeech) this.skipped += Math.max(0, this.written - sink.keptEnd);
  }

  /**
   * Speech starts at `at` (the onset less the pre-roll) while the part is
   * undecided from `cursor`: the silence before `at` is not sent, the tail
   * from there is kept. Returns the new cursor (the part is kept from there).
   */
  #start(cursor: number, at: number, sink: SpeechSink): number {
    // The tail holds the silence just before `cursor`; never before what was kept, nor before the tail's oldest.
    const from = Math.max(at, sink.keptEnd, this.#tailEnd - this.#tailLength);
    if (from > sink.keptEnd) {
      this.skipped += from - sink.keptEnd;
      sink.jump(from);
    }
    if (from < cursor) this.#keepTail(from, cursor, sink);
    this.#tailLength = 0;
    return Math.max(cursor, from);
  }

  /** Adds silence at `at` to the tail, keeping its last `tailSamples`. */
  #toTail(samples: Int16Array, at: number): void {
    const ch = this.#channels;
    const tail = this.#tail;
    const capacity = tail.length / ch;
    if (capacity === 0) return;
    const n = samples.length / ch;
    if (this.#tailEnd !== at) this.#tailLength = 0; // not contiguous: start afresh
    // The last `capacity` samples at most, written from the ring's cursor, wrapping once at most.
    let from = n > capacity ? (n - capacity) * ch : 0;
    while (from < samples.length) {
      const k = Math.min((capacity - this.#tailAt) * ch, samples.length - from);
      tail.set(from === 0 && k === samples.length ? samples : samples.subarray(from, from + k), this.#tailAt * ch);
      this.#tailAt = (this.#tailAt + k / ch) % capacity;
      from += k;
    }
    this.#tailLength = Math.min(capacity, this.#tailLength + n);
    this.#tailEnd = at + n;
  }

  /** Keeps the tail's samples at positions `[from, until)`. */
  #keepTail(from: number, until: number, sink: SpeechSink): void {
    const ch = this.#channels;
    const capacity = this.#tail.length / ch;
    // The ring's oldest sample is at position `#tailEnd − #tailLength`, index `(#tailAt − #tailLength) mod capacity`.
    let index = (this.#tailAt - (this.#tailEnd - from) + capacity * 2) % capacity;
    let left = until - from;
    while (left > 0) {
      const k = Math.min(left, capacity - index);
      sink.keep(this.#tail.subarray(index * ch, (index + k) * ch));
      index = (index + k) % capacity;
      left -= k;
    }
  }
}
