/**
 * `stt-stream listen`: the microphone, live, until Ctrl-C. Every format is
 * written as the finals arrive (text lines, JSON lines, SRT or WebVTT
 * cues), to stdout or `--output`.
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
  });
  reportConnection(io, transcriber, gateway.origin);
  if (opts.stats) printStats = watchStats(io, transcriber, opts.interim);
  let listening = false;
  transcriber.events.on('open', () => {
    if (!listening) say(io, 'listening… (Ctrl-C to stop)');
    listening = true;
  });

  const out = opts.output ? createWriteStream(opts.output) : io.stdout;
  const writer = finalsWriter(format);
  const live = io.stdout.isTTY === true && !opts.output && format === 'text';
  let interimShown = false;
  let words = false;
  let ended = false;
  const width = () => Math.max(20, (io.stdout.columns ?? 80) - 1);
  try {
    if (writer.head) await writeTo(out, writer.head);
    const reader = audio.pipeThrough(transcriber).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      const ev = r.value;
      if (ev.type === 'interim' && live) {
        const text = ev.text.length > width() ? `…${ev.text.slice(-(width() - 1))}` : ev.text;
        io.stdout.write(`\r\x1b[2K${text}`);
        interimShown = true;
      } else if (ev.type === 'final') {
        if (ev.text.trim()) words = true;
        const text = writer.cue(ev);
        if (live && interimShown && text) io.stdout.write('\r\x1b[2K');
        if (text) await writeTo(out, text);
        if (text) interimShown = false;
      } else if (ev.type === 'gap') {
        say(io, `${(ev.end - ev.start).toFixed(2)} s of audio were lost (${ev.reason})`);
      }
    }
    ended = true;
  } finally {
    removeInterrupt?.();
    if (interimShown) io.stdout.write('\r\x1b[2K');
    if (out !== io.stdout) await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
    if (!ended) printStats?.();
  }
  if (!words) say(io, `the transcript is empty: no words were recognised${emptyTranscriptHint(gateway)}`);
  printStats?.();
}
