/**
 * SubRip (`.srt`) output.
 *
 * @module
 */
import type { TranscriptSegmentEvent, Transcription } from '@stt-stream/core';
import { formatTimestamp, subtitleCues, type SubtitleCue, type SubtitleOptions } from './subtitle-cues.ts';

export type { SubtitleOptions } from './subtitle-cues.ts';

/**
 * Formats one cue as an SRT block (numbered from 1), ending with a blank line.
 *
 * @example
 * ```ts
 * srtCue({ start: 1, end: 2.5, lines: ['hello'] }, 1); // '1\n00:00:01,000 --> 00:00:02,500\nhello\n\n'
 * ```
 */
export function srtCue(cue: SubtitleCue, index: number): string {
  return `${index}\n${formatTimestamp(cue.start, ',')} --> ${formatTimestamp(cue.end, ',')}\n${cue.lines.join('\n')}\n\n`;
}

/**
 * Writes a transcript as SubRip subtitles: cues by final, split when longer
 * than about 7 s or two lines of 42 characters, times `HH:MM:SS,mmm`.
 *
 * @param transcript - finals (in order) or a batch transcription
 * @param options - cue length and line limits ({@link SubtitleOptions})
 * @returns the `.srt` text (empty when there is nothing to show)
 * @example Subtitles for a file
 * ```ts
 * const result = await transcribeFile('talk.mp4', { model: 'whisper-1', apiKey });
 * await fs.writeFile('talk.srt', toSrt(result));
 * ```
 */
export function toSrt(transcript: readonly TranscriptSegmentEvent[] | Transcription, options?: SubtitleOptions): string {
  return subtitleCues(transcript, options, 'toSrt()').map((cue, i) => srtCue(cue, i + 1)).join('');
}
