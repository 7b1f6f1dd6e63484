/**
 * The deterministic tone engine: DTMF keys are words, 300 ms of silence ends
 * an utterance. See `DtmfDetector` for how keys are heard.
 *
 * @module
 */
import { DtmfDetector, type DetectorEvent } from './dtmf-detector.ts';
import { dtmfWord, type DtmfKey } from './dtmf.ts';
import type { Engine, EngineEvent, EngineOptions, EngineWord } from './engine.ts';

/**
 * Confidence of every final and of its words.
 *
 * @example Expect it on finals
 * ```ts
 * expect(final.confidence).toBe(TONE_CONFIDENCE);
 * ```
 */
export const TONE_CONFIDENCE = 0.95;
/** Silence that ends an utterance, in seconds. */
const UTTERANCE_GAP_SECONDS = 0.3;
/** Longest stretch of audio between two interims of an open utterance, in seconds. */
const INTERIM_EVERY_SECONDS = 0.25;
/** Silent hops analysed after the last sample, so that every key's falling edge is seen. */
const FLUSH_HOPS = 12;

interface OpenWord {
  key: DtmfKey;
  start: number;
  end: number | null;
}

interface Channel {
  detector: DtmfDetector;
  words: OpenWord[];
  /** Whether an utterance is open (its speech_started was sent). */
  open: boolean;
  lastInterim: number;
  /** End of the latest word (samples), -Infinity before the first. */
  lastEnd: number;
}

/**
 * Creates the tone engine for one connection.
 *
 * Events come out on a fixed grid of 5 ms hops counted from the first
 * sample, so they depend only on the samples, never on how they were split
 * into `push` calls. Times are accurate to about a millisecond.
 *
 * - `speech_started` at the onset of an utterance's first key;
 * - an interim when a key becomes a word and at least every 250 ms of audio
 *   while an utterance is open (unless `interimResults` is false); interims
 *   have `confidence: null`;
 * - a final when 300 ms of silence follows the last word, on `finalize()`
 *   and on `end()`: text is the words joined by spaces, confidence 0.95.
 *
 * A key still sounding when `finalize()` is called is not cut: it goes into
 * the next final.
 *
 * @param options sample rate (at least 4000), channels (1 to 8), language, interims
 * @throws RangeError for a sample rate or channel count out of range
 *
 * @example Transcribe a generated fixture
 * ```ts
 * const { samples, sampleRate } = dtmfSamples('123');
 * const engine = createToneEngine({ sampleRate, channels: 1, language: null, interimResults: false });
 * const events = [...engine.push(samples), ...engine.end()];
 * // [{ type: 'speech_started', … }, { type: 'transcript', isFinal: true, text: 'one two three', … }]
 * ```
 */
export function createToneEngine(options: EngineOptions): Engine {
  const { sampleRate, channels, interimResults } = options;
  if (!Number.isInteger(channels) || channels < 1 || channels > 8) {
    throw new RangeError(`Cannot create tone engine: channels must be an integer from 1 to 8, got ${channels}`);
  }
  const language = options.language ?? 'en';
  const state: Channel[] = [];
  for (let c = 0; c < channels; c++) {
    state.push({ detector: new DtmfDetector(sampleRate), words: [], open: false, lastInterim: 0, lastEnd: -Infinity });
  }
  const hop = (state[0] as Channel).detector.hop;
  const window = (state[0] as Channel).detector.window;
  const blockLength = hop * channels;
  const pending = new Int16Array(blockLength);
  let pendingLength = 0;
  let received = 0; // frames
  let flushing = false;
  let ended = false;

  const seconds = (samples: number): number => samples / sampleRate;
  const clampEnd = (samples: number): number => (flushing ? Math.min(samples, received) : samples);

  function words(ch: Channel, list: OpenWord[], final: boolean): EngineWord[] {
    const provisional = ch.detector.provisionalEnd();
    return list.map((w) => ({
      word: dtmfWord(w.key),
      start: seconds(w.start),
      end: seconds(clampEnd(w.end ?? Math.max(w.start, provisional ?? w.start))),
      confidence: final ? TONE_CONFIDENCE : null,
    }));
  }

  function transcript(ch: Channel, channel: number, list: OpenWord[], final: boolean): EngineEvent {
    const ws = words(ch, list, final);
    return {
      type: 'transcript',
      isFinal: final,
      text: ws.map((w) => w.word).join(' '),
      start: (ws[0] as EngineWord).start,
      end: (ws[ws.length - 1] as EngineWord).end,
      confidence: final ? TONE_CONFIDENCE : null,
      language,
      channel,
      words: ws,
    };
  }

  function hear(ch: Channel, channel: number, events: DetectorEvent[], out: EngineEvent[]): boolean {
    let changed = false;
    for (const ev of events) {
      if (ev.type === 'onset') {
        const start = Math.max(ev.start, ch.lastEnd, 0);
        if (!ch.open) {
          ch.open = true;
          out.push({ type: 'speech_started', timestamp: seconds(start), channel });
        }
        ch.words.push({ key: ev.key, start, end: null });
        changed = true;
      } else {
        const word = ch.words[ch.words.length - 1];
        if (!word || word.end !== null) continue; // cannot happen: every offset follows its onset
        word.end = clampEnd(Math.max(ev.end, word.start));
        ch.lastEnd = word.end;
      }
    }
    return changed;
  }

  function emitFinal(ch: Channel, channel: number, out: EngineEvent[]): void {
    const done = ch.words.filter((w) => w.end !== null);
    if (done.length > 0) out.push(transcript(ch, channel, done, true));
    ch.words = ch.words.filter((w) => w.end === null);
    ch.open = ch.words.length > 0;
    ch.lastInterim = ch.detector.position;
  }

  function block(data: Int16Array, offset: number, out: EngineEvent[]): void {
    for (let c = 0; c < channels; c++) {
      const ch = state[c] as Channel;
      const changed = hear(ch, c, ch.detector.analyse(data, offset + c, channels), out);
      if (!ch.open || flushing) continue;
      const position = ch.detector.position;
      if (interimResults && ch.words.length > 0 && (changed || position - ch.lastInterim >= INTERIM_EVERY_SECONDS * sampleRate)) {
        out.push(transcript(ch, c, ch.words, false));
        ch.lastInterim = position;
      }
      // The utterance is over when its last word has ended, 300 ms have gone
      // by since (plus one window, the time a new key takes to be noticed),
      // and no key that started within those 300 ms is still being weighed.
      const last = ch.words[ch.words.length - 1];
      const quietFrom = ch.lastEnd + UTTERANCE_GAP_SECONDS * sampleRate;
      if (last && last.end !== null && position >= quietFrom + window && ch.detector.pendingOnset() >= quietFrom) {
        emitFinal(ch, c, out);
      }
    }
  }

  return {
    push(samples: Int16Array): EngineEvent[] {
      if (ended) throw new Error('Cannot push audio: the tone engine has ended');
      if (samples.length % channels !== 0) {
        throw new RangeError(`Cannot push audio: ${samples.length} samples is not a whole number of ${channels}-channel frames`);
      }
      received += samples.length / channels;
      const out: EngineEvent[] = [];
      let i = 0;
      if (pendingLength > 0) {
        const take = Math.min(blockLength - pendingLength, samples.length);
        pending.set(samples.subarray(0, take), pendingLength);
        pendingLength += take;
        i = take;
        if (pendingLength === blockLength) {
          block(pending, 0, out);
          pendingLength = 0;
        }
      }
      for (; i + blockLength <= samples.length; i += blockLength) block(samples, i, out);
      if (i < samples.length) {
        pending.set(samples.subarray(i), pendingLength);
        pendingLength += samples.length - i;
      }
      return out;
    },

    finalize(): EngineEvent[] {
      if (ended) return [];
      const out: EngineEvent[] = [];
      state.forEach((ch, c) => {
        hear(ch, c, ch.detector.settle(), out);
        emitFinal(ch, c, out);
      });
      return out;
    },

    end(): EngineEvent[] {
      if (ended) return [];
      flushing = true;
      const out: EngineEvent[] = [];
      if (pendingLength > 0) {
        pending.fill(0, pendingLength);
        block(pending, 0, out);
      }
      const silence = new Int16Array(blockLength);
      for (let h = 0; h < FLUSH_HOPS; h++) block(silence, 0, out);
      state.forEach((ch, c) => {
        hear(ch, c, ch.detector.settle(), out);
        for (const w of ch.words) if (w.end === null) w.end = clampEnd(Math.max(w.start, ch.detector.provisionalEnd() ?? w.start));
        emitFinal(ch, c, out);
      });
      ended = true;
      return out;
    },
  };
}
