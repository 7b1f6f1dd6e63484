/**
 * The conformance scenario: one program, run unchanged on Node, Deno, Bun
 * and Chromium against the emulator, whose output must be byte-identical
 * everywhere (and equal to `conformance/expected.jsonl`).
 *
 * It uses only the public API of `@stt-stream/core` and the standard globals
 * every runtime has: no `node:*`, no `Deno`, no `Bun`, no DOM. What differs
 * per runtime (the transport, reading the fixture files, printing) comes in
 * through {@link ScenarioOptions} from a tiny entry file (`entry-*.ts`).
 *
 * Determinism: the emulator's tone engine is deterministic and split-invariant
 * per connection, so what varies between runs is only *when* messages arrive.
 * The scenario removes that: writes are awaited one by one, `finalize()` is
 * called at an exact sample position, and the fault sessions wait for the
 * first final before writing the audio that triggers the fault (so the
 * commit point the reconnect replays from is the same on every run), and the
 * fault fires in the silence between two utterances (so no interim of the
 * lost connection is in flight). Lifecycle events are printed apart from
 * transcript events (their relative order is a race), without the random
 * reconnect delay.
 *
 * @module
 */
import {
  SttError,
  createTranscriber,
  decodeWav,
  transcribe,
  type PCMFrame,
  type SttTransport,
  type Transcriber,
  type TranscriberOptions,
  type TranscriptEvent,
} from '@stt-stream/core';
import { canonicalJson } from './canonical.ts';

/** The fixture files, as WAV bytes (see `fixtures.ts`, which writes them). */
export interface ScenarioAudio {
  /** DTMF `1234 5678 90*#` at 44.1 kHz stereo: resampled and down-mixed on the way. */
  keys: Uint8Array;
  /** DTMF `123 456` at 16 kHz mono, with a 1.8 s break between the utterances. */
  utterances: Uint8Array;
}

/** What a runtime's entry file passes to {@link runScenario}. */
export interface ScenarioOptions {
  /** The emulator's streaming URL, `ws://127.0.0.1:PORT/v1/stt/stream`. */
  url: string;
  /** The emulator's HTTP base, `http://127.0.0.1:PORT`. */
  httpUrl: string;
  /** A key the emulator accepts (HTTP token characters only, so browsers can send it as a subprotocol). */
  apiKey: string;
  /** How this runtime opens WebSockets. */
  transport: SttTransport;
  audio: ScenarioAudio;
  /**
   * Unique per run against one emulator: URL fault plans fire once per key,
   * and the keys are made from it.
   */
  runId: string;
  /** Called with each output line as it is made (the lines are also returned). */
  onLine?: (line: string) => void;
  /** Sessions to run, by name; all when omitted. */
  only?: readonly SessionName[];
}

/** The sessions, in the order they run. */
export const SESSIONS = [
  'odd-frames',
  'finalize',
  'baseline',
  'drop',
  'close-4010',
  'bad-key',
  'batch',
  'batch-bad-key',
] as const;
export type SessionName = (typeof SESSIONS)[number];

const MODEL = 'dtmf';
const FIRST_FINAL_TIMEOUT_MS = 10_000;
/** The fault sessions write this much, then wait for the first final (utterance 1 ends at 0.7 s, its final comes by 1.0 s). */
const GATE_SECONDS = 1.5;
/** 64000 bytes of 16 kHz mono pcm_s16le = 2.0 s: in the silence between the utterances (0.7 s to 2.5 s). */
const FAULT_AFTER_BYTES = 64000;

/** Odd frame sizes, in sample frames per channel, cycled. */
const ODD_SIZES = [331, 1021, 7, 4409, 2, 977, 1, 2203];

/**
 * Runs every session and returns the canonical output lines (also given to
 * `onLine` one by one). Never throws for a session's failure: failures are
 * part of the output.
 *
 * @example From an entry file
 * ```ts
 * const lines = await runScenario({ url, httpUrl, apiKey, transport: createWebSocketTransport(), audio, runId });
 * ```
 */
export async function runScenario(options: ScenarioOptions): Promise<string[]> {
  const lines: string[] = [];
  const host = new URL(options.httpUrl).host;
  const out = (value: unknown) => {
    // The emulator's port is the one thing in a message that differs per run.
    const line = canonicalJson(value).split(host).join('<emulator>');
    lines.push(line);
    options.onLine?.(line);
  };
  const want = (name: SessionName) => !options.only || options.only.includes(name);
  const keys = pcmOf(options.audio.keys);
  const utterances = pcmOf(options.audio.utterances);
  const base: TranscriberOptions = {
    model: MODEL,
    url: options.url,
    apiKey: options.apiKey,
    transport: options.transport,
    reconnect: { retries: 3, minDelayMs: 10, maxDelayMs: 50 },
  };

  if (want('odd-frames')) {
    await runSession(out, 'odd-frames', base, async (t) => {
      await framesOf(keys).pipeTo(t.writable);
    });
  }

  if (want('finalize')) {
    await runSession(out, 'finalize', base, async (t) => {
      const w = t.writable.getWriter();
      // 0.6 s: `one` and `two` have ended, `three` starts here; the utterance is still open.
      const at = Math.round(0.6 * utterances.sampleRate);
      await writeRange(w, utterances, 0, at);
      t.finalize();
      await writeRange(w, utterances, at, utterances.frames);
      await w.close();
    });
  }

  const finalsBy: Partial<Record<SessionName, unknown[]>> = {};
  for (const name of ['baseline', 'drop', 'close-4010'] as const) {
    if (!want(name)) continue;
    const plan =
      name === 'drop'
        ? { key: `${options.runId}-drop`, times: 1, drop: { afterBytes: FAULT_AFTER_BYTES } }
        : name === 'close-4010'
          ? { key: `${options.runId}-4010`, times: 1, close: { code: 4010, afterBytes: FAULT_AFTER_BYTES } }
          : undefined;
    const url = new URL(options.url);
    if (plan) url.searchParams.set('fault', JSON.stringify(plan));
    const events = await runSession(out, name, { ...base, url: url.toString() }, async (t, firstFinal) => {
      const w = t.writable.getWriter();
      const gate = Math.round(GATE_SECONDS * utterances.sampleRate);
      await writeRange(w, utterances, 0, gate);
      await firstFinal;
      await writeRange(w, utterances, gate, utterances.frames);
      await w.close();
    });
    finalsBy[name] = events.filter((e) => e.type === 'final');
  }
  for (const name of ['drop', 'close-4010'] as const) {
    if (!finalsBy[name] || !finalsBy.baseline) continue;
    out({
      session: name,
      check: 'finals equal the fault-free ones (to the ms)',
      equal: canonicalJson(finalsBy[name]) === canonicalJson(finalsBy.baseline),
    });
  }

  if (want('bad-key')) {
    await runSession(out, 'bad-key', { ...base, apiKey: 'not-a-valid-key' }, async (t) => {
      const w = t.writable.getWriter();
      await writeRange(w, utterances, 0, Math.round(0.5 * utterances.sampleRate));
      await w.close();
    });
  }

  if (want('batch')) await runBatch(out, 'batch', options.audio.utterances, { apiKey: options.apiKey, baseUrl: options.httpUrl });
  if (want('batch-bad-key')) {
    await runBatch(out, 'batch-bad-key', options.audio.utterances, { apiKey: 'not-a-valid-key', baseUrl: options.httpUrl });
  }
  return lines;
}

// ---- sessions ---------------------------------------------------------------

type Out = (value: unknown) => void;

/**
 * Runs one streaming session: `feed` writes the audio while the transcript is
 * read here. Prints the transcript events in order, then the lifecycle events
 * in order, then the outcome; returns the transcript events.
 */
async function runSession(
  out: Out,
  session: SessionName,
  options: TranscriberOptions,
  feed: (t: Transcriber, firstFinal: Promise<void>) => Promise<void>,
): Promise<TranscriptEvent[]> {
  const t = createTranscriber(options);
  const lifecycle: unknown[] = [];
  t.events.on('open', ({ model }) => lifecycle.push({ type: 'open', model }));
  t.events.on('close', ({ code, reason }) => lifecycle.push({ type: 'close', code, reason }));
  t.events.on('reconnecting', ({ attempt, cause }) =>
    // delayMs is left out: it is jittered on purpose.
    lifecycle.push({ type: 'reconnecting', attempt, cause: cause.code, closeCode: cause.closeCode }),
  );
  t.events.on('reconnected', ({ replayedSeconds }) => lifecycle.push({ type: 'reconnected', replayed: replayedSeconds > 0 }));
  t.events.on('error', (err) => lifecycle.push({ type: 'error', code: err.code }));
  t.events.on('warning', (w) => lifecycle.push({ type: 'warning', code: w.code }));

  let markFinal!: () => void;
  const firstFinal = new Promise<void>((resolve) => (markFinal = resolve));
  const events: TranscriptEvent[] = [];
  const reader = t.readable.getReader();
  const read = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      events.push(value);
      if (value.type === 'final') markFinal();
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guardedFinal = Promise.race([
    firstFinal,
    read.then(() => {
      throw new Error('the stream ended before its first final');
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no final within ${FIRST_FINAL_TIMEOUT_MS} ms`)), FIRST_FINAL_TIMEOUT_MS);
    }),
  ]);
  guardedFinal.catch(() => undefined);
  const feeding = feed(t, guardedFinal).catch((err: unknown) => {
    // The feed gave up (a missing final): end the transcript too, or the read waits forever.
    reader.cancel(err).catch(() => undefined);
    throw err;
  });
  const [fed, got] = await Promise.allSettled([feeding, read]);
  clearTimeout(timer);

  for (const event of events) out({ session, event });
  for (const event of lifecycle) out({ session, lifecycle: event });
  // The stream's error is the cause; the writer only sees the same error, or a TypeError of a closed stream.
  if (got.status === 'rejected') out({ session, error: errorJson(got.reason) });
  else if (fed.status === 'rejected') out({ session, error: errorJson(fed.reason), from: 'writer' });
  else out({ session, result: 'ok', finals: events.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text) });
  return events;
}

async function runBatch(out: Out, session: SessionName, wav: Uint8Array, options: { apiKey: string; baseUrl: string }): Promise<void> {
  try {
    const result = await transcribe(wav, { model: MODEL, ...options, retries: 1, fileName: 'utterances.wav' });
    out({ session, result });
  } catch (err) {
    out({ session, error: errorJson(err) });
  }
}

/** An error as data: the class, the stable fields, the message. */
function errorJson(err: unknown): Record<string, unknown> {
  if (err instanceof SttError) {
    return {
      class: 'SttError',
      code: err.code,
      retryable: err.retryable,
      status: err.status,
      closeCode: (err as SttError & { closeCode?: number }).closeCode,
      retryAfterMs: err.retryAfterMs,
      param: err.param,
      message: err.message,
    };
  }
  if (err instanceof Error) return { class: err.name, message: err.message };
  return { class: typeof err, message: String(err) };
}

// ---- audio ------------------------------------------------------------------

interface Pcm {
  data: Int16Array;
  sampleRate: number;
  channels: number;
  /** Sample frames (per channel). */
  frames: number;
}

/** Decodes a 16-bit WAV with core's decoder, into one interleaved buffer. */
function pcmOf(wav: Uint8Array): Pcm {
  const { format, frames } = decodeWav(wav);
  const total = frames.reduce((n, f) => n + f.data.length, 0);
  const data = new Int16Array(total);
  let at = 0;
  for (const f of frames) {
    if (!(f.data instanceof Int16Array)) throw new TypeError('conformance fixtures are 16-bit PCM WAV');
    data.set(f.data, at);
    at += f.data.length;
  }
  return { data, sampleRate: format.sampleRate, channels: format.channels, frames: total / format.channels };
}

/** The audio as a pull stream of odd-sized frames ({@link ODD_SIZES}). */
function framesOf(pcm: Pcm): ReadableStream<PCMFrame> {
  let pos = 0;
  let i = 0;
  return new ReadableStream<PCMFrame>(
    {
      pull(controller) {
        if (pos >= pcm.frames) {
          controller.close();
          return;
        }
        const n = Math.min(ODD_SIZES[i++ % ODD_SIZES.length]!, pcm.frames - pos);
        controller.enqueue({ data: pcm.data.slice(pos * pcm.channels, (pos + n) * pcm.channels), sampleRate: pcm.sampleRate, channels: pcm.channels });
        pos += n;
      },
    },
    { highWaterMark: 0 },
  );
}

/** Writes sample frames [from, to) in odd sizes, each write awaited. */
async function writeRange(w: WritableStreamDefaultWriter<PCMFrame>, pcm: Pcm, from: number, to: number): Promise<void> {
  let i = 0;
  for (let pos = from; pos < to; ) {
    const n = Math.min(ODD_SIZES[i++ % ODD_SIZES.length]!, to - pos);
    await w.write({ data: pcm.data.slice(pos * pcm.channels, (pos + n) * pcm.channels), sampleRate: pcm.sampleRate, channels: pcm.channels });
    pos += n;
  }
}

