/**
 * Cutting transcripts into subtitle cues: one cue per final, split when it
 * runs longer than a reader can follow; lines wrapped and balanced.
 *
 * @module
 */
import type { TranscriptSegmentEvent, TranscriptWord, Transcription } from '@stt-stream/core';
import { checkOptionNames, optionNames } from '@stt-stream/core/internal';

/** How the subtitle writers ({@link toSrt}, {@link toWebVtt}) cut and wrap transcripts into cues. */
export interface SubtitleOptions {
  /** Longest cue, in seconds. @defaultValue 7 */
  maxCueSeconds?: number;
  /** Characters per line. @defaultValue 42 */
  maxLineChars?: number;
  /** Lines per cue. @defaultValue 2 */
  maxLines?: number;
  /**
   * In a batch transcription (which has no finals), a silence between words
   * longer than this starts a new cue, as a streaming endpoint's final would
   * end there. @defaultValue 0.5
   */
  maxGapSeconds?: number;
}

/** One subtitle: times in seconds, text already wrapped into lines. */
export interface SubtitleCue {
  start: number;
  end: number;
  lines: string[];
}

interface Span {
  text: string;
  start: number;
  end: number;
}

/** The option names of the subtitle writers. */
export const SUBTITLE_OPTIONS: readonly string[] = optionNames<SubtitleOptions>()(['maxCueSeconds', 'maxLineChars', 'maxLines', 'maxGapSeconds']);

function checkOptions(options: SubtitleOptions, fn: string): Required<SubtitleOptions> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, SUBTITLE_OPTIONS, fn);
  const o = { maxCueSeconds: 7, maxLineChars: 42, maxLines: 2, maxGapSeconds: 0.5, ...options };
  for (const [field, v] of Object.entries(o)) {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) throw new RangeError(`Invalid option \`${field}\`: expected a positive number, got ${String(v)}`);
  }
  if (!Number.isInteger(o.maxLineChars) || !Number.isInteger(o.maxLines)) throw new RangeError('Invalid option `maxLineChars`/`maxLines`: expected integers');
  return o;
}

/** Words of a segment with times: its own words, or its text spread over its span by length. */
function timedWords(text: string, start: number, end: number, words: TranscriptWord[] | null): Span[] {
  if (words && words.length > 0) return words.map((w) => ({ text: w.word.trim(), start: w.start, end: w.end })).filter((w) => w.text);
  const tokens = text.split(/\s+/).filter(Boolean);
  // Time spread by characters (a space counts as one): the last word ends at `end`.
  const total = tokens.reduce((n, t) => n + t.length, 0) + tokens.length - 1;
  const at = (chars: number) => start + ((end - start) * chars) / Math.max(total, 1);
  const spans: Span[] = [];
  let chars = 0;
  for (const t of tokens) {
    spans.push({ text: t, start: at(chars), end: at(chars + t.length) });
    chars += t.length + 1;
  }
  return spans;
}

/**
 * Wraps text into at most `maxLines` lines of at most `width` characters
 * (a longer single word excepted), balanced in length.
 *
 * @example
 * ```ts
 * wrapLines('one two three four', 10, 2); // ['one two', 'three four']
 * ```
 */
export function wrapLines(text: string, width: number, maxLines: number): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  if (text.length <= width || maxLines === 1) return [words.join(' ')];
  // Greedy count of lines needed, then balance by aiming at the average width.
  const joined = words.join(' ');
  const lines = Math.min(maxLines, Math.ceil(joined.length / width));
  const target = Math.ceil(joined.length / lines);
  const out: string[] = [];
  let line = '';
  for (const w of words) {
    const next = line ? `${line} ${w}` : w;
    if (line && out.length < lines - 1 && (next.length > width || (next.length > target && Math.abs(line.length - target) <= Math.abs(next.length - target)))) {
      out.push(line);
      line = w;
    } else line = next;
  }
  if (line) out.push(line);
  return out;
}

/**
 * Cuts a transcript into subtitle cues: one cue per final (or, for a batch
 * {@link Transcription}, per run of words without a long pause), split where
 * a cue would last longer than `maxCueSeconds` or hold more than
 * `maxLines` × `maxLineChars` characters; splits fall between words, at their
 * times when the transcript has words. Cues never overlap.
 *
 * @param transcript - finals (in order) or a batch transcription
 * @param options - cue length and line limits
 * @param fn - the function the user called, for errors
 * @returns the cues, in order
 * @example Cues from finals
 * ```ts
 * const cues = subtitleCues(finals, { maxLineChars: 32 });
 * for (const c of cues) console.log(c.start, c.end, c.lines.join(' / '));
 * ```
 */
export function subtitleCues(transcript: readonly TranscriptSegmentEvent[] | Transcription, options: SubtitleOptions = {}, fn = 'subtitleCues()'): SubtitleCue[] {
  const o = checkOptions(options, fn);
  const maxChars = o.maxLineChars * o.maxLines;
  const segments: { words: Span[]; start: number; end: number }[] = [];
  if (Array.isArray(transcript)) {
    for (const f of transcript as readonly TranscriptSegmentEvent[]) {
      if (f.type !== 'final' || !f.text.trim()) continue;
      segments.push({ words: timedWords(f.text, f.start, f.end, f.words), start: f.start, end: f.end });
    }
  } else {
    const t = transcript as Transcription;
    if (t.text.trim()) {
      const words = timedWords(t.text, 0, t.duration, t.words);
      // Batch results have no finals: a long pause between words is where a cue ends.
      let run: Span[] = [];
      for (const w of words) {
        if (run.length > 0 && w.start - run[run.length - 1]!.end > o.maxGapSeconds) {
          segments.push({ words: run, start: run[0]!.start, end: run[run.length - 1]!.end });
          run = [];
        }
        run.push(w);
      }
      if (run.length > 0) segments.push({ words: run, start: run[0]!.start, end: run[run.length - 1]!.end });
    }
  }

  const cues: SubtitleCue[] = [];
  for (const seg of segments) {
    let group: Span[] = [];
    const flush = () => {
      if (group.length === 0) return;
      const text = group.map((w) => w.text).join(' ');
      cues.push({ start: group[0]!.start, end: group[group.length - 1]!.end, lines: wrapLines(text, o.maxLineChars, o.maxLines) });
      group = [];
    };
    for (const w of seg.words) {
      if (group.length > 0) {
        const length = group.reduce((n, g) => n + g.text.length + 1, 0) + w.text.length;
        if (length > maxChars || w.end - group[0]!.start > o.maxCueSeconds) flush();
      }
      group.push(w);
    }
    flush();
  }
  return normalise(cues);
}

/** Rounds to milliseconds; keeps every cue at least 1 ms long and after the one before. */
function normalise(cues: SubtitleCue[]): SubtitleCue[] {
  const out: SubtitleCue[] = [];
  let prevEnd = 0;
  for (const c of cues) {
    let start = Math.round(c.start * 1000);
    let end = Math.round(c.end * 1000);
    if (start < prevEnd) start = prevEnd;
    if (end <= start) end = start + 1;
    out.push({ start: start / 1000, end: end / 1000, lines: c.lines });
    prevEnd = end;
  }
  return out;
}

/**
 * Formats seconds as a subtitle timestamp, `HH:MM:SS,mmm` (SRT) or
 * `HH:MM:SS.mmm` (WebVTT), exact to the millisecond (rounded).
 *
 * @example SRT and WebVTT
 * ```ts
 * formatTimestamp(1.2345, ','); // '00:00:01,235'
 * formatTimestamp(61.5, '.'); // '00:01:01.500'
 * ```
 */
export function formatTimestamp(seconds: number, separator: ',' | '.'): string {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`Invalid timestamp: expected a non-negative number of seconds, got ${seconds}`);
  const ms = Math.round(seconds * 1000);
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}
