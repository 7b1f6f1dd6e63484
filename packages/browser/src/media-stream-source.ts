import { optionNames } from '@stt-stream/core/internal';
import { AUDIO_CAPTURE_OPTIONS, createAudioCapture, invalidOption, type AudioCapture, type AudioCaptureOptions } from './audio-capture.ts';

/**
 * Options of {@link mediaStreamSource}.
 *
 * @example Stop the tab's screen-share audio when done
 * ```ts
 * const source = mediaStreamSource(await navigator.mediaDevices.getDisplayMedia({ audio: true }), { stopTracks: true });
 * ```
 */
export interface MediaStreamSourceOptions extends AudioCaptureOptions {
  /**
   * Whether `cancel()` also stops the stream's tracks. The stream is yours, so by default they keep running.
   * @defaultValue false
   */
  stopTracks?: boolean;
}

/** The option names {@link mediaStreamSource} takes. */
export const MEDIA_STREAM_SOURCE_OPTIONS: readonly string[] = optionNames<MediaStreamSourceOptions>()([...AUDIO_CAPTURE_OPTIONS, 'stopTracks']);

/**
 * Reads the audio of any MediaStream (a WebRTC call, `video.captureStream()`,
 * a screen share with audio) as a `ReadableStream<PCMFrame>`, through the same
 * worklet and bounded queue as {@link microphone}. The stream closes when all
 * its audio tracks end. As with the microphone, `voiceActivity: true` on the
 * transcriber sends only the speech of it.
 *
 * @param stream - a MediaStream with at least one audio track
 * @param options - capture options; `stopTracks` to stop the tracks on cancel
 * @throws TypeError if `stream` is not a MediaStream with an audio track
 *
 * @example Transcribe the remote side of a WebRTC call
 * ```ts
 * pc.ontrack = ({ streams: [remote] }) => {
 *   mediaStreamSource(remote).pipeThrough(createTranscriber({ model: 'whisper-1', token, voiceActivity: true })).pipeTo(captionsSink);
 * };
 * ```
 */
export function mediaStreamSource(stream: MediaStream, options: MediaStreamSourceOptions = {}): AudioCapture {
  if (typeof stream !== 'object' || stream === null || typeof (stream as MediaStream).getAudioTracks !== 'function') {
    throw new TypeError('Invalid argument `stream` of mediaStreamSource(): expected a MediaStream');
  }
  if (stream.getAudioTracks().length === 0) {
    throw new TypeError('Invalid argument `stream` of mediaStreamSource(): the MediaStream has no audio track');
  }
  if (options.stopTracks !== undefined && typeof options.stopTracks !== 'boolean') {
    throw invalidOption('mediaStreamSource', 'stopTracks', 'a boolean');
  }
  return createAudioCapture({ name: 'mediaStreamSource', options: MEDIA_STREAM_SOURCE_OPTIONS, ownsTracks: options.stopTracks ?? false, acquire: async () => stream }, options);
}
