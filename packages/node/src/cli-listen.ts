/**
 * `stt-stream listen`: the microphone, live, until Ctrl-C. Every format is
 * written as the finals arrive (text lines, JSON lines, SRT or WebVTT
 * cues), to stdout or `--output`. In a terminal, interims (and with `--vad`,
 * whether someone is speaking) show on a line that each final replaces.
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { basename } from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { TranscriptSegmentEvent } from '@stt-stream/core';
import { emptyTranscriptHint, gatewayFrom, outputFormat, reportConnection, roundTimes, say, writeTo, type CliIo, type CommonOptions, type Format } from './cli-common.ts';
import { watchStats } from './cli-stats.ts';
import { createTranscriber } from './index.ts';
import { microphone, type RecorderName } from './microphone.ts';
import { srtCue } from './srt-writer.ts';
import { subtitleCues } from './subtitle-cues.ts';
import { streamUrlFor } from './transcribe-file.ts';
import { WEBVTT_HEADER, webVttCue } from './webvtt-writer.ts';
import { createWsTransport } from './ws-transport.ts';

/** The options of `listen`. */
export interface ListenOptions extends CommonOptions {
  recorder?: string;
  recorderCommand?: string;
  device?: string;
  sampleRate: number;
  interim: boolean;
  stats?: boolean;
  /** Voice activity detection here: send only speech, show where it starts and ends. */
  vad?: boolean;
}

const RECORDERS: readonly RecorderName[] = ['arecord', 'rec', 'sox', 'ffmpeg'];

/**
 * `--recorder`'s parser: one of the recorders `microphone` drives, by name
 * or by path; anything else is a usage error pointing at `--recorder-command`.
 */
export function parseRecorder(value: string): string {
  const kind = basename(value).replace(/\.exe$/i, '');
  if (!RECORDERS.includes(kind as RecorderName)) {
    throw new InvalidArgumentError(
      `expected ${RECORDERS.join(', ')} (or a path to one of them); for another recorder use --recorder-command '<command writing raw s16le PCM to stdout>'`,
    );
  }
  return value;
}

/** Formats finals as they arrive; `head` starts the output, `cue` is what one final adds. */
function finalsWriter(format: Format) {
  let index = 0;
  let prevEnd = 0;
  const cues = (ev: TranscriptSegmentEvent) =>
    subtitleCues([ev]).map((c) => {
      // Cues never overlap, across finals too.
      const start = Math.max(c.start, prevEnd);
      const end = Math.max(c.end, start + 0.001);
      prevEnd = end;
      return { ...c, start, end };
    });
  return {
    head: format === 'vtt' ? WEBVTT_HEADER : '',
    cue(ev: TranscriptSegmentEvent): string {
      switch (format) {
        case 'json':
          return `${JSON.stringify(roundTimes(ev))}\n`;
        case 'srt':
          return cues(ev).map((c) => srtCue(c, ++index)).join('');
        case 'vtt':
          return cues(ev).map(webVttCue).join('');
        default:
          return ev.text.trim() ? `${ev.text.trim()}\n` : '';
      }
    },
  };
}

/** What a terminal shows while someone speaks, before the interim: `● ` (or `● speaking…` alone). */
export const SPEAKING = '\u25cf ';

/**
 * The line of a terminal that shows what is not final yet: the interim, and
 * with `--vad` whether speech is on (`● `), cut to the terminal's width from
 * the left (the newest words stay). Each final clears it first.
 */
function liveLine(io: CliIo) {
  let interim = '';
  let speaking = false;
  let shown = false;
  const width = () => Math.max(20, (io.stdout.columns ?? 80) - 1);
  const draw = () => {
    const text = speaking ? `${SPEAKING}${interim || 'speaking…'}` : interim;
    if (text) io.stdout.write(`\r\x1b[2K${text.length > width() ? `…${text.slice(-(width() - 1))}` : text}`);
    else if (shown) io.stdout.write('\r\x1b[2K');
    shown = text !== '';
  };
  return {
    interim(text: string) {
      interim = text;
      draw();
    },
    speaking(on: boolean) {
      speaking = on;
      draw();
    },
    /** Clears the line for a final (the interim it replaces goes). */
    clear() {
      interim = '';
      if (shown) io.stdout.write('\r\x1b[2K');
      shown = false;
    },
    /** Shows the line again after a final, while speech goes on. */
    redraw: draw,
  };
}

/** `listen`. */
export async function commandListen(opts: ListenOptions, io: CliIo): Promise<void> {
  const format = outputFormat(opts);
  const gateway = gatewayFrom(opts, io);
  const mic = microphone({
    sampleRate: opts.sampleRate,
    ...(opts.recorderCommand ? { command: 'sh', args: ['-c', opts.recorderCommand] } : {}),
    ...(opts.recorder ? { recorder: opts.recorder } : {}),
    ...(opts.device ? { device: opts.device } : {}),
  });
  // Ctrl-C ends the audio gracefully: the last finals still arrive.
  const micReader = mic.getReader();
  let stopping = false;
  const audio = new ReadableStream({
    async pull(controller) {
      if (stopping) return controller.close();
      const r = await micReader.read();
      if (r.done || stopping) controller.close();
      else controller.enqueue(r.value);
    },
    cancel: (reason) => micReader.cancel(reason),
  });
  let printStats: (() => void) | undefined;
  const removeInterrupt = io.onInterrupt?.(() => {
    // A second Ctrl-C quits at once (cli.ts): the figures so far go out first.
    if (stopping) return printStats?.();
    stopping = true;
    void micReader.cancel().catch(() => {});
    if (io.stderr.isTTY) io.stderr.write('\nstopping: waiting for the last finals…\n');
  });
  const transcriber = createTranscriber({
    model: opts.model,
    url: streamUrlFor(gateway.url),
    transport: createWsTransport(),
    overflow: 'drop-oldest',
    interimResults: opts.interim,
    ...(gateway.apiKey ? { apiKey: gateway.apiKey } : {}),
    ...(opts.language ? { language: opts.language } : {}),
    ...(opts.provider ? { providerId: opts.provider } : {}),
    ...(opts.vad ? { voiceActivity: true } : {}),
  });
  reportConnection(io, transcriber, gateway.origin);
  if (opts.stats) printStats = watchStats(io, transcriber, opts.interim, opts.vad === true);
  let listening = false;
  transcriber.events.on('open', () => {
    if (!listening) say(io, `listening… (${opts.vad ? 'sending only speech; ' : ''}Ctrl-C to stop)`);
    listening = true;
  });

  const out = opts.output ? createWriteStream(opts.output) : io.stdout;
  const writer = finalsWriter(format);
  const line = io.stdout.isTTY === true && !opts.output && format === 'text' ? liveLine(io) : null;
  // The channels on which the client's detector hears speech now.
  const speaking = new Set<number>();
  let words = false;
  let ended = false;
  try {
    if (writer.head) await writeTo(out, writer.head);
    const reader = audio.pipeThrough(transcriber).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const ev = r.value;
      if (ev.type === 'interim') {
        line?.interim(ev.text);
      } else if (ev.type === 'final') {
        if (ev.text.trim()) words = true;
        const text = writer.cue(ev);
        if (text) {
          line?.clear();
          await writeTo(out, text);
          line?.redraw();
        }
      } else if ((ev.type === 'speech_started' || ev.type === 'speech_ended') && ev.source === 'client') {
        if (ev.type === 'speech_started') speaking.add(ev.channel ?? 0);
        else speaking.delete(ev.channel);
        line?.speaking(speaking.size > 0);
      } else if (ev.type === 'gap') {
        say(io, `${(ev.end - ev.start).toFixed(2)} s of audio were lost (${ev.reason})`);
      }
    }
    ended = true;
  } finally {
    removeInterrupt?.();
    line?.clear();
    if (out !== io.stdout) await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
    if (!ended) printStats?.();
  }
  if (!words) say(io, `the transcript is empty: no words were recognised${emptyTranscriptHint(gateway)}`);
  printStats?.();
}
