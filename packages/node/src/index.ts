/**
 * @stt-stream/node: everything of `@stt-stream/core`, plus what Node adds:
 * file and microphone sources, Node stream interop, the `ws` transport (so
 * the `Authorization` header is sent, on Node 20 too), and `transcribeFile`.
 *
 * @module
 */
import { createTranscriber as createCoreTranscriber, type Transcriber, type TranscriberOptions } from '@stt-stream/core';
import { checkTranscriberOptions } from '@stt-stream/core/internal';
import { createWsTransport } from './ws-transport.ts';

export * from '@stt-stream/core';
export type { WsTransportOptions } from './ws-transport.ts';
export { createWsTransport } from './ws-transport.ts';
export { fileSource, ffmpegAvailable, FFMPEG_INSTALL_HINT, type FileSourceOptions } from './file-source.ts';
export { fromNodeReadable, toNodeReadable, type FromNodeReadableOptions } from './node-readable.ts';
export { microphone, recorderArgs, type MicrophoneOptions, type RecorderName } from './microphone.ts';
export { transcribeFile, transcribeFrames, collectFinals, streamUrlFor, type TranscribeFileOptions, type TranscribeFramesOptions } from './transcribe-file.ts';
export { toSrt, type SubtitleOptions } from './srt-writer.ts';
export { toWebVtt } from './webvtt-writer.ts';

/**
 * Creates a streaming transcriber, as `@stt-stream/core`'s
 * `createTranscriber` does, but over the `ws` transport by default
 * ({@link createWsTransport}): the `Authorization` header is sent, a refused
 * upgrade's status and error envelope are read, and Node 20 (which has no
 * global `WebSocket`) works. Pass `transport` to choose another.
 *
 * @param options - see `TranscriberOptions`
 * @throws TypeError for an unknown option (naming it and, for a near miss, the right one) or a bad value
 * @example Transcribe a WAV file live
 * ```ts
 * import { createTranscriber, fileSource } from '@stt-stream/node';
 * const transcriber = createTranscriber({ model: 'whisper-1', apiKey: process.env.STT_STREAM_API_KEY });
 * for await (const ev of fileSource('call.wav').pipeThrough(transcriber)) {
 *   if (ev.type === 'final') console.log(ev.text);
 * }
 * ```
 */
export function createTranscriber(options: TranscriberOptions): Transcriber {
  checkTranscriberOptions(options);
  if (typeof options === 'object' && options !== null && options.transport === undefined) {
    return createCoreTranscriber({ ...options, transport: createWsTransport() });
  }
  return createCoreTranscriber(options);
}
