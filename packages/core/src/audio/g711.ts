/**
 * G.711 µ-law and A-law to 16-bit linear PCM: the one implementation the WAV
 * decoder and {@link g711Decoder} share, and public for callers that get
 * packets pushed to them (a media-stream server) and write frames straight
 * into a transcriber.
 *
 * This module is browser compatible: pure, synchronous, no I/O.
 *
 * @module
 */

import { kindOf } from './describe-value.ts';

/** G.711 µ-law to 16-bit linear, as ITU-T G.711 (and sox) decode it. */
const MULAW_TABLE = /* @__PURE__ */ (() => {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    let v = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    v = u & 0x80 ? 0x84 - v : v - 0x84;
    t[i] = v;
  }
  return t;
})();

/** G.711 A-law to 16-bit linear. */
const ALAW_TABLE = /* @__PURE__ */ (() => {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const a = i ^ 0x55;
    let v = (a & 0x0f) << 4;
    const seg = (a & 0x70) >> 4;
    if (seg === 0) v += 8;
    else if (seg === 1) v += 0x108;
    else v = (v + 0x108) << (seg - 1);
    t[i] = a & 0x80 ? v : -v;
  }
  return t;
})();

/** The bytes of G.711 input: a `Uint8Array` (a Node `Buffer` is one) as it is, an `ArrayBuffer` viewed whole, `null` for anything else. */
export function g711Bytes(input: unknown): Uint8Array | null {
  return input instanceof Uint8Array ? input : input instanceof ArrayBuffer ? new Uint8Array(input) : null;
}

function decodeWith(name: string, table: Int16Array, input: Uint8Array | ArrayBuffer, out: Int16Array | undefined): Int16Array {
  const bytes = g711Bytes(input);
  if (bytes === null) throw new TypeError(`${name}: expected a Uint8Array or ArrayBuffer of G.711 bytes, got ${kindOf(input)}`);
  const n = bytes.length;
  if (out === undefined) out = new Int16Array(n);
  else if (!(out instanceof Int16Array)) throw new TypeError(`${name}: \`out\` must be an Int16Array, got ${kindOf(out)}`);
  else if (out.length < n) throw new RangeError(`Cannot decode G.711: \`out\` holds ${out.length} samples, ${n} are needed`);
  for (let i = 0; i < n; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/**
 * Decodes G.711 µ-law bytes (one sample per byte) to 16-bit linear samples.
 *
 * @param bytes µ-law samples (channels, if several, interleaved: they stay so).
 *   A phone call's 20 ms packet (160 bytes at 8 kHz) becomes one frame:
 *   `writer.write({ data: decodeMulaw(packet), sampleRate: 8000, channels: 1 })`,
 *   with no stream stage between the packet and the transcriber.
 * @param out Where to write (at least `bytes.length` samples); a new array when omitted.
 * @returns `out`, or the new array, holding `bytes.length` samples from index 0.
 * @throws TypeError when `bytes` is not a Uint8Array (a Node `Buffer` is one)
 *   or an ArrayBuffer, or `out` is not an Int16Array; RangeError when `out`
 *   is too short
 *
 * @example µ-law silence is 0xFF
 * ```ts
 * decodeMulaw(new Uint8Array([0xff, 0x00, 0x80])); // Int16Array [0, -32124, 32124]
 * ```
 */
export function decodeMulaw(bytes: Uint8Array | ArrayBuffer, out?: Int16Array): Int16Array {
  return decodeWith('decodeMulaw', MULAW_TABLE, bytes, out);
}

/**
 * Decodes G.711 A-law bytes (one sample per byte) to 16-bit linear samples.
 *
 * @param bytes A-law samples (channels, if several, interleaved: they stay so).
 * @param out Where to write (at least `bytes.length` samples); a new array when omitted.
 * @returns `out`, or the new array, holding `bytes.length` samples from index 0.
 * @throws TypeError when `bytes` is not a Uint8Array (a Node `Buffer` is one)
 *   or an ArrayBuffer, or `out` is not an Int16Array; RangeError when `out`
 *   is too short
 *
 * @example A-law's quietest codes are 0xD5 and 0x55
 * ```ts
 * decodeAlaw(new Uint8Array([0xd5, 0x55, 0xaa])); // Int16Array [8, -8, 32256]
 * ```
 */
export function decodeAlaw(bytes: Uint8Array | ArrayBuffer, out?: Int16Array): Int16Array {
  return decodeWith('decodeAlaw', ALAW_TABLE, bytes, out);
}
