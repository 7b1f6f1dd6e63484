/**
 * Node stream interop: raw PCM from any Node `Readable` into a
 * `ReadableStream<PCMFrame>`, and any web `ReadableStream` back into an
 * object-mode Node `Readable`.
 *
 * @module
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebReadableStream } from 'node:stream/web';
import { SttError, type PCMFrame } from '@stt-stream/core';
import { checkOptionNames, optionNames } from '@stt-stream/core/internal';

/** Options for {@link fromNodeReadable}. */
export interface FromNodeReadableOptions {
  /** Samples per second per channel (8000 to 192000). */
  sampleRate: number;
  /** Interleaved channels (1 to 8). */
  channels: number;
  /** How the bytes hold samples: signed 16-bit or 32-bit float, little-endian. */
  encoding: 's16le' | 'f32le';
}

/** The option names {@link fromNodeReadable} takes. */
export const FROM_NODE_READABLE_OPTIONS: readonly string[] = optionNames<FromNodeReadableOptions>()(['sampleRate', 'channels', 'encoding']);

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Checks {@link FromNodeReadableOptions}; throws TypeError/RangeError naming the field. */
function checkPcmOptions(options: FromNodeReadableOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Invalid options: expected { sampleRate, channels, encoding }');
  }
  const { sampleRate, channels, encoding } = options;
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate)) {
    throw new TypeError(`Invalid option \`sampleRate\`: expected an integer, got ${String(sampleRate)}`);
  }
  if (sampleRate < 8000 || sampleRate > 192000) {
    throw new RangeError(`Invalid option \`sampleRate\`: must be from 8000 to 192000, got ${sampleRate}`);
  }
  if (typeof channels !== 'number' || !Number.isInteger(channels)) {
    throw new TypeError(`Invalid option \`channels\`: expected an integer, got ${String(channels)}`);
  }
  if (channels < 1 || channels > 8) throw new RangeError(`Invalid option \`channels\`: must be from 1 to 8, got ${channels}`);
  if (encoding !== 's16le' && encoding !== 'f32le') {
    throw new TypeError(`Invalid option \`encoding\`: expected 's16le' or 'f32le', got ${JSON.stringify(encoding)}`);
  }
}

/**
 * Cuts raw little-endian PCM bytes, arriving in chunks of any size, into
 * frames of whole sample frames. Not exported from the package:
 * {@link fromNodeReadable} and the microphone use it.
 *
 * @example
 * ```ts
 * const d = new PcmBytesDecoder({ sampleRate: 16000, channels: 1, encoding: 's16le' });
 * d.push(new Uint8Array([1, 0, 2])); // { data: Int16Array [1], … }; the odd byte waits
 * d.end(); // throws: 1 stray byte
 * ```
 */
export class PcmBytesDecoder {
  readonly #options: FromNodeReadableOptions;
  readonly #block: number;
  #carry: Uint8Array = new Uint8Array(0);

  constructor(options: FromNodeReadableOptions) {
    checkPcmOptions(options);
    this.#options = options;
    this.#block = (options.encoding === 's16le' ? 2 : 4) * options.channels;
  }

  push(chunk: Uint8Array): PCMFrame | null {
    let src = chunk;
    if (this.#carry.length > 0) {
      src = new Uint8Array(this.#carry.length + chunk.length);
      src.set(this.#carry, 0);
      src.set(chunk, this.#carry.length);
    }
    const whole = src.length - (src.length % this.#block);
    // Copied: a Buffer's `slice` is a view of memory the stream may reuse.
    this.#carry = new Uint8Array(src.subarray(whole));
    if (whole === 0) return null;
    // A fresh, aligned copy: Node's Buffers share pooled memory at odd offsets.
    const bytes = new Uint8Array(whole);
    bytes.set(src.subarray(0, whole));
    const { sampleRate, channels, encoding } = this.#options;
    let data: Int16Array | Float32Array;
    if (LITTLE_ENDIAN) data = encoding === 's16le' ? new Int16Array(bytes.buffer) : new Float32Array(bytes.buffer);
    else {
      const view = new DataView(bytes.buffer);
      if (encoding === 's16le') {
        data = new Int16Array(whole / 2);
        for (let i = 0; i < data.length; i++) data[i] = view.getInt16(i * 2, true);
      } else {
        data = new Float32Array(whole / 4);
        for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(i * 4, true);
      }
    }
    return { data, sampleRate, channels };
  }

  /** @throws SttError `invalid_input` when the input ended inside a sample frame */
  end(): void {
    if (this.#carry.length > 0) {
      const n = this.#carry.length;
      this.#carry = new Uint8Array(0);
      throw new SttError(
        'invalid_input',
        `Raw PCM ended in the middle of a sample frame: ${n} stray bytes (a frame is ${this.#block} bytes: ${this.#options.channels} × ${this.#options.encoding})`,
        { retryable: false },
      );
    }
  }
}

/**
 * Reads raw PCM (signed 16-bit or 32-bit float, little-endian, channels
 * interleaved) from a Node `Readable` (a socket, a child process's stdout, a
 * telephony bridge) as a `ReadableStream<PCMFrame>`. Reads only as fast as
 * the consumer pulls. A sample frame split across chunks is carried over;
 * input that ends inside one errors the stream (`invalid_input`) rather than
 * dropping the bytes. Cancelling destroys the Node stream.
 *
 * @param readable - a byte-mode Node `Readable`
 * @param options - sample rate, channels and encoding of the bytes
 * @throws TypeError or RangeError naming a bad option
 * @example Transcribe a raw PCM socket
 * ```ts
 * const socket = net.connect(9000, 'pbx.local');
 * const frames = fromNodeReadable(socket, { sampleRate: 8000, channels: 1, encoding: 's16le' });
 * for await (const ev of frames.pipeThrough(createTranscriber({ model: 'whisper-1', apiKey }))) console.log(ev);
 * ```
 */
export function fromNodeReadable(readable: NodeJS.ReadableStream | Readable, options: FromNodeReadableOptions): ReadableStream<PCMFrame> {
  if (typeof readable !== 'object' || readable === null || typeof (readable as Readable)[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('Invalid argument `readable`: expected a Node.js Readable stream');
  }
  checkOptionNames(options, FROM_NODE_READABLE_OPTIONS, 'fromNodeReadable()');
  const decoder = new PcmBytesDecoder(options);
  const iterator = (readable as Readable)[Symbol.asyncIterator]() as AsyncIterator<unknown>;
  return new ReadableStream<PCMFrame>(
    {
      async pull(controller) {
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            decoder.end();
            controller.close();
            return;
          }
          const chunk = next.value;
          if (!(chunk instanceof Uint8Array)) {
            throw new TypeError(`Cannot read PCM: the Readable gave a ${typeof chunk}, not bytes (is it in object or string mode?)`);
          }
          const frame = decoder.push(chunk);
          if (frame) {
            controller.enqueue(frame);
            return;
          }
        }
      },
      async cancel(reason) {
        (readable as Readable).destroy?.();
        await iterator.return?.(reason);
      },
    },
    { highWaterMark: 1 },
  );
}

/**
 * Turns a web `ReadableStream` (of transcript events, frames, anything) into
 * an object-mode Node `Readable`, for Node pipelines and libraries that want
 * one. Destroying the Readable cancels the stream.
 *
 * @example Write finals as JSON lines with Node's pipeline
 * ```ts
 * const events = fileSource('call.wav').pipeThrough(createTranscriber({ model: 'whisper-1', apiKey }));
 * await pipeline(
 *   toNodeReadable(events),
 *   async function* (source) { for await (const ev of source) if (ev.type === 'final') yield JSON.stringify(ev) + '\n'; },
 *   fs.createWriteStream('finals.jsonl'),
 * );
 * ```
 */
export function toNodeReadable<T>(stream: ReadableStream<T>): Readable {
  if (typeof stream !== 'object' || stream === null || typeof (stream as ReadableStream<T>).getReader !== 'function') {
    throw new TypeError('Invalid argument `stream`: expected a ReadableStream');
  }
  return Readable.fromWeb(stream as unknown as NodeWebReadableStream<T>, { objectMode: true });
}
