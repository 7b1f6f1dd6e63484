/**
 * A stream stage from G.711 bytes (telephony's µ-law and A-law) to
 * {@link PCMFrame}s.
 *
 * This module is browser compatible: no I/O, no runtime specifics.
 *
 * @module
 */
import { describeValue, kindOf } from './describe-value.ts';
import { checkOptionNames, optionNames } from '../known-options.ts';
import type { PCMFrame } from '../types.ts';
import { decodeAlaw, decodeMulaw, g711Bytes } from './g711.ts';

/** Options of {@link g711Decoder}. */
export interface G711DecoderOptions {
  /** The companding law: `mulaw` (North America, Japan; Twilio) or `alaw` (everywhere else). */
  law: 'mulaw' | 'alaw';
  /**
   * Samples per second per channel of the bytes: an integer from 8000 to
   * 192000 (telephony is 8000).
   * @defaultValue 8000
   */
  sampleRate?: number;
  /**
   * Interleaved channels of the bytes (one byte per sample): each chunk must
   * then hold a whole number of sample frames.
   * @defaultValue 1
   */
  channels?: 1 | 2;
}

/** The option names {@link g711Decoder} takes. */
export const G711_DECODER_OPTIONS: readonly string[] = optionNames<G711DecoderOptions>()(['law', 'sampleRate', 'channels']);

const MIN_RATE = 8000;
const MAX_RATE = 192000;

/**
 * Creates a `TransformStream` that decodes G.711 bytes (one sample per
 * byte, channels interleaved) into {@link PCMFrame}s of `Int16Array`
 * samples, one frame per chunk, with the same tables as ITU-T G.711 and sox.
 * Put it in front of a transcriber to feed it a phone call's media stream,
 * which comes as 20 ms packets of 160 bytes at 8 kHz. When packets are
 * pushed to you (a media-stream server's message handler) rather than read
 * from a stream, decode each with {@link decodeMulaw} or {@link decodeAlaw}
 * and write the frame straight into the transcriber: in Node that saves a
 * pipe hop per packet.
 *
 * Chunks are `Uint8Array`s (a Node `Buffer` is one) or `ArrayBuffer`s;
 * an empty chunk gives no frame. Chunks are decoded as they come: a packet
 * is never held back waiting for the next.
 *
 * @param options The law, sample rate and channel count of the bytes.
 * @returns A `TransformStream<Uint8Array | ArrayBuffer, PCMFrame>`.
 * @throws TypeError when `options` is not an object or `law` is not `mulaw`
 *   or `alaw`; RangeError for a `sampleRate` or `channels` out of range.
 *   The stream fails with a TypeError on a chunk that is not bytes, and
 *   with a RangeError on a stereo chunk of an odd number of bytes.
 *
 * @example Transcribe a phone call's µ-law packets
 * ```ts
 * import { createTranscriber, g711Decoder } from '@stt-stream/core';
 *
 * declare const packets: ReadableStream<Uint8Array>; // 20 ms of 8 kHz µ-law each
 * const model = 'whisper-1';
 * const events = packets
 *   .pipeThrough(g711Decoder({ law: 'mulaw' }))
 *   .pipeThrough(createTranscriber({ model, sampleRate: 8000 }));
 * for await (const ev of events) if (ev.type === 'final') console.log(ev.text);
 * ```
 */
export function g711Decoder(options: G711DecoderOptions): TransformStream<Uint8Array | ArrayBuffer, PCMFrame> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`Invalid options: expected an object { law, sampleRate?, channels? }, got ${kindOf(options)}`);
  }
  checkOptionNames(options, G711_DECODER_OPTIONS, 'g711Decoder()');
  const { law, sampleRate = 8000, channels = 1 } = options;
  if (law !== 'mulaw' && law !== 'alaw') {
    throw new TypeError(`Invalid option \`law\`: must be 'mulaw' or 'alaw', got ${describeValue(law)}`);
  }
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate < MIN_RATE || sampleRate > MAX_RATE) {
    throw new RangeError(`Invalid option \`sampleRate\`: must be an integer from ${MIN_RATE} to ${MAX_RATE}, got ${describeValue(sampleRate)}`);
  }
  if (channels !== 1 && channels !== 2) {
    throw new RangeError(`Invalid option \`channels\`: must be 1 or 2, got ${describeValue(channels)}`);
  }
  const decode = law === 'mulaw' ? decodeMulaw : decodeAlaw;
  return new TransformStream<Uint8Array | ArrayBuffer, PCMFrame>({
    transform(chunk, controller) {
      const bytes = g711Bytes(chunk);
      if (bytes === null) throw new TypeError(`Invalid chunk: expected a Uint8Array or ArrayBuffer of G.711 bytes, got ${kindOf(chunk)}`);
      if (bytes.length % channels !== 0) {
        throw new RangeError(`Invalid chunk: ${bytes.length} bytes is not a whole number of ${channels}-channel samples (${channels} bytes each)`);
      }
      if (bytes.length === 0) return;
      controller.enqueue({ data: decode(bytes), sampleRate, channels });
    },
  });
}
