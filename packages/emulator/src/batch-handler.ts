/**
 * `POST /v1/stt/transcribe`: multipart upload in, the gateway's JSON out
 * (docs/protocol.md, "Batch").
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transcription, TranscriptWord } from '@stt-stream/core';
import busboy from 'busboy';
import type { EngineFactory } from './engine.ts';
import { codeForStatus, errorEnvelope } from './error-envelope.ts';
import { decodeWithFfmpeg, FfmpegError } from './ffmpeg-decoder.ts';
import { readWav, type PcmAudio } from './wav-reader.ts';

/**
 * Largest audio file accepted: 25 MB.
 *
 * @example Check a file before uploading
 * ```ts
 * if (file.size > MAX_AUDIO_BYTES) throw new RangeError('too large for the gateway');
 * ```
 */
export const MAX_AUDIO_BYTES = 26_214_400;

/** How long an early-answered request may go on uploading (discarded) before its socket is closed. */
const DISCARD_GRACE_MS = 2000;

const EXTENSIONS = new Set(['wav', 'mp3', 'm4a', 'mp4', 'webm', 'ogg', 'opus', 'flac']);
const MIME_TYPES: Record<string, string> = {
  'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/wave': 'wav', 'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3', 'audio/mp3': 'mp3',
  'audio/mp4': 'm4a', 'audio/m4a': 'm4a', 'audio/x-m4a': 'm4a', 'video/mp4': 'mp4',
  'audio/webm': 'webm', 'video/webm': 'webm',
  'audio/ogg': 'ogg', 'application/ogg': 'ogg', 'audio/opus': 'opus',
  'audio/flac': 'flac', 'audio/x-flac': 'flac',
};

/**
 * Batch faults for the whole server: the first requests are answered with
 * `statuses` in turn (with the error envelope; a 429 carries `Retry-After:
 * retryAfter`, default `1`), later ones succeed.
 *
 * @example Rate-limited once, then a provider outage, then success
 * ```ts
 * const emulator = await startEmulator({ batchFaults: { statuses: [429, 502], retryAfter: '1' } });
 * ```
 */
export interface BatchFaultPlan {
  statuses?: number[];
  retryAfter?: number | string;
  /** Wait this long before reading each request. */
  delayMs?: number;
}

/**
 * The fault of one batch request (what a `batchFaults` function returns).
 *
 * @example Rate-limit the first request only
 * ```ts
 * const emulator = await startEmulator({ batchFaults: ({ index }) => (index === 0 ? { status: 429, retryAfter: 2 } : undefined) });
 * ```
 */
export interface BatchFault {
  /** Answer with this status and the error envelope instead of transcribing. */
  status?: number;
  /** `Retry-After` header value (sent on 429 by default as `1`, on others only when given). */
  retryAfter?: number | string | undefined;
  /** Wait this long before reading the request. */
  delayMs?: number | undefined;
  code?: string;
  message?: string;
}

/**
 * What the handler needs.
 *
 * @example Options for an open emulator
 * ```ts
 * const options: BatchHandlerOptions = { authorized: true, engine: createToneEngine, fault: undefined, ffmpeg: 'ffmpeg', onDone() {} };
 * ```
 */
export interface BatchHandlerOptions {
  authorized: boolean;
  engine: EngineFactory;
  fault: BatchFault | undefined;
  /** ffmpeg executable, or false for none. */
  ffmpeg: string | false;
  /** Called once the request is done with (response sent or connection gone). */
  onDone: () => void;
}

/**
 * Handles one batch request. Returns a function that aborts it (used by
 * `close()`): timers cleared, ffmpeg killed, socket destroyed; its promise
 * resolves once the request's work (a decode, its temporary file) is over.
 *
 * @example Inside a request listener
 * ```ts
 * const abort = handleBatchRequest(req, res, { authorized: true, engine: createToneEngine, fault: undefined, ffmpeg: 'ffmpeg', onDone() {} });
 * ```
 */
export function handleBatchRequest(req: IncomingMessage, res: ServerResponse, options: BatchHandlerOptions): () => Promise<void> {
  const abort = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  let done = false;
  let work: Promise<void> = Promise.resolve();

  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const finish = (): void => {
    if (done) return;
    done = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    abort.abort();
    options.onDone();
  };
  res.once('close', finish);

  function respond(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  /**
   * Answers before the body is read. The rest of the upload is discarded as
   * it comes, never buffered; a client that goes on uploading for more than
   * a moment after the answer has its connection closed. (Closing at once
   * would reset the connection under a client still writing, and it might
   * never see the answer.)
   */
  function respondEarly(status: number, code: string, message: string, extra: { param?: string; headers?: Record<string, string> } = {}): void {
    if (res.headersSent) return;
    req.unpipe();
    req.resume();
    res.once('finish', () => {
      if (req.complete) return;
      const timer = setTimeout(() => req.socket.destroy(), DISCARD_GRACE_MS);
      const clear = (): void => clearTimeout(timer);
      req.once('end', clear);
      req.socket.once('close', clear);
    });
    respond(status, errorEnvelope(code, message, { ...(extra.param !== undefined ? { param: extra.param } : {}) }), extra.headers);
  }

  function start(): void {
    if (done) return;
    if (!options.authorized) return respondEarly(401, 'unauthenticated', 'Missing or invalid API key');
    const fault = options.fault;
    if (fault?.status !== undefined) {
      const retryAfter = fault.retryAfter ?? (fault.status === 429 ? '1' : undefined);
      return respondEarly(fault.status, fault.code ?? codeForStatus(fault.status), fault.message ?? `Injected fault: ${fault.status}`, {
        headers: retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {},
      });
    }
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\s*;/i.test(type)) {
      return respondEarly(400, 'invalid_input', 'The body must be multipart/form-data with an `audio` file and `model_id`');
    }
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: MAX_AUDIO_BYTES + 1, files: 4, fields: 32, fieldSize: 64 * 1024 } });
    } catch {
      return respondEarly(400, 'invalid_input', 'Malformed multipart/form-data header');
    }
    const fields = new Map<string, string>();
    let audio: { chunks: Buffer[]; format: string } | null = null;

    parser.on('field', (name, value) => {
      if (!fields.has(name)) fields.set(name, value);
    });
    parser.on('file', (name, stream, info) => {
      if (name !== 'audio' || audio || res.headersSent) {
        stream.resume();
        return;
      }
      const format = detectFormat(info.filename, info.mimeType);
      if (!format) {
        stream.resume();
        return respondEarly(400, 'invalid_input', `Unsupported audio format (file ${JSON.stringify(info.filename ?? '')}, type ${info.mimeType}); send wav, mp3, m4a, mp4, webm, ogg, opus or flac`, { param: 'audio' });
      }
      const file = (audio = { chunks: [] as Buffer[], format });
      stream.on('data', (chunk: Buffer) => {
        if (!res.headersSent) file.chunks.push(chunk);
      });
      stream.on('limit', () => {
        file.chunks = [];
        respondEarly(413, 'invalid_input', `The audio file is larger than 25 MB (${MAX_AUDIO_BYTES} bytes)`, { param: 'audio' });
      });
    });
    parser.on('error', () => respondEarly(400, 'invalid_input', 'Malformed multipart/form-data body'));
    parser.on('close', () => {
      if (res.headersSent || done) return;
      if (!audio) return respond(400, errorEnvelope('invalid_input', 'The `audio` file is required', { param: 'audio' }));
      const model = fields.get('model_id')?.trim();
      if (!model) return respond(400, errorEnvelope('invalid_input', '`model_id` is required', { param: 'model_id' }));
      const language = fields.get('language')?.trim() || null;
      work = transcribe(Buffer.concat(audio.chunks), audio.format, model, language).catch(() => {
        respond(500, errorEnvelope('server_error', 'The emulator failed to transcribe the audio'));
      });
    });
    req.pipe(parser);
  }

  async function transcribe(bytes: Buffer, format: string, model: string, language: string | null): Promise<void> {
    let pcm: PcmAudio | null = null;
    if (format === 'wav') {
      try {
        pcm = readWav(bytes);
      } catch (err) {
        // A RangeError is a sound header in an encoding core does not decode (ADPCM, MP3 in WAV): ffmpeg may.
        // Anything else (not a WAV, a broken or truncated one) is the client's to fix.
        if (!(err instanceof RangeError)) return respond(400, errorEnvelope('invalid_input', (err as Error).message, { param: 'audio' }));
      }
    }
    if (!pcm) {
      if (options.ffmpeg === false) {
        return respond(400, errorEnvelope('invalid_input', `This emulator decodes only WAV (PCM, float, µ-law, A-law) by itself; ${format === 'wav' ? 'this WAV encoding' : format} needs ffmpeg, which is not available`, { param: 'audio' }));
      }
      try {
        pcm = await decodeWithFfmpeg(bytes, format, options.ffmpeg, abort.signal);
      } catch (err) {
        if (done) return;
        if (err instanceof FfmpegError && err.reason === 'missing') {
          return respond(400, errorEnvelope('invalid_input', `This emulator decodes only WAV (PCM, float, µ-law, A-law) by itself; ${format === 'wav' ? 'this WAV encoding' : format} needs ffmpeg on PATH, and it is not there`, { param: 'audio' }));
        }
        return respond(400, errorEnvelope('invalid_input', err instanceof FfmpegError ? err.message : `Could not decode the ${format} audio`, { param: 'audio' }));
      }
    }
    if (done) return;
    if (pcm.sampleRate < 4000 || pcm.sampleRate > 384000) {
      return respond(400, errorEnvelope('invalid_input', `Unsupported sample rate ${pcm.sampleRate} Hz`, { param: 'audio' }));
    }
    const mono = downmix(pcm);
    const engine = options.engine({ sampleRate: pcm.sampleRate, channels: 1, language, interimResults: false });
    const events = [...engine.push(mono), ...engine.end()];
    const words: TranscriptWord[] = [];
    const texts: string[] = [];
    let confidence: number | null = null;
    let heardLanguage: string | null = language;
    for (const ev of events) {
      if (ev.type !== 'transcript' || !ev.isFinal) continue;
      texts.push(ev.text);
      words.push(...(ev.words ?? []));
      confidence = ev.confidence;
      heardLanguage = ev.language ?? heardLanguage;
    }
    respond(200, {
      text: texts.join(' '),
      duration: mono.length / pcm.sampleRate,
      language: heardLanguage ?? 'en',
      confidence,
      words,
      model,
    } satisfies Transcription);
  }

  if (options.fault?.delayMs) later(options.fault.delayMs, start);
  else start();

  return async () => {
    finish();
    req.socket.destroy();
    await work;
  };
}

function detectFormat(filename: string | undefined, mimeType: string | undefined): string | null {
  const ext = /\.([a-z0-9]+)$/i.exec(filename ?? '')?.[1]?.toLowerCase();
  if (ext && EXTENSIONS.has(ext)) return ext;
  const mime = (mimeType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return MIME_TYPES[mime] ?? null;
}

function downmix({ samples, channels }: PcmAudio): Int16Array {
  if (channels === 1) return samples;
  const frames = Math.floor(samples.length / channels);
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[i * channels + c] as number;
    out[i] = Math.round(sum / channels);
  }
  return out;
}
