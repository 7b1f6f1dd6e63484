import { execFileSync } from 'node:child_process';
import { g711Decoder, type PCMFrame } from '@stt-stream/core';
import { describe, expect, it } from 'vitest';

// core's g711Decoder against sox: every code of both laws, and a tone sox
// encodes, as sox decodes them (`sox -t ul|al … -t s16 -`), exactly.

const sox = (args: string[], input?: Uint8Array) =>
  new Uint8Array(execFileSync('sox', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 24 }));

function s16le(bytes: Uint8Array): Int16Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Int16Array.from({ length: bytes.length / 2 }, (_, i) => view.getInt16(i * 2, true));
}

/** A stream of `chunks` (`ReadableStream.from` is not in the DOM typings). */
function streamOf<T>(chunks: readonly T[]): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function decode(law: 'mulaw' | 'alaw', bytes: Uint8Array, packet: number, channels: 1 | 2 = 1): Promise<Int16Array> {
  const packets: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += packet) packets.push(bytes.subarray(i, i + packet));
  const frames: PCMFrame[] = [];
  for await (const f of streamOf(packets).pipeThrough(g711Decoder({ law, channels }))) frames.push(f);
  expect(frames.every((f) => f.channels === channels && f.sampleRate === 8000)).toBe(true);
  const out = new Int16Array(frames.reduce((n, f) => n + f.data.length, 0));
  let at = 0;
  for (const f of frames) out.set(f.data, (at += f.data.length) - f.data.length);
  return out;
}

describe('g711Decoder against sox', () => {
  it.each([
    ['mulaw', 'ul'],
    ['alaw', 'al'],
  ] as const)('g711Decoder - decodes every %s code as sox does', async (law, type) => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const reference = s16le(sox(['-t', type, '-r', '8000', '-c', '1', '-', '-t', 's16', '-'], codes));
    expect(await decode(law, codes, 160)).toEqual(reference);
  });

  it.each([
    ['mulaw', 'u-law', 'ul'],
    ['alaw', 'a-law', 'al'],
  ] as const)('g711Decoder - decodes a stereo DTMF tone sox encoded as %s, in 20 ms packets', async (law, encoding, type) => {
    const coded = sox(['-n', '-r', '8000', '-c', '2', '-e', encoding, '-t', type, '-', 'synth', '0.5', 'sine', '697', 'sine', '1209', 'gain', '-3']);
    expect(coded.length).toBe(8000);
    const reference = s16le(sox(['-t', type, '-r', '8000', '-c', '2', '-', '-t', 's16', '-'], coded));
    const decoded = await decode(law, coded, 320, 2);
    expect(decoded).toEqual(reference);
    expect(Math.max(...decoded)).toBeGreaterThan(10000);
  });
});
