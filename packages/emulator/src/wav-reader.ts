/**
 * A minimal WAV reader: 16-bit PCM only (WAVE_FORMAT_PCM, or
 * WAVE_FORMAT_EXTENSIBLE with the PCM sub-format). Other encodings go
 * through ffmpeg in the batch endpoint.
 *
 * @module
 */

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

const PCM = 1;
const EXTENSIBLE = 0xfffe;

/**
 * Reads a PCM16 WAV file. A data chunk that claims more bytes than the file
 * holds (a streamed WAV) is read to the end of the file.
 *
 * @throws TypeError when the bytes are not a RIFF/WAVE file or lack a `fmt ` or `data` chunk
 * @throws RangeError when the WAV is valid but not 16-bit PCM (the caller may try another decoder)
 *
 * @example Read a generated fixture
 * ```ts
 * const { samples, sampleRate, channels } = readWav(dtmfWav('1').wav);
 * ```
 */
export function readWav(bytes: Uint8Array): PcmAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (offset: number): string => String.fromCharCode(...bytes.subarray(offset, offset + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new TypeError('Cannot read WAV: not a RIFF/WAVE file');
  let format: { tag: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw new TypeError('Cannot read WAV: `fmt ` chunk is too short');
      let formatTag = view.getUint16(body, true);
      if (formatTag === EXTENSIBLE && size >= 40 && body + 26 <= bytes.length) formatTag = view.getUint16(body + 24, true);
      format = {
        tag: formatTag,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!format) throw new TypeError('Cannot read WAV: `data` chunk before `fmt ` chunk');
      if (format.tag !== PCM || format.bits !== 16) {
        throw new RangeError(`Cannot read WAV natively: format ${format.tag} with ${format.bits}-bit samples; only 16-bit PCM is read natively`);
      }
      if (format.channels < 1 || format.sampleRate < 1 || format.blockAlign !== 2 * format.channels) {
        throw new TypeError('Cannot read WAV: inconsistent `fmt ` chunk');
      }
      const available = Math.min(size, bytes.length - body);
      const length = available - (available % format.blockAlign);
      const samples = new Int16Array(length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(body + i * 2, true);
      return { samples, sampleRate: format.sampleRate, channels: format.channels };
    }
    offset = body + size + (size % 2);
  }
  throw new TypeError(format ? 'Cannot read WAV: no `data` chunk' : 'Cannot read WAV: no `fmt ` chunk');
}
