// The one path the Node sources share: bytes (from a file, a Node stream or a
// subprocess's stdout) → a decoder → frames, read with back-pressure (one
// frame per pull), ended by a check of how the producer ended (a
// subprocess's exit code), and a `ReadableStream` around it that releases
// everything on an error or a cancel. Not public.
import type { PCMFrame } from '@stt-stream/core';
import type { Exit, Subprocess } from './subprocess.ts';

/** What turns bytes into frames: `WavDecoder`, `PcmBytesDecoder`. */
export interface ChunkDecoder {
  push(bytes: Uint8Array): PCMFrame[] | PCMFrame | null;
  /** Throws when the input ended early (a truncated file, a partial sample frame). */
  end(): unknown;
}

/** Frames, one per call, `null` at the end; `close()` releases what it holds (idempotent). */
export interface FrameReader {
  next(): Promise<PCMFrame | null>;
  close(): void | Promise<void>;
}

/** How {@link chunkFrames} ends. */
export interface ChunkFramesOptions {
  /** Runs when the bytes end, before the decoder is ended: throw to fail (a subprocess's exit). */
  atEnd?: () => Promise<void>;
  /** Maps an error of the decoder's `end()` (e.g. "no audio at all"). */
  endError?: (err: unknown) => unknown;
  /** Releases the bytes' owner. */
  close?: () => void | Promise<void>;
}

/**
 * Reads `read()` chunk by chunk through `decoder` and returns each chunk's
 * frames as one frame (chunks that hold no whole frame are skipped).
 */
export function chunkFrames(read: () => Promise<Uint8Array | null>, decoder: ChunkDecoder, options: ChunkFramesOptions = {}): FrameReader {
  let ended = false;
  return {
    async next() {
      if (ended) return null;
      for (;;) {
        const bytes = await read();
        if (bytes === null) {
          ended = true;
          await options.atEnd?.();
          try {
            decoder.end();
          } catch (err) {
            throw options.endError ? options.endError(err) : err;
          }
          return null;
        }
        const frame = merge(decoder.push(bytes));
        if (frame) return frame;
      }
    },
    close: () => options.close?.(),
  };
}

/**
 * A subprocess's stdout through `decoder`; at its end, `exitError` says
 * whether the exit was a failure (and which). `close()` kills it.
 */
export function processFrames(
  proc: Subprocess,
  decoder: ChunkDecoder,
  exitError: (exit: Exit, stderr: string) => Error | null,
  endError?: (err: unknown) => unknown,
): FrameReader {
  return chunkFrames(() => proc.read(), decoder, {
    async atEnd() {
      const err = exitError(await proc.exited, proc.stderr());
      if (err) throw err;
    },
    ...(endError ? { endError } : {}),
    close: () => proc.kill(),
  });
}

/**
 * A `ReadableStream<PCMFrame>` (high-water mark 1: nothing is read before
 * the consumer asks) over the reader `open()` makes on the first pull. An
 * error closes the reader and errors the stream with `mapError(err)`; a
 * cancel closes it, and what it was doing is not reported. `eager` opens
 * the reader at once instead (its error still comes at the first read).
 */
export function frameStream(
  open: () => Promise<FrameReader> | FrameReader,
  mapError: (err: unknown) => unknown = (err) => err,
  options: { eager?: boolean } = {},
): ReadableStream<PCMFrame> {
  let reader: FrameReader | undefined;
  let opening: Promise<FrameReader> | undefined;
  let cancelled = false;
  const openOnce = () => (opening ??= Promise.resolve().then(open));
  const close = async () => {
    const r = reader;
    reader = undefined;
    await r?.close();
  };
  return new ReadableStream<PCMFrame>(
    {
      start() {
        // Eager: open now (a recorder starts capturing at once), fail at the first read.
        if (options.eager) openOnce().catch(() => {});
      },
      async pull(controller) {
        try {
          if (!reader) {
            const opened = await openOnce();
            if (cancelled) return void (await opened.close());
            reader = opened;
          }
          const frame = await reader.next();
          if (cancelled) return;
          if (frame) controller.enqueue(frame);
          else {
            await close();
            controller.close();
          }
        } catch (err) {
          await close().catch(() => {});
          if (!cancelled) throw mapError(err);
        }
      },
      async cancel() {
        cancelled = true;
        if (opening && !reader) await opening.then((r) => r.close(), () => {});
        await close();
      },
    },
    { highWaterMark: 1 },
  );
}

/** Joins frames decoded from one chunk into one (they share rate and channels). */
function merge(frames: PCMFrame[] | PCMFrame | null): PCMFrame | null {
  if (frames === null || !Array.isArray(frames)) return frames;
  if (frames.length === 0) return null;
  if (frames.length === 1) return frames[0]!;
  const first = frames[0]!;
  const length = frames.reduce((n, f) => n + f.data.length, 0);
  const data = first.data instanceof Int16Array ? new Int16Array(length) : new Float32Array(length);
  let at = 0;
  for (const f of frames) {
    data.set(f.data as never, at);
    at += f.data.length;
  }
  return { data, sampleRate: first.sampleRate, channels: first.channels };
}
