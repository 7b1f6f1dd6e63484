/**
 * WebVTT (`.vtt`) output.
 *
 * @module
 */
import type { TranscriptSegmentEvent, Transcription } from '@stt-stream/core';
import { formatTimestamp, subtitleCues, type SubtitleCue, type SubtitleOptions } from './subtitle-cues.ts';

/**
 * The header every WebVTT file starts with.
 *
 * @example Write cues one at a time
 * ```ts
 * out.write(WEBVTT_HEADER);
 * for (const cue of subtitleCues(finals)) out.write(webVttCue(cue));
 * ```
 */
export const WEBVTT_HEADER = 'WEBVTT\n\n';

/**
 * Formats one cue as a WebVTT block, ending with a blank line; `&`, `<` and
 * `>` in the text are escaped as the format requires.
 *
 * @example
 * ```ts
 * webVttCue({ start: 1, end: 2.5, lines: ['hello'] }); // '00:00:01.000 --> 00:00:02.500\nhello\n\n'
 * ```
 */
export function webVttCue(cue: SubtitleCue): string {
  const text = cue.lines.map((l) => l.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')).join('\n');
  return `${formatTimestamp(cue.start, '.')} --> ${formatTimestamp(cue.end, '.')}\n${text}\n\n`;
}

/**
 * Writes a transcript as WebVTT subtitles: the `WEBVTT` header, then cues by
 * final, split when longer than about 7 s or two lines of 42 characters,
 * times `HH:MM:SS.mmm`; `&`, `<` and `>` escaped.
 *
 * @param transcript - finals (in order) or a batch transcription
 * @param options - cue length and line limits
 * @returns the `.vtt` text
 * @example Captions for a track element
 * ```ts
 * const vtt = toWebVtt(finals);
 * track.src = URL.createObjectURL(new Blob([vtt], { type: 'text/vtt' }));
 * ```
 */
export function toWebVtt(transcript: readonly TranscriptSegmentEvent[] | Transcription, options?: SubtitleOptions): string {
  return WEBVTT_HEADER + subtitleCues(transcript, options, 'toWebVtt()').map(webVttCue).join('');
}
