/**
 * `stt-stream transcribe <file>`: a file (or stdin) to text, through the
 * batch endpoint up to 25 MB and the streaming one beyond (or as the flags
 * say), with a progress bar of the audio sent and confirmed.
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { open, stat, writeFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import cliProgress from 'cli-progress';
import { MAX_BATCH_BYTES, SttError, transcribe, type PCMFrame, type Transcriber, type TranscriptSegmentEvent, type Transcription } from '@stt-stream/core';
import { GATEWAY_AUDIO_EXTENSIONS, SNIFF_BYTES, fileExtension, sniffAudioFormat } from '@stt-stream/core/internal';
import { audioStreamSource } from './audio-stream-source.ts';
import {
  EXIT,
  UsageError,
  WIRE_RATE,
  emptyTranscriptHint,
  gatewayFrom,
  outputFormat,
  reportConnection,
  reportRetries,
  roundTimes,
  say,
  writeTo,
  type CliIo,
  type CommonOptions,
  type Format,
} from './cli-common.ts';
import { watchStats } from './cli-stats.ts';
import { fileSource } from './file-source.ts';
import { toSrt } from './srt-writer.ts';
import { collectFinals, transcribeFile, transcribeFrames } from './transcribe-file.ts';
import { toWebVtt } from './webvtt-writer.ts';

/** The options of `transcribe`. */
export interface TranscribeOptions extends CommonOptions {
  stream?: boolean;
  batch?: boolean;
  ffmpeg?: string;
  progress: boolean;
  retries?: number;
  stats?: boolean;
}

/** The result in the chosen format (subtitles from the finals when the stream gave some). */
export function formatResult(result: Transcription, format: Format, finals: TranscriptSegmentEvent[] | null): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(roundTimes(result), null, 2)}\n`;
    case 'srt':
      return toSrt(finals && finals.length > 0 ? finals : result);
    case 'vtt':
      return toWebVtt(finals && finals.length > 0 ? finals : result);
    default:
      return result.text ? `${result.text}\n` : '';
  }
}

/** The duration of a media file by ffprobe, or `null` when it cannot tell. */
function probeDuration(path: string, ffmpegPath: string | undefined): Promise<number | null> {
  const ffprobe = ffmpegPath ? ffmpegPath.replace(/ffmpeg(\.exe)?$/i, 'ffprobe$1') : 'ffprobe';
  return new Promise((resolve) => {
    execFile(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', path], { timeout: 10_000 }, (err, out) => {
      const d = err ? NaN : Number(String(out).trim());
      resolve(Number.isFinite(d) && d > 0 ? d : null);
    });
  });
}

/**
 * A progress bar on stderr (a terminal only) of the audio **sent** to the
 * gateway against the file's duration, with the audio **confirmed** by
 * finals beside it: read from the transcriber's stats four times a second,
 * so a stalled connection shows as a bar that stops, next to the lines
 * {@link reportConnection} writes.
 */
function progressBar(io: CliIo, total: number | null) {
  let timer: ReturnType<typeof setInterval> | undefined;
  let bar: cliProgress.SingleBar | undefined;
  return {
    watch(transcriber: Transcriber) {
      if (!io.stderr.isTTY) return;
      const started = Date.now();
      const format = total
        ? 'sent |{bar}| {percentage}% | {value}/{total} s | confirmed {confirmed} s | {speed}× real time'
        : 'sent {value} s | confirmed {confirmed} s | {speed}× real time';
      bar = new cliProgress.SingleBar(
        { format, stream: io.stderr as unknown as NodeJS.WritableStream, hideCursor: true, clearOnComplete: true, etaBuffer: 20 },
        cliProgress.Presets.shades_classic,
      );
      const tenths = (samples: number) => Math.round((samples / WIRE_RATE) * 10) / 10;
      bar.start(total ? Math.round(total * 10) / 10 : 0, 0, { speed: '0.0', confirmed: '0.0' });
      timer = setInterval(() => {
        const { sentSamples, committedSamples } = transcriber.stats;
        const speed = sentSamples / WIRE_RATE / Math.max((Date.now() - started) / 1000, 1e-3);
        bar!.update(tenths(sentSamples), { speed: speed.toFixed(1), confirmed: tenths(committedSamples).toFixed(1) });
      }, 250);
    },
    stop() {
      if (timer) clearInterval(timer);
      bar?.stop();
    },
  };
}

async function readAll(stream: Readable, limit: number): Promise<{ chunks: Buffer[]; size: number; ended: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    chunks.push(b);
    size += b.length;
    if (size > limit) return { chunks, size, ended: false };
  }
  return { chunks, size, ended: true };
}

/** Whether the batch endpoint takes this audio: by the file's extension, else by its first bytes. */
function batchTakes(name: string | null, head: Uint8Array): boolean {
  if (name !== null && GATEWAY_AUDIO_EXTENSIONS.includes(fileExtension(name))) return true;
  const format = sniffAudioFormat(head);
  return format !== null && GATEWAY_AUDIO_EXTENSIONS.includes(format);
}

async function fileHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r').catch(() => null);
  if (!handle) return new Uint8Array(0); // transcribeFile says what is wrong with it
  try {
    const head = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

const notForBatch = (what: string) =>
  new SttError(
    'invalid_input',
    `${what}: the batch endpoint takes ${GATEWAY_AUDIO_EXTENSIONS.join(', ')}, and neither the name nor the first bytes say it is one of them: drop --batch (or use --stream) to decode it here with ffmpeg, or rename the file with the right extension`,
    { param: 'audio', retryable: false },
  );

const tooBigForBatch = (what: string) =>
  new SttError('invalid_input', `${what} is over the batch endpoint's limit of 25 MB (${MAX_BATCH_BYTES} bytes): drop --batch, or use --stream`, {
    status: 413,
    param: 'audio',
    retryable: false,
  });

/**
 * A source that Ctrl-C can end early and gracefully: `stop()` ends it as if
 * the audio had ended there, so the transcriber still delivers the finals of
 * what was sent.
 */
function stoppable(source: ReadableStream<PCMFrame>): { stream: ReadableStream<PCMFrame>; stop(): void } {
  const reader = source.getReader();
  let stopped = false;
  return {
    stream: new ReadableStream<PCMFrame>({
      async pull(controller) {
        if (stopped) return controller.close();
        const r = await reader.read();
        if (r.done || stopped) controller.close();
        else controller.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason),
    }),
    stop() {
      stopped = true;
      void reader.cancel().catch(() => {});
    },
  };
}

/** What Ctrl-C does while a command runs; see {@link commandTranscribe}. */
interface Interrupt {
  /** Set once Ctrl-C was pressed. */
  interrupted: boolean;
  /** Aborts an upload in flight. */
  readonly abort: AbortController;
  /** Ends the streamed audio early (the finals of what was sent still come). */
  stopAudio?: () => void;
  /** Writes what there is so far at once (a second Ctrl-C: the process exits right after). */
  flushNow?: () => void;
}

/**
 * `transcribe <file>`; with `--stats`, the figures go out last (after the
 * transcript, or before the error).
 *
 * Ctrl-C while streaming ends the audio where it is, waits for the finals
 * of what was sent, writes that transcript and the `--stats` figures, and
 * exits 130; a second Ctrl-C writes what there is at once and quits. Ctrl-C
 * during an upload cancels it (exit 130).
 */
export async function commandTranscribe(file: string, opts: TranscribeOptions, io: CliIo): Promise<number | void> {
  const stats: { print?: () => void } = {};
  const interrupt: Interrupt = { interrupted: false, abort: new AbortController() };
  const removeInterrupt = io.onInterrupt?.(() => {
    if (interrupt.interrupted) {
      // The second Ctrl-C: the bin exits right after this (cli.ts).
      interrupt.flushNow?.();
      stats.print?.();
      return;
    }
    interrupt.interrupted = true;
    if (interrupt.stopAudio) {
      say(io, 'interrupted: ending the audio here and waiting for the last finals (Ctrl-C again to quit at once)');
      interrupt.stopAudio();
    } else {
      say(io, 'interrupted: the upload is cancelled');
      interrupt.abort.abort();
    }
  });
  try {
    await transcribeCommand(file, opts, io, stats, interrupt);
    return interrupt.interrupted ? EXIT.interrupted : undefined;
  } catch (err) {
    if (interrupt.interrupted && err instanceof SttError && err.code === 'aborted') return EXIT.interrupted;
    throw err;
  } finally {
    removeInterrupt?.();
    stats.print?.();
  }
}

async function transcribeCommand(file: string, opts: TranscribeOptions, io: CliIo, stats: { print?: () => void }, interrupt: Interrupt): Promise<void> {
  if (opts.stream && opts.batch) throw new UsageError('--stream and --batch exclude each other');
  if (opts.stats && opts.batch) throw new UsageError("--stats reports the streaming endpoint's figures: use it with --stream (or without --batch)");
  const format = outputFormat(opts);
  const gateway = gatewayFrom(opts, io);
  const mode = opts.stream ? 'stream' : opts.batch ? 'batch' : 'auto';
  const base = {
    model: opts.model,
    url: gateway.url,
    ...(gateway.apiKey ? { apiKey: gateway.apiKey } : {}),
    ...(opts.language ? { language: opts.language } : {}),
    ...(opts.provider ? { providerId: opts.provider } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    signal: interrupt.abort.signal,
  };
  const finals: TranscriptSegmentEvent[] = [];
  const onFinal = (f: TranscriptSegmentEvent) => finals.push(f);
  const what = file === '-' ? 'stdin' : file;
  const output = (result: Transcription) => formatResult(result, format, finals);
  // A second Ctrl-C while streaming: the finals so far, written synchronously before the exit.
  let seconds = 0;
  let model = opts.model;
  interrupt.flushNow = () => {
    if (finals.length === 0) return;
    const text = output(collectFinals(finals, seconds, model));
    if (opts.output) writeFileSync(opts.output, text);
    else io.stdout.write(text);
  };
  const streaming = (total: number | null) => {
    const bar = opts.progress ? progressBar(io, total) : null;
    return {
      options: {
        ...base,
        onFinal,
        onProgress(p: { seconds: number }) {
          seconds = p.seconds;
        },
        onTranscriber(transcriber: Transcriber) {
          transcriber.events.on('open', (info) => {
            model = info.model ?? model;
          });
          reportConnection(io, transcriber, gateway.origin);
          bar?.watch(transcriber);
          if (opts.stats) stats.print = watchStats(io, transcriber, false);
        },
      },
      stop: () => bar?.stop(),
    };
  };
  let result: Transcription;

  if (file === '-') {
    // stdin: up to 25 MB of a format the batch endpoint takes is uploaded; anything else is streamed.
    const head = mode === 'stream' ? { chunks: [], size: 0, ended: false } : await readAll(io.stdin, MAX_BATCH_BYTES);
    const bytes = head.ended ? new Uint8Array(Buffer.concat(head.chunks)) : null;
    if (bytes && bytes.length === 0) throw new SttError('invalid_input', 'stdin is empty', { retryable: false });
    if (mode === 'batch' && !bytes) throw tooBigForBatch('stdin');
    if (mode === 'batch' && bytes && !batchTakes(null, bytes.subarray(0, SNIFF_BYTES))) throw notForBatch('stdin');
    if (bytes && batchTakes(null, bytes.subarray(0, SNIFF_BYTES))) {
      if (opts.stats) say(io, '--stats: no streaming figures, stdin went to the batch endpoint (add --stream to stream it)');
      result = await transcribe(bytes, { ...base, onRetry: reportRetries(io) });
    } else {
      const rest = io.stdin;
      const input = Readable.from(
        (async function* () {
          yield* head.chunks;
          if (!head.ended) for await (const chunk of rest) yield chunk as Buffer;
        })(),
        { objectMode: false },
      );
      const s = streaming(null);
      const audio = stoppable(audioStreamSource(input, { name: 'stdin', ...(opts.ffmpeg ? { ffmpegPath: opts.ffmpeg } : {}) }));
      interrupt.stopAudio = audio.stop;
      try {
        result = await transcribeFrames(audio.stream, s.options);
      } finally {
        s.stop();
      }
    }
  } else {
    const info = await stat(file).catch(() => null);
    if (info?.isDirectory()) throw new SttError('invalid_input', `Cannot read ${file}: is a directory`, { param: 'audio', retryable: false });
    const size = info?.size ?? 0;
    if (mode === 'batch' && size > MAX_BATCH_BYTES) throw tooBigForBatch(file);
    const takes = mode === 'stream' || batchTakes(file, await fileHead(file));
    if (mode === 'batch' && !takes && size > 0) throw notForBatch(file);
    // auto: a file the batch endpoint would refuse (too big, a format it does not take) is streamed.
    const stream = mode === 'stream' || (mode === 'auto' && (size > MAX_BATCH_BYTES || (!takes && size > 0)));
    if (!stream && opts.progress && io.stderr.isTTY) io.stderr.write(`Uploading ${file} (${(size / 1e6).toFixed(1)} MB)…\n`);
    const s = stream ? streaming(opts.progress && io.stderr.isTTY ? await probeDuration(file, opts.ffmpeg) : null) : null;
    if (!s && opts.stats) say(io, '--stats: no streaming figures, the file went to the batch endpoint (add --stream to stream it)');
    try {
      if (s) {
        const audio = stoppable(fileSource(file, opts.ffmpeg ? { ffmpegPath: opts.ffmpeg } : {}));
        interrupt.stopAudio = audio.stop;
        result = await transcribeFrames(audio.stream, s.options);
      } else {
        result = await transcribeFile(file, { ...base, mode: 'batch', onRetry: reportRetries(io), ...(opts.ffmpeg ? { ffmpegPath: opts.ffmpeg } : {}) });
      }
    } finally {
      s?.stop();
    }
  }
  interrupt.flushNow = undefined;
  if (interrupt.interrupted) say(io, `interrupted: the transcript of the audio sent before Ctrl-C (${result.duration.toFixed(1)} s) follows`);
  else if (!result.text.trim()) say(io, `the transcript is empty: no words were recognised in ${what}${emptyTranscriptHint(gateway)}`);
  const text = output(result);
  if (opts.output) await writeFile(opts.output, text);
  else await writeTo(io.stdout, text);
}
