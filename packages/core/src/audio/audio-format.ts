/**
 * Which audio container a file is, from its first bytes, and the formats the
 * gateway accepts.
 *
 * This module is browser compatible.
 *
 * @module
 */

/** A container {@link sniffAudioFormat} recognises. */
export type AudioFormatName = 'wav' | 'mp3' | 'ogg' | 'opus' | 'flac' | 'mp4' | 'm4a' | 'webm' | 'mkv' | 'aac';

/**
 * File extensions the gateway's batch endpoint accepts (docs/protocol.md,
 * "Batch"):
 * wav, mp3, m4a, mp4, webm, ogg, opus, flac.
 *
 * @example Check a name before uploading
 * ```ts
 * GATEWAY_AUDIO_EXTENSIONS.includes(fileExtension('talk.flac')); // true
 * ```
 */
export const GATEWAY_AUDIO_EXTENSIONS: readonly string[] = Object.freeze(['wav', 'mp3', 'm4a', 'mp4', 'webm', 'ogg', 'opus', 'flac']);

/**
 * How many leading bytes {@link sniffAudioFormat} looks at (more is ignored).
 *
 * @example Read just enough of a Blob
 * ```ts
 * const head = new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer());
 * ```
 */
export const SNIFF_BYTES = 4096;

const MIME_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  mp4: 'audio/mp4',
  webm: 'audio/webm',
  ogg: 'audio/ogg',
  opus: 'audio/ogg',
  flac: 'audio/flac',
};

function ascii(b: Uint8Array, at: number, length: number): string {
  let s = '';
  for (let i = at; i < at + length && i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

function indexOfAscii(b: Uint8Array, text: string, limit: number): number {
  const end = Math.min(b.length, limit) - text.length;
  outer: for (let i = 0; i <= end; i++) {
    for (let j = 0; j < text.length; j++) if (b[i + j] !== text.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** Whether four bytes at `at` are an MPEG-1/2/2.5 audio frame header (layers I–III). */
function isMpegAudioFrame(b: Uint8Array, at: number): boolean {
  if (at + 4 > b.length) return false;
  const b1 = b[at + 1]!;
  const b2 = b[at + 2]!;
  return (
    b[at] === 0xff &&
    (b1 & 0xe0) === 0xe0 &&
    (b1 & 0x18) !== 0x08 && // version: reserved
    (b1 & 0x06) !== 0x00 && // layer 00 is ADTS (AAC)
    (b2 & 0xf0) !== 0xf0 && // bitrate index 15 is invalid
    (b2 & 0x0c) !== 0x0c // sample-rate index 3 is reserved
  );
}

/**
 * Names the container of an audio file from its first bytes (magic numbers,
 * not the file name): `wav` (RIFF/RF64 WAVE), `mp3` (an ID3 tag or an MPEG
 * audio frame), `ogg` or `opus` (an Ogg stream, by its first packet),
 * `flac`, `m4a` or `mp4` (ISO BMFF by its brand), `webm` or `mkv`
 * (Matroska by its doctype), `aac` (ADTS). `null` when it is none of these.
 *
 * @param bytes - the file's first bytes; 64 are enough for most, up to {@link SNIFF_BYTES} help MP3 with tags
 * @example Pick a file name for an upload
 * ```ts
 * const format = sniffAudioFormat(new Uint8Array(await blob.slice(0, 64).arrayBuffer()));
 * const fileName = `audio.${format ?? 'wav'}`;
 * ```
 */
export function sniffAudioFormat(bytes: Uint8Array): AudioFormatName | null {
  const b = bytes;
  if (b.length < 4) return null;
  const magic = ascii(b, 0, 4);
  if ((magic === 'RIFF' || magic === 'RF64' || magic === 'BW64') && ascii(b, 8, 4) === 'WAVE') return 'wav';
  if (magic === 'fLaC') return 'flac';
  if (magic === 'OggS') {
    if (indexOfAscii(b, 'OpusHead', 64) !== -1) return 'opus';
    return 'ogg';
  }
  if (ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    return brand === 'M4A ' || brand === 'M4B ' || brand === 'M4P ' ? 'm4a' : 'mp4';
  }
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    return indexOfAscii(b, 'webm', 64) !== -1 ? 'webm' : 'mkv';
  }
  if (magic.startsWith('ID3')) return 'mp3';
  if (isMpegAudioFrame(b, 0)) return 'mp3';
  if (b[0] === 0xff && (b[1]! & 0xf6) === 0xf0) return 'aac';
  return null;
}

/**
 * The file extension of a name, lower-cased, without the dot (`''` when none).
 *
 * @example Lower-cased, without the dot
 * ```ts
 * fileExtension('Meeting.MP3'); // 'mp3'
 * ```
 */
export function fileExtension(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}

/**
 * The MIME type to upload a gateway format with (`audio/wav`, `audio/mpeg`, …);
 * `application/octet-stream` for anything else.
 *
 * @example The type of an upload
 * ```ts
 * audioMimeType('mp3'); // 'audio/mpeg'
 * ```
 */
export function audioMimeType(extension: string): string {
  return MIME_TYPES[extension.toLowerCase()] ?? 'application/octet-stream';
}
