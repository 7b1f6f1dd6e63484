/**
 * @stt-stream/browser: real-time speech-to-text in web pages. The microphone,
 * any MediaStream and any Blob/File as `ReadableStream<PCMFrame>`, and core's
 * transcriber with the checks a page needs (no API key unless you say so, no
 * unencrypted socket off this machine). Everything of `@stt-stream/core` is
 * re-exported.
 *
 * @example Live captions
 * ```ts
 * import { createTranscriber, microphone } from '@stt-stream/browser';
 *
 * start.onclick = async () => {
 *   await microphone()
 *     .pipeThrough(createTranscriber({ model: 'whisper-1', token: getToken }))
 *     .pipeTo(new WritableStream({ write: (ev) => { if (ev.type === 'final') captions.append(ev.text + ' '); } }));
 * };
 * ```
 *
 * @module
 */
export * from '@stt-stream/core';
export { createTranscriber, type BrowserTranscriberOptions } from './create-transcriber.ts';
export { microphone, getUserMediaError, type MicrophoneOptions } from './microphone.ts';
export { mediaStreamSource, type MediaStreamSourceOptions } from './media-stream-source.ts';
export { blobSource, type BlobSourceOptions } from './blob-source.ts';
export type { AudioCapture, AudioCaptureOptions, DroppedAudio } from './audio-capture.ts';
export { PCM_CAPTURE_PROCESSOR, PCM_CAPTURE_WORKLET_SOURCE, addPcmCaptureWorklet } from './pcm-capture-worklet.ts';
export { isLoopbackHost } from './internal/browser-safe-options.ts';
