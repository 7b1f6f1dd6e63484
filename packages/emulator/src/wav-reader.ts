/**
 * WAV files as the tone engine hears them: one interleaved `Int16Array`.
 * The decoding is core's {@link WavDecoder} (PCM 8/16/24/32-bit, float
 * 32/64-bit, µ-law, A-law, extensible, RF64); this module only joins its
 * frames and converts float samples to 16-bit.
 *
 * @module
 */
import { floatToInt16, SttError, WavDecoder, type PCMFrame } from '@stt-stream/core';

/**
 * Decoded interleaved audio.
 *
 * @example Duration of decoded audio
 * ```ts
 * const seconds = audio.samples.length / audio.channels / audio.sampleRate;
 * ```
 */
export interface PcmAudio {
  samples: Int16Array;
  sampleRate: number;
  channels: number;
}

/** Format tags core decodes: PCM, IEEE float, A-law, µ-law. */
const DECODED_TAGS = new Set([0x0001, 0x0003, 0x0006, 0x0007]);

/**
 * Reads a WAV file with core's decoder. A data chunk whose size is a pipe's
 * marker (`0xFFFFFFFF`, 0, sox's `0x7FFFF000`) is read to the end of the
 * file; one that claims more bytes than the file holds is an error, as it is
 * for every other reader of this SDK.
 *
 * @throws SttError `invalid_input` when the bytes are not a WAV file, or a broken or truncated one
 * @throws RangeError when the header is sound but its encoding (ADPCM, MP3 in WAV, …) is
 *   not one core decodes (the caller may try another decoder); its `cause` is core's error
 *
 * @example Read a generated fixture
 * ```ts
 * const { samples, sampleRate, channels } = readWav(dtmfWav('1').wav);
 * ```
 */
export function readWav(bytes: Uint8Array): PcmAudio {
  // The emulator takes any rate and channel count the engine can hear, not only a PCMFrame's.
  const decoder = new WavDecoder({ checkFrameLimits: false });
  let frames: PCMFrame[];
  try {
    frames = [...decoder.push(bytes), ...decoder.end()];
  } catch (err) {
    const tag = decoder.formatTag;
    if (err instanceof SttError && tag !== null && !DECODED_TAGS.has(tag)) {
      throw new RangeError(`Cannot read WAV natively: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const format = decoder.format!;
  return { samples: joinInt16(frames), sampleRate: format.sampleRate, channels: format.channels };
}

function joinInt16(frames: PCMFrame[]): Int16Array {
  const parts = frames.map((f) => (f.data instanceof Int16Array ? f.data : floatToInt16(f.data)));
  if (parts.length === 1) return parts[0]!;
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
