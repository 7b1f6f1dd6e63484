/**
 * A streaming WAV decoder: RIFF/WAVE (and RF64/BW64) bytes in, in chunks of
 * any size, {@link PCMFrame}s out. It never needs the whole file.
 *
 * This module is browser compatible: pure, synchronous, no I/O.
 *
 * @module
 */
import { SttError } from '../errors.ts';
import { checkOptionNames, optionNames } from '../known-options.ts';
import type { PCMFrame } from '../types.ts';
import { concat, copyBytes, decodeSamples } from './wav-samples.ts';

/** How the samples of a WAV file are stored. */
export type WavEncoding = 'pcm_u8' | 'pcm_s16' | 'pcm_s24' | 'pcm_s32' | 'float32' | 'float64' | 'alaw' | 'mulaw';

/** What a WAV file's header says, once the decoder has read it. */
export interface WavFormat {
  /** The container: `RIFF`, or `RF64`/`BW64` for files over 4 GB. */
  container: 'RIFF' | 'RF64' | 'BW64';
  /** The format tag (1 PCM, 3 float, 6 A-law, 7 µ-law), with `WAVE_FORMAT_EXTENSIBLE` resolved to its sub-format. */
  formatTag: number;
  /** Whether the header is `WAVE_FORMAT_EXTENSIBLE` (0xFFFE). */
  extensible: boolean;
  encoding: WavEncoding;
  channels: number;
  sampleRate: number;
  /** Bits of each sample's container (8, 16, 24, 32 or 64). */
  bitsPerSample: number;
  /** Bits that carry signal (`wValidBitsPerSample`; equal to `bitsPerSample` unless extensible says less). */
  validBitsPerSample: number;
  /** Bytes of one sample frame (all channels). */
  blockAlign: number;
  /** Bytes of audio the `data` chunk declares; `null` when unknown (written to a pipe): read to the end. */
  dataBytes: number | null;
}

/** Options for {@link WavDecoder}. */
export interface WavDecoderOptions {
  /**
   * Whether a sample rate or channel count outside what a {@link PCMFrame}
   * holds (8000–192000 Hz, 1–8 channels) is an error.
   * @defaultValue true
   */
  checkFrameLimits?: boolean;
}

/** The option names {@link WavDecoder} takes. */
export const WAV_DECODER_OPTIONS: readonly string[] = optionNames<WavDecoderOptions>()(['checkFrameLimits']);

const FORMAT_PCM = 0x0001;
const FORMAT_FLOAT = 0x0003;
const FORMAT_ALAW = 0x0006;
const FORMAT_MULAW = 0x0007;
const FORMAT_EXTENSIBLE = 0xfffe;
/** The tail of the KSDATAFORMAT_SUBTYPE_* GUIDs: `XXXXXXXX-0000-0010-8000-00AA00389B71`. */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const UNKNOWN_32 = 0xffffffff;
/** What sox writes as the data size when it cannot seek back to fix it. */
const SOX_UNKNOWN = 0x7ffff000;
/** Header chunks we read into memory (fmt, ds64) are small; a bigger one is a broken file. */
const MAX_HEADER_CHUNK = 1 << 16;

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3',
  0x0161: 'Windows Media Audio',
};


function invalid(message: string, cause?: unknown): SttError {
  return new SttError('invalid_input', message, { retryable: false, cause });
}

function ascii(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u64(b: Uint8Array, at: number): number {
  return u32(b, at) + u32(b, at + 4) * 2 ** 32;
}

type State =
  | 'riff' // the 12-byte RIFF/WAVE header
  | 'chunk' // an 8-byte chunk header
  | 'body' // a header chunk (fmt, ds64) read whole
  | 'skip' // a chunk we do not need
  | 'data' // audio
  | 'trailer' // everything after the audio: ignored
  | 'ended'
  | 'failed';

/**
 * Decodes a WAV file pushed in chunks of any size (bytes of one sample may
 * be split across pushes). Reads PCM 8 (unsigned), 16, 24 and 32-bit,
 * IEEE float 32 and 64-bit, µ-law and A-law, `WAVE_FORMAT_EXTENSIBLE`,
 * RF64/BW64, skips other chunks (`LIST`, `fact`, `JUNK`, … with their pad
 * byte), and reads to the end when a pipe left the sizes unknown
 * (`0xFFFFFFFF`, 0, or sox's `0x7FFFF000`).
 *
 * 16-bit PCM comes out as `Int16Array` exactly, µ-law and A-law as the
 * 16-bit `Int16Array` of G.711; everything else as `Float32Array` in
 * [-1, 1] (24 and 32-bit integers scaled by 2^23 and 2^31, 8-bit as
 * (x − 128) / 128).
 *
 * Errors are `SttError`s with code `invalid_input`: not a WAV file, a
 * truncated header, an unsupported encoding, or audio that ends before the
 * `data` chunk says (or in the middle of a sample frame). The messages do not
 * name the file; the caller adds that.
 *
 * @example Decode a fetched WAV file as it downloads
 * ```ts
 * const decoder = new WavDecoder();
 * const res = await fetch('https://example.com/speech.wav');
 * for await (const chunk of res.body!) {
 *   for (const frame of decoder.push(chunk)) handle(frame);
 * }
 * for (const frame of decoder.end()) handle(frame);
 * console.log(decoder.format?.sampleRate);
 * ```
 */
export class WavDecoder {
  #state: State = 'riff';
  /** Bytes of a header, or of a partial sample frame, waiting for more input. */
  #carry: Uint8Array = new Uint8Array(0);
  /** Bytes still wanted in the current state (header size, skip or data remaining). */
  #want = 12;
  /** Bytes to skip after the current chunk (its pad byte). */
  #pad = 0;
  #chunkId = '';
  #container: WavFormat['container'] = 'RIFF';
  #riffSize: number | null = null;
  #ds64DataSize: number | null = null;
  /** Bytes of the file consumed so far. */
  #offset = 0;
  #dataRead = 0;
  #format: WavFormat | null = null;
  #formatTag: number | null = null;
  readonly #checkLimits: boolean;

  constructor(options: WavDecoderOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object { checkFrameLimits? }');
    checkOptionNames(options, WAV_DECODER_OPTIONS, 'new WavDecoder()');
    this.#checkLimits = options.checkFrameLimits ?? true;
  }

  /** The header's format once the `data` chunk has begun; `null` before. */
  get format(): WavFormat | null {
    return this.#state === 'data' || this.#state === 'trailer' || this.#state === 'ended' ? this.#format : null;
  }

  /**
   * The format tag of the `fmt ` chunk (extensible resolved) as soon as it
   * was read, even when the decoder cannot decode it: lets a caller hand an
   * unsupported file (ADPCM, MP3-in-WAV) to another decoder.
   */
  get formatTag(): number | null {
    return this.#formatTag;
  }

  /**
   * Decodes the next bytes. Returns the frames they completed (possibly none).
   *
   * @throws SttError `invalid_input` when the bytes are not a WAV file this decoder reads
   */
  push(bytes: Uint8Array): PCMFrame[] {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('Invalid argument `bytes`: expected a Uint8Array');
    if (this.#state === 'ended') throw new TypeError('Cannot push: the decoder has ended');
    if (this.#state === 'failed') throw invalid('Cannot push: the decoder failed on an earlier error');
    try {
      return this.#consume(bytes);
    } catch (err) {
      this.#state = 'failed';
      throw err;
    }
  }

  /**
   * Ends the input. Returns the last frames (always none: frames are emitted
   * as soon as they are whole), or throws when the file was cut short.
   *
   * @throws SttError `invalid_input` on a truncated header or audio, or a trailing partial sample frame
   */
  end(): PCMFrame[] {
    if (this.#state === 'failed') throw invalid('Cannot end: the decoder failed on an earlier error');
    const state = this.#state;
    this.#state = 'ended';
    if (state === 'ended' || state === 'trailer') return [];
    if (state === 'data') {
      const fmt = this.#format!;
      if (fmt.dataBytes !== null && this.#dataRead < fmt.dataBytes) {
        this.#state = 'failed';
        throw invalid(`Truncated WAV file: the data chunk declares ${fmt.dataBytes} bytes but the file ends after ${this.#dataRead}`);
      }
      if (this.#carry.length > 0) {
        this.#state = 'failed';
        throw invalid(`Truncated WAV file: it ends in the middle of a sample frame (${this.#carry.length} stray bytes of ${fmt.blockAlign})`);
      }
      return [];
    }
    this.#state = 'failed';
    if (this.#offset + this.#carry.length === 0) throw invalid('Not a WAV file: it is empty');
    if (state === 'riff') throw invalid('Not a WAV file: shorter than a RIFF header');
    throw invalid(
      this.#formatTag === null
        ? 'Truncated WAV file: it ends in the header, before the fmt chunk is complete'
        : 'Truncated WAV file: it ends in the header, before the data chunk',
    );
  }

  #consume(input: Uint8Array): PCMFrame[] {
    const frames: PCMFrame[] = [];
    let pos = 0;
    while (pos < input.length) {
      const available = input.length - pos;
      switch (this.#state) {
        case 'skip': {
          const n = Math.min(this.#want, available);
          this.#want -= n;
          pos += n;
          this.#offset += n;
          if (this.#want === 0) this.#state = 'chunk', this.#want = 8;
          break;
        }
        case 'trailer':
          this.#offset += available;
          pos = input.length;
          break;
        case 'data': {
          const n = Math.min(this.#want, available);
          const frame = this.#decode(input.subarray(pos, pos + n));
          if (frame) frames.push(frame);
          this.#want -= n;
          this.#dataRead += n;
          this.#offset += n;
          pos += n;
          if (this.#want === 0) {
            if (this.#carry.length > 0) {
              throw invalid(
                `Malformed WAV file: the data chunk (${this.#format!.dataBytes} bytes) is not a whole number of ${this.#format!.blockAlign}-byte sample frames`,
              );
            }
            this.#state = 'trailer';
          }
          break;
        }
        default: {
          // A header (riff, chunk, body): gather `want` bytes, then parse them.
          const need = this.#want - this.#carry.length;
          const n = Math.min(need, available);
          this.#carry = concat(this.#carry, input.subarray(pos, pos + n));
          pos += n;
          if (this.#state === 'riff' && this.#carry.length >= 4) this.#checkMagic(this.#carry);
          if (this.#carry.length < this.#want) break;
          const header = this.#carry;
          this.#carry = new Uint8Array(0);
          this.#offset += header.length;
          this.#parseHeader(header);
        }
      }
    }
    return frames;
  }

  #checkMagic(b: Uint8Array): void {
    const magic = ascii(b, 0);
    if (magic !== 'RIFF' && magic !== 'RF64' && magic !== 'BW64') {
      throw invalid(`Not a WAV file: it starts with ${describeMagic(b)}, not RIFF`);
    }
  }

  #parseHeader(h: Uint8Array): void {
    switch (this.#state) {
      case 'riff': {
        if (ascii(h, 8) !== 'WAVE') throw invalid(`Not a WAV file: a RIFF file of type ${JSON.stringify(ascii(h, 8))}, not WAVE`);
        this.#container = ascii(h, 0) as WavFormat['container'];
        const size = u32(h, 4);
        this.#riffSize = size === UNKNOWN_32 || size === 0 ? null : size;
        this.#state = 'chunk';
        this.#want = 8;
        return;
      }
      case 'chunk': {
        const id = ascii(h, 0);
        const size = u32(h, 4);
        this.#chunkId = id;
        if (id === 'data') return this.#startData(size);
        if (id === 'fmt ' || id === 'ds64') {
          if (size > MAX_HEADER_CHUNK) throw invalid(`Malformed WAV file: a ${id.trim()} chunk of ${size} bytes`);
          if (id === 'fmt ' && size < 16) throw invalid(`Malformed WAV file: a fmt chunk of ${size} bytes (at least 16)`);
          if (id === 'ds64' && size < 24) throw invalid(`Malformed WAV file: a ds64 chunk of ${size} bytes (at least 24)`);
          this.#state = 'body';
          this.#want = size;
          this.#pad = size & 1;
          return;
        }
        if (size === UNKNOWN_32) throw invalid(`Malformed WAV file: the ${JSON.stringify(id)} chunk before the audio has an unknown size`);
        // LIST, fact, JUNK, bext, cue, …: skip the chunk and its pad byte.
        this.#state = 'skip';
        this.#want = size + (size & 1);
        if (this.#want === 0) this.#state = 'chunk', this.#want = 8;
        return;
      }
      case 'body': {
        if (this.#chunkId === 'fmt ') this.#parseFmt(h);
        else this.#parseDs64(h);
        this.#state = this.#pad ? 'skip' : 'chunk';
        this.#want = this.#pad ? 1 : 8;
        this.#pad = 0;
        return;
      }
    }
  }

  #parseDs64(h: Uint8Array): void {
    // riffSize (8), dataSize (8), sampleCount (8), table…
    this.#ds64DataSize = u64(h, 8);
  }

  #parseFmt(h: Uint8Array): void {
    let tag = u16(h, 0);
    const channels = u16(h, 2);
    const sampleRate = u32(h, 4);
    const blockAlign = u16(h, 12);
    const bits = u16(h, 14);
    let validBits = bits;
    const extensible = tag === FORMAT_EXTENSIBLE;
    if (extensible) {
      if (h.length < 40 || u16(h, 16) < 22) throw invalid('Malformed WAV file: a WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes');
      validBits = u16(h, 18) || bits;
      tag = u16(h, 24);
      for (let i = 0; i < GUID_TAIL.length; i++) {
        if (h[26 + i] !== GUID_TAIL[i]) throw invalid('Unsupported WAV encoding: WAVE_FORMAT_EXTENSIBLE with a sub-format GUID that is not a standard format');
      }
    }
    this.#formatTag = tag;
    if (channels === 0) throw invalid('Malformed WAV file: the fmt chunk says 0 channels');
    if (sampleRate === 0) throw invalid('Malformed WAV file: the fmt chunk says a sample rate of 0');
    if (blockAlign === 0 || blockAlign % channels !== 0) {
      throw invalid(`Malformed WAV file: a block of ${blockAlign} bytes does not hold ${channels} channels`);
    }
    const containerBits = (blockAlign / channels) * 8;
    if (bits > containerBits || validBits > bits) {
      throw invalid(`Malformed WAV file: ${bits}-bit samples do not fit ${blockAlign / channels}-byte containers`);
    }
    let encoding: WavEncoding;
    if (tag === FORMAT_PCM) {
      const e = ({ 8: 'pcm_u8', 16: 'pcm_s16', 24: 'pcm_s24', 32: 'pcm_s32' } as const)[containerBits];
      if (!e) throw invalid(`Unsupported WAV encoding: ${containerBits}-bit integer PCM (8, 16, 24 and 32-bit are supported)`);
      encoding = e;
    } else if (tag === FORMAT_FLOAT) {
      const e = ({ 32: 'float32', 64: 'float64' } as const)[containerBits];
      if (!e) throw invalid(`Unsupported WAV encoding: ${containerBits}-bit float (32 and 64-bit are supported)`);
      encoding = e;
    } else if (tag === FORMAT_ALAW || tag === FORMAT_MULAW) {
      if (containerBits !== 8) throw invalid(`Unsupported WAV encoding: ${containerBits}-bit G.711 (expected 8-bit)`);
      encoding = tag === FORMAT_ALAW ? 'alaw' : 'mulaw';
    } else {
      const name = FORMAT_NAMES[tag];
      throw invalid(
        `Unsupported WAV encoding: format 0x${tag.toString(16).padStart(4, '0')}${name ? ` (${name})` : ''}; PCM, float, µ-law and A-law are supported`,
      );
    }
    if (this.#checkLimits) {
      if (sampleRate < 8000 || sampleRate > 192000) throw invalid(`Unsupported WAV file: a sample rate of ${sampleRate} Hz (8000 to 192000 Hz are supported)`);
      if (channels > 8) throw invalid(`Unsupported WAV file: ${channels} channels (1 to 8 are supported)`);
    }
    this.#format = {
      container: this.#container,
      formatTag: tag,
      extensible,
      encoding,
      channels,
      sampleRate,
      bitsPerSample: containerBits,
      validBitsPerSample: Math.min(validBits || containerBits, containerBits),
      blockAlign,
      dataBytes: null,
    };
  }

  #startData(size: number): void {
    if (!this.#format) {
      throw invalid(this.#formatTag === null ? 'Malformed WAV file: the data chunk comes before the fmt chunk' : 'Malformed WAV file');
    }
    let dataBytes: number | null = size;
    if (size === UNKNOWN_32) {
      // RF64/BW64 keep the real size in ds64; a pipe leaves it unknown.
      dataBytes = this.#container !== 'RIFF' && this.#ds64DataSize !== null && this.#ds64DataSize > 0 ? this.#ds64DataSize : null;
    } else if (size === 0) {
      // 0 is what some tools leave when they cannot seek back; it means empty
      // only when the RIFF size says the file ends right here.
      const riffEndsHere = this.#riffSize !== null && this.#riffSize + 8 <= this.#offset;
      dataBytes = riffEndsHere ? 0 : null;
    }
    const want = dataBytes ?? Number.POSITIVE_INFINITY;
    // sox's placeholder: read at most that much, but the audio may end before it.
    if (size === SOX_UNKNOWN) dataBytes = null;
    this.#format.dataBytes = dataBytes;
    this.#state = 'data';
    this.#want = want;
    if (dataBytes === 0) this.#state = 'trailer';
  }

  /** Decodes whole sample frames of `bytes` (with the carried partial frame before it); keeps the rest. */
  #decode(bytes: Uint8Array): PCMFrame | null {
    const fmt = this.#format!;
    const block = fmt.blockAlign;
    let src = bytes;
    if (this.#carry.length > 0) src = concat(this.#carry, bytes);
    const whole = src.length - (src.length % block);
    this.#carry = whole < src.length ? copyBytes(src.subarray(whole)) : new Uint8Array(0);
    if (whole === 0) return null;
    const data = decodeSamples(src.subarray(0, whole), fmt);
    return { data, sampleRate: fmt.sampleRate, channels: fmt.channels };
  }
}

function describeMagic(b: Uint8Array): string {
  const printable = Array.from(b.subarray(0, 4), (c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
  const hex = Array.from(b.subarray(0, 4), (c) => c.toString(16).padStart(2, '0')).join(' ');
  return `${JSON.stringify(printable)} (${hex})`;
}

/**
 * Decodes a whole WAV file held in memory. For files, prefer a streaming
 * {@link WavDecoder}.
 *
 * @example Decode a small WAV file
 * ```ts
 * const { format, frames } = decodeWav(new Uint8Array(await blob.arrayBuffer()));
 * console.log(format.sampleRate, frames.length);
 * ```
 */
export function decodeWav(bytes: Uint8Array, options?: WavDecoderOptions): { format: WavFormat; frames: PCMFrame[] } {
  const decoder = new WavDecoder(options);
  const frames = [...decoder.push(bytes), ...decoder.end()];
  return { format: decoder.format!, frames };
}
