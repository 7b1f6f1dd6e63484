import type { TranscriptSegmentEvent, Transcription } from '@stt-stream/core';
import { describe, expect, it } from 'vitest';
import { toSrt } from './srt-writer.ts';
import { formatTimestamp, subtitleCues, wrapLines } from './subtitle-cues.ts';
import { toWebVtt } from './webvtt-writer.ts';

const final = (text: string, start: number, end: number, words?: [string, number, number][]): TranscriptSegmentEvent => ({
  type: 'final', text, start, end, confidence: 0.9, language: 'en', channel: 0,
  words: words ? words.map(([word, s, e]) => ({ word, start: s, end: e, confidence: 0.9 })) : null,
});

describe('subtitle cues', () => {
  it('formatTimestamp - is exact to the millisecond, SRT comma and WebVTT dot', () => {
    expect(formatTimestamp(1.234, ',')).toBe('00:00:01,234');
    expect(formatTimestamp(1.2345, '.')).toBe('00:00:01.235'); // 1234.5 ms rounds up
    expect(formatTimestamp(0.1 + 0.2, ',')).toBe('00:00:00,300');
    expect(formatTimestamp(3723.004, ',')).toBe('01:02:03,004');
    expect(formatTimestamp(0, '.')).toBe('00:00:00.000');
    expect(() => formatTimestamp(-1, ',')).toThrow(RangeError);
  });

  it('subtitleCues - one cue per final, at word times', () => {
    const cues = subtitleCues([
      final('one two', 0.2, 0.9, [['one', 0.2, 0.3], ['two', 0.5, 0.6]]),
      final('three', 1.5, 2, [['three', 1.5, 1.6]]),
    ]);
    expect(cues).toEqual([
      { start: 0.2, end: 0.6, lines: ['one two'] },
      { start: 1.5, end: 1.6, lines: ['three'] },
    ]);
  });

  it('subtitleCues - splits a final longer than 7 s between words, at their times', () => {
    const words: [string, number, number][] = Array.from({ length: 10 }, (_, i) => [`w${i}`, i * 1.5, i * 1.5 + 1]);
    const cues = subtitleCues([final(words.map((w) => w[0]).join(' '), 0, 14.5, words)]);
    expect(cues.map((c) => c.lines.join(' '))).toEqual(['w0 w1 w2 w3 w4', 'w5 w6 w7 w8 w9']);
    expect(cues[0]).toMatchObject({ start: 0, end: 7 });
    expect(cues[1]).toMatchObject({ start: 7.5, end: 14.5 });
    for (const c of cues) expect(c.end - c.start).toBeLessThanOrEqual(7);
  });

  it('subtitleCues - splits text beyond two lines of 42 characters, wrapping balanced lines', () => {
    const text = 'the quick brown fox jumps over the lazy dog and then runs far away into the deep dark forest never to return';
    const cues = subtitleCues([final(text, 0, 6)]);
    expect(cues.length).toBeGreaterThan(1);
    for (const c of cues) {
      expect(c.lines.length).toBeLessThanOrEqual(2);
      for (const l of c.lines) expect(l.length).toBeLessThanOrEqual(42);
    }
    expect(cues.flatMap((c) => c.lines).join(' ')).toBe(text);
    expect(cues[0]!.start).toBe(0);
    expect(cues.at(-1)!.end).toBe(6);
    expect(wrapLines('aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj', 42, 2)).toEqual(['aaaa bbbb cccc dddd eeee', 'ffff gggg hhhh iiii jjjj']);
  });

  it('subtitleCues - a batch transcription is cut at long pauses between words', () => {
    const t: Transcription = {
      text: 'one two three', duration: 5, language: 'en', confidence: 0.9, model: 'm',
      words: [
        { word: 'one', start: 0.2, end: 0.3, confidence: 0.9 },
        { word: 'two', start: 0.5, end: 0.6, confidence: 0.9 },
        { word: 'three', start: 3, end: 3.1, confidence: 0.9 },
      ],
    };
    expect(subtitleCues(t).map((c) => c.lines[0])).toEqual(['one two', 'three']);
  });

  it('subtitleCues - ignores interims and empty finals; cues never overlap', () => {
    const interim = { ...final('x', 0, 1), type: 'interim' as const };
    const cues = subtitleCues([interim, final(' ', 0, 1), final('a', 0, 1.0004), final('b', 1.0001, 2)]);
    expect(cues.map((c) => c.lines[0])).toEqual(['a', 'b']);
    expect(cues[1]!.start).toBeGreaterThanOrEqual(cues[0]!.end);
    expect(() => subtitleCues([], { maxLineChars: 0 })).toThrow(/`maxLineChars`/);
  });
});

describe('toSrt and toWebVtt', () => {
  const finals = [final('one two', 0.2, 0.9, [['one', 0.2, 0.3], ['two', 0.5, 0.6]]), final('<three> & four', 61.5, 62.25)];

  it('toSrt - numbered cues with comma timestamps', () => {
    expect(toSrt(finals)).toBe('1\n00:00:00,200 --> 00:00:00,600\none two\n\n2\n00:01:01,500 --> 00:01:02,250\n<three> & four\n\n');
    expect(toSrt([])).toBe('');
  });

  it('toWebVtt - header, dot timestamps, escaped text', () => {
    expect(toWebVtt(finals)).toBe(
      'WEBVTT\n\n00:00:00.200 --> 00:00:00.600\none two\n\n00:01:01.500 --> 00:01:02.250\n&lt;three&gt; &amp; four\n\n',
    );
  });
});
