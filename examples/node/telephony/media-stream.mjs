// The Twilio Media Streams message format, read strictly, and the track
// interleaver that turns a call's inbound and outbound packets into one
// stereo G.711 stream on the call's own clock.
//
// Pure: no I/O. Every problem is an SttError with code `invalid_input` and
// `param` naming the field, so one call's bad message fails that call only.
import { SttError } from '@stt-stream/node';

/** The tracks a media stream may carry, in channel order: the caller on 0, the agent on 1. */
export const TRACKS = /** @type {const} */ (['inbound', 'outbound']);

/** Events of Twilio's format that carry nothing to transcribe: accepted and ignored. */
const IGNORED_EVENTS = new Set(['mark', 'dtmf']);

/** Encodings of `start.mediaFormat.encoding` and the law each is. */
const ENCODINGS = { 'audio/x-mulaw': 'mulaw', 'audio/x-alaw': 'alaw' };

/** Every media message holds this much audio. */
export const PACKET_MS = 20;

/** A timestamp further than this ahead of its track's audio is not a gap in the audio but a broken clock. */
const MAX_GAP_MS = 60_000;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * @param {string} message
 * @param {string} param
 */
export function invalid(message, param) {
  return new SttError('invalid_input', message, { param, retryable: false });
}

const kindOf = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A non-negative integer, as Twilio sends them (decimal strings) or as a number. */
function integer(value, param) {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw invalid(`\`${param}\` must be a non-negative integer (or a string of one), got ${JSON.stringify(value) ?? kindOf(value)}`, param);
  }
  return n;
}

function string(value, param) {
  if (typeof value !== 'string' || value.length === 0) throw invalid(`\`${param}\` must be a non-empty string, got ${JSON.stringify(value) ?? kindOf(value)}`, param);
  return value;
}

function object(value, param) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(`\`${param}\` must be an object, got ${kindOf(value)}`, param);
  return value;
}

/**
 * Reads one text message of a media stream.
 *
 * @param {string} text
 * @returns {{ event: 'connected' } | { event: 'ignored', name: string }
 *   | { event: 'start', callSid: string, streamSid: string, tracks: ('inbound'|'outbound')[], law: 'mulaw'|'alaw', sampleRate: number }
 *   | { event: 'media', track: string, chunk: number, timestamp: number, payload: string }
 *   | { event: 'stop' }}
 * @throws SttError `invalid_input` (with `param`) for anything that is not a message of the format
 */
export function parseMessage(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    throw invalid('A media stream message is not valid JSON', 'message');
  }
  object(msg, 'message');
  const event = msg.event;
  if (typeof event !== 'string') throw invalid(`A media stream message has no string \`event\` (got ${kindOf(event)})`, 'event');
  switch (event) {
    case 'connected':
      return { event };
    case 'start': {
      const start = object(msg.start, 'start');
      const callSid = string(start.callSid, 'start.callSid');
      const streamSid = string(start.streamSid ?? msg.streamSid, 'start.streamSid');
      const tracks = start.tracks ?? ['inbound'];
      if (!Array.isArray(tracks) || tracks.length === 0 || tracks.length > 2 || new Set(tracks).size !== tracks.length || !tracks.every((t) => TRACKS.includes(t))) {
        throw invalid(`\`start.tracks\` must list 'inbound' and/or 'outbound' once each, got ${JSON.stringify(tracks)}`, 'start.tracks');
      }
      const format = object(start.mediaFormat, 'start.mediaFormat');
      const law = ENCODINGS[format.encoding];
      if (!law) throw invalid(`Unsupported \`start.mediaFormat.encoding\` ${JSON.stringify(format.encoding)}: audio/x-mulaw and audio/x-alaw are supported`, 'start.mediaFormat.encoding');
      const sampleRate = integer(format.sampleRate, 'start.mediaFormat.sampleRate');
      if (sampleRate !== 8000) throw invalid(`Unsupported \`start.mediaFormat.sampleRate\` ${sampleRate}: G.711 is 8000 Hz`, 'start.mediaFormat.sampleRate');
      if (format.channels !== undefined && integer(format.channels, 'start.mediaFormat.channels') !== 1) {
        throw invalid(`Unsupported \`start.mediaFormat.channels\` ${format.channels}: each track is mono`, 'start.mediaFormat.channels');
      }
      // Channel order is fixed whatever the order of the list: inbound (caller) 0, outbound 1.
      return { event, callSid, streamSid, tracks: TRACKS.filter((t) => tracks.includes(t)), law, sampleRate };
    }
    case 'media': {
      const media = object(msg.media, 'media');
      const track = media.track ?? 'inbound';
      if (typeof track !== 'string') throw invalid(`\`media.track\` must be a string, got ${kindOf(track)}`, 'media.track');
      const payload = media.payload;
      if (typeof payload !== 'string') throw invalid(`\`media.payload\` must be a base64 string, got ${kindOf(payload)}`, 'media.payload');
      return { event, track, chunk: integer(media.chunk, 'media.chunk'), timestamp: integer(media.timestamp, 'media.timestamp'), payload };
    }
    case 'stop':
      return { event };
    default:
      if (IGNORED_EVENTS.has(event)) return { event: 'ignored', name: event };
      throw invalid(`Unknown event ${JSON.stringify(event.slice(0, 40))}: expected connected, start, media, stop (or mark, dtmf)`, 'event');
  }
}

/**
 * Decodes a media payload: strict base64 of exactly one 20 ms packet.
 *
 * @param {string} payload
 * @param {number} packetBytes
 * @returns {Buffer}
 */
export function decodePayload(payload, packetBytes) {
  // Buffer.from(…, 'base64') skips what is not base64: check first, so garbage is an error, not noise.
  if (!BASE64.test(payload)) throw invalid('`media.payload` is not base64', 'media.payload');
  const bytes = Buffer.from(payload, 'base64');
  if (bytes.length !== packetBytes) {
    throw invalid(`\`media.payload\` holds ${bytes.length} bytes; a ${PACKET_MS} ms packet is ${packetBytes}`, 'media.payload');
  }
  return bytes;
}

/**
 * Lays a call's tracks side by side on the call's clock (`media.timestamp`,
 * milliseconds from the start of the stream) and hands out interleaved
 * G.711 bytes, channel `i` being `tracks[i]`:
 *
 * - a packet goes where its timestamp says; when it is within a packet of
 *   where its track's audio ends, right after it (timestamps jitter), and a
 *   later timestamp leaves silence in between (a track that sent nothing);
 * - audio comes out as soon as every track has it, so tracks that arrive
 *   together leave together;
 * - a track that falls more than `maxSkewMs` behind the other is filled with
 *   silence up to there (a caller is not kept waiting for a track that went
 *   quiet); what it sends later for that span is dropped, counted in
 *   `droppedSamples`.
 *
 * One track is the same without the waiting.
 */
export class TrackInterleaver {
  /**
   * @param {{ tracks: readonly string[], law: 'mulaw' | 'alaw', sampleRate: number, maxSkewMs?: number, planar?: boolean }} options
   *   `planar`: hand out each aligned stretch as one byte array per track (for a session per track)
   *   instead of the tracks interleaved.
   */
  constructor({ tracks, law, sampleRate, maxSkewMs = 200, planar = false }) {
    this.tracks = tracks;
    this.planar = planar;
    this.silence = law === 'mulaw' ? 0xff : 0xd5;
    this.rate = sampleRate;
    this.packet = (sampleRate * PACKET_MS) / 1000;
    this.maxSkew = Math.round((sampleRate * maxSkewMs) / 1000);
    /** Sample position (per channel) handed out so far. */
    this.emitted = 0;
    this.droppedSamples = 0;
    /** Per track: bytes from `emitted` on, and how many of them are filled. */
    this.pending = tracks.map(() => ({ bytes: new Uint8Array(this.maxSkew + 4 * this.packet), length: 0 }));
  }

  /**
   * Places one packet. Returns the interleaved bytes it completed (possibly none).
   *
   * @param {string} track
   * @param {number} timestamp milliseconds on the call's clock
   * @param {Uint8Array} bytes one packet
   * @returns {Uint8Array[]}
   */
  push(track, timestamp, bytes) {
    const index = this.tracks.indexOf(track);
    if (index < 0) throw invalid(`\`media.track\` ${JSON.stringify(track)} is not one of this stream's tracks (${this.tracks.join(', ')})`, 'media.track');
    const p = this.pending[index];
    const end = this.emitted + p.length;
    const at = Math.round((timestamp * this.rate) / 1000);
    if (at - end > (MAX_GAP_MS * this.rate) / 1000) {
      throw invalid(`\`media.timestamp\` ${timestamp} jumps more than ${MAX_GAP_MS / 1000} s past the ${track} track's audio`, 'media.timestamp');
    }
    const out = [];
    let data = bytes;
    if (at > end + this.packet) {
      // A gap: the track sent nothing for a while. Silence up to the packet,
      // in steps (handing out what becomes complete) so the buffer stays small.
      while (this.emitted + p.length < at) {
        const room = p.bytes.length - p.length;
        if (room === 0) {
          out.push(...this.#drain(false, true));
          continue;
        }
        const fill = Math.min(at - this.emitted - p.length, room);
        p.bytes.fill(this.silence, p.length, p.length + fill);
        p.length += fill;
        out.push(...this.#drain(false));
      }
    } else if (at < end - this.packet) {
      // Late: the span up to `end` is there already (or went out as silence
      // when this track fell behind). The rest goes where it belongs, at `end`.
      const late = Math.min(end - at, data.length);
      this.droppedSamples += late;
      data = data.subarray(late);
    }
    // Otherwise in sequence, give or take a packet of jitter: right after what is there.
    this.#append(p, data, out);
    out.push(...this.#drain(false));
    return out;
  }

  /** The rest, every track filled with silence to the longest: the stream ended. */
  flush() {
    return this.#drain(true);
  }

  #append(p, data, out) {
    let from = 0;
    while (from < data.length) {
      if (p.length === p.bytes.length) out.push(...this.#drain(false, true));
      const n = Math.min(data.length - from, p.bytes.length - p.length);
      p.bytes.set(data.subarray(from, from + n), p.length);
      p.length += n;
      from += n;
    }
  }

  /**
   * Hands out what every track has; with `all` (or a track past the skew
   * limit, or a full buffer), fills the others with silence first.
   */
  #drain(all, full = false) {
    const lengths = this.pending.map((p) => p.length);
    const longest = Math.max(...lengths);
    let n = Math.min(...lengths);
    if (all) n = longest;
    else if (longest - n > this.maxSkew || full) n = Math.max(n, full ? longest : longest - this.maxSkew);
    if (n === 0) return [];
    const channels = this.pending.length;
    if (this.planar) {
      const out = this.pending.map((p) => {
        const have = Math.min(p.length, n);
        const own = new Uint8Array(n);
        own.set(p.bytes.subarray(0, have));
        own.fill(this.silence, have);
        p.bytes.copyWithin(0, have, p.length);
        p.length -= have;
        return own;
      });
      this.emitted += n;
      return [out];
    }
    const out = new Uint8Array(n * channels);
    this.pending.forEach((p, c) => {
      const have = Math.min(p.length, n);
      if (channels === 1) out.set(p.bytes.subarray(0, have));
      else for (let i = 0; i < have; i++) out[i * channels + c] = p.bytes[i];
      for (let i = have; i < n; i++) out[i * channels + c] = this.silence;
      p.bytes.copyWithin(0, have, p.length);
      p.length -= have;
    });
    this.emitted += n;
    return [out];
  }
}
