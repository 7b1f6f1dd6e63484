/**
 * The sample decoding of the WAV decoder: each WAV encoding's bytes to
 * samples. Pure; browser compatible.
 *
 * @module
 */
import { decodeAlaw, decodeMulaw } from './g711.ts';
import type { WavFormat } from './wav-decoder.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The samples of whole sample frames, in the file's encoding, as Int16 (s16, G.711) or Float32 (the rest). */
export function decodeSamples(b: Uint8Array, fmt: Pick<WavFormat, 'encoding' | 'blockAlign' | 'channels'>): Int16Array | Float32Array {
  const channelsBytes = fmt.blockAlign / fmt.channels;
  const count = b.length / channelsBytes;
  switch (fmt.encoding) {
    case 'pcm_s16': {
      if (LITTLE_ENDIAN) return new Int16Array(copyBytes(b).buffer);
      const out = new Int16Array(count);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'pcm_u8': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = (b[i]! - 128) / 128;
      return out;
    }
    case 'pcm_s24': {
      const out = new Float32Array(count);
      for (let i = 0, j = 0; i < count; i++, j += 3) {
        const v = (b[j]! | (b[j + 1]! << 8) | (b[j + 2]! << 16)) << 8 >> 8;
        out[i] = v / 8388608;
      }
      return out;
    }
    case 'pcm_s32': {
      const out = new Float32Array(count);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true) / 2147483648;
      return out;
    }
    case 'float32': {
      if (LITTLE_ENDIAN) return new Float32Array(copyBytes(b).buffer);
      const out = new Float32Array(count);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'float64': {
      const out = new Float32Array(count);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'mulaw':
      return decodeMulaw(b);
    case 'alaw':
      return decodeAlaw(b);
  }
}

/**
 * A copy in a fresh `ArrayBuffer` of its own. Not `b.slice()`: a Node
 * `Buffer` is a `Uint8Array` whose `slice` returns a view of shared memory.
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length);
  out.set(b);
  return out;
}

/** `a` then `b`, in a new array. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return copyBytes(b);
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
