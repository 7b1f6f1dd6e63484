// Shared helpers of the integration tests.
import type { PCMFrame, TranscriptEvent, TranscriptSegmentEvent } from '@stt-stream/core';

/** A deterministic PRNG (the emulator's mulberry32), so random splits can be replayed from a seed. */
export { mulberry32 as prng } from '@stt-stream/emulator';

/**
 * Frames of the given samples, cut into sizes drawn by `size(i)` (sample
 * frames per channel), as a pull-based stream (back-pressure reaches here).
 */
export function framesOf(
  samples: Int16Array | Float32Array,
  sampleRate: number,
  channels: number,
  size: (i: number) => number = () => Math.round(sampleRate / 10),
): ReadableStream<PCMFrame> {
  let pos = 0;
  let i = 0;
  return new ReadableStream<PCMFrame>(
    {
      pull(controller) {
        if (pos >= samples.length) {
          controller.close();
          return;
        }
        const n = Math.max(1, Math.floor(size(i++))) * channels;
        const data = samples.slice(pos, pos + n);
        pos += n;
        controller.enqueue({ data, sampleRate, channels });
      },
    },
    { highWaterMark: 0 },
  );
}

export async function collect<T>(readable: ReadableStream<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of readable as unknown as AsyncIterable<T>) out.push(x);
  return out;
}

/** A final transcript event. (`Extract<TranscriptEvent, { type: 'final' }>` would be `never`: the segment type is `'interim' | 'final'`.) */
export type Final = TranscriptSegmentEvent & { type: 'final' };
export const finalsOf = (events: TranscriptEvent[]) => events.filter((e): e is Final => e.type === 'final');
/** The words of all finals, in order. */
export const wordsOf = (events: TranscriptEvent[]) => finalsOf(events).flatMap((f) => f.words ?? []);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
