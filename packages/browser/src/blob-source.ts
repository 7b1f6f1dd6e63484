import { createSttError, type PCMFrame } from '@stt-stream/core';
import { checkOptionNames, frameMsOption, frameSamples, optionNames } from '@stt-stream/core/internal';

/**
 * Options of {@link blobSource}.
 *
 * @example Decode at 48 kHz in frames of 250 ms
 * ```ts
 * blobSource(file, { sampleRate: 48000, frameMs: 250 });
 * ```
 */
export interface BlobSourceOptions {
  /**
   * Duration of each frame in milliseconds, 10 to 1000: the same range and
   * default as every `frameMs` of the packages (the transcriber's included).
   * @defaultValue 100
   */
  frameMs?: number;
  /**
   * The rate to decode at (the Web Audio API resamples while decoding). Ignored
   * with `audioContext`: its rate is used.
   * @defaultValue 16000, the gateway's default wire rate
   */
  sampleRate?: number;
  /**
   * A context to decode with. When omitted, an `OfflineAudioContext` at
   * `sampleRate` is made for the job (no audio device is opened).
   */
  audioContext?: BaseAudioContext;
}

/** The option names {@link blobSource} takes. */
export const BLOB_SOURCE_OPTIONS: readonly string[] = optionNames<BlobSourceOptions>()(['frameMs', 'sampleRate', 'audioContext']);

/**
 * Decodes a Blob or File (any format the browser decodes: WAV, Ogg/Opus,
 * WebM, MP3, FLAC, …) with the Web Audio API and yields it as interleaved
 * Float32 PCMFrames, all channels kept. Frames are pulled: a slow consumer
 * holds only the decoded buffer, never a queue of frames.
 *
 * The stream errors with an `SttError` `decode_failed` when the browser
 * cannot decode the data, or `unsupported` where there is no Web Audio API.
 *
 * @param blob - the encoded audio
 * @param options - frame duration, decode rate or context
 * @throws TypeError or RangeError for an invalid argument (naming it)
 *
 * @example Transcribe a file the user picked
 * ```ts
 * input.onchange = async () => {
 *   await blobSource(input.files[0])
 *     .pipeThrough(createTranscriber({ model: 'whisper-1', token }))
 *     .pipeTo(new WritableStream({ write: (ev) => { if (ev.type === 'final') out.append(ev.text + ' '); } }));
 * };
 * ```
 */
export function blobSource(blob: Blob, options: BlobSourceOptions = {}): ReadableStream<PCMFrame> {
  if (typeof Blob === 'undefined' || !(blob instanceof Blob)) {
    throw new TypeError('Invalid argument `blob` of blobSource(): expected a Blob or File');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Invalid options of blobSource(): expected an object');
  }
  checkOptionNames(options, BLOB_SOURCE_OPTIONS, 'blobSource()');
  const { sampleRate, audioContext } = options;
  const frameMs = frameMsOption(options.frameMs);
  if (sampleRate !== undefined && !(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 192_000)) {
    throw new RangeError(`Invalid option \`sampleRate\` of blobSource(): expected an integer from 8000 to 192000, got ${String(sampleRate)}`);
  }
  if (audioContext !== undefined && (typeof audioContext !== 'object' || audioContext === null || typeof audioContext.decodeAudioData !== 'function')) {
    throw new TypeError('Invalid option `audioContext` of blobSource(): expected an AudioContext or OfflineAudioContext');
  }

  let decoded: AudioBuffer | undefined;
  let position = 0;
  let frameSize = 0;
  let channelData: Float32Array[] = [];

  return new ReadableStream<PCMFrame>(
    {
      async start() {
        let context: BaseAudioContext;
        try {
          context = audioContext ?? new OfflineAudioContext({ numberOfChannels: 1, length: 1, sampleRate: sampleRate ?? 16_000 });
        } catch (cause) {
          throw createSttError('unsupported', 'Cannot decode audio in blobSource(): this browser has no OfflineAudioContext', { cause });
        }
        const bytes = await blob.arrayBuffer();
        try {
          decoded = await context.decodeAudioData(bytes);
        } catch (cause) {
          throw createSttError(
            'decode_failed',
            `Cannot decode audio in blobSource(): the browser does not decode this ${blob.type || 'data'} (${bytes.byteLength} bytes)`,
            { cause, retryable: false },
          );
        }
        frameSize = frameSamples(decoded.sampleRate, frameMs);
        for (let c = 0; c < decoded.numberOfChannels; c++) channelData.push(decoded.getChannelData(c));
      },
      pull(controller) {
        const buffer = decoded!;
        if (position >= buffer.length) {
          channelData = [];
          controller.close();
          return;
        }
        const n = Math.min(frameSize, buffer.length - position);
        const channels = buffer.numberOfChannels;
        let data: Float32Array;
        if (channels === 1) data = channelData[0]!.slice(position, position + n);
        else {
          data = new Float32Array(n * channels);
          for (let c = 0; c < channels; c++) {
            const src = channelData[c]!;
            for (let i = 0; i < n; i++) data[i * channels + c] = src[position + i]!;
          }
        }
        position += n;
        controller.enqueue({ data, sampleRate: buffer.sampleRate, channels });
      },
      cancel() {
        channelData = [];
        decoded = undefined;
      },
    },
    { highWaterMark: 1 },
  );
}
