import { createSttError, type SttError } from '@stt-stream/core';
import { optionNames } from '@stt-stream/core/internal';
import { AUDIO_CAPTURE_OPTIONS, createAudioCapture, invalidOption, type AudioCapture, type AudioCaptureOptions } from './audio-capture.ts';

/**
 * Options of {@link microphone}: which device and its processing, plus the capture options.
 *
 * @example A chosen device with the browser's processing off
 * ```ts
 * const [input] = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audioinput');
 * microphone({ deviceId: input.deviceId, echoCancellation: false, noiseSuppression: false, autoGainControl: false });
 * ```
 */
export interface MicrophoneOptions extends AudioCaptureOptions {
  /** The input device (from `navigator.mediaDevices.enumerateDevices()`). @defaultValue the default input */
  deviceId?: string;
  /** @defaultValue the browser's default (on in Chromium) */
  echoCancellation?: boolean;
  /** @defaultValue the browser's default (on in Chromium) */
  noiseSuppression?: boolean;
  /** @defaultValue the browser's default (on in Chromium) */
  autoGainControl?: boolean;
}

/** The option names {@link microphone} takes. */
export const MICROPHONE_OPTIONS: readonly string[] = optionNames<MicrophoneOptions>()([...AUDIO_CAPTURE_OPTIONS, 'deviceId', 'echoCancellation', 'noiseSuppression', 'autoGainControl']);

/**
 * Captures the microphone as a `ReadableStream<PCMFrame>`: interleaved
 * Float32 frames at the AudioContext's rate, cut by an AudioWorklet shipped
 * in this package (no bundler configuration needed).
 *
 * Call it from a user gesture (a click handler), so that the AudioContext it
 * creates may start. If the reader falls behind by more than `maxQueuedMs`,
 * the oldest audio is dropped and reported (`onDrop`, `droppedMs`).
 * `cancel()` stops the tracks and closes the AudioContext it created.
 * To send only speech, pass `voiceActivity: true` to `createTranscriber`:
 * the detector runs on the transcriber's side, on any source.
 *
 * The stream errors with an `SttError`: `permission_denied` (the user or a
 * policy said no), `device_unavailable` (no such device, or it is busy),
 * `unsupported` (no `getUserMedia` or AudioWorklet: pages must be served from
 * https:// or http://localhost).
 *
 * @param options - device, processing and capture options
 * @returns the frames; also `audioContext`, `mediaStream`, `started`, `droppedMs`
 * @throws TypeError or RangeError for invalid options (naming the option)
 *
 * @example Live captions from the microphone
 * ```ts
 * import { createTranscriber, microphone } from '@stt-stream/browser';
 *
 * button.onclick = async () => {
 *   const mic = microphone({ echoCancellation: true, onDrop: (d) => console.warn('dropped', d.droppedMs, 'ms') });
 *   const transcriber = createTranscriber({ model: 'whisper-1', token: () => fetchToken() });
 *   stop.onclick = () => mic.stop(); // graceful: the last finals still come
 *   await mic.pipeThrough(transcriber).pipeTo(new WritableStream({
 *     write(ev) { if (ev.type === 'final') captions.append(ev.text + ' '); },
 *   }));
 * };
 * ```
 */
export function microphone(options: MicrophoneOptions = {}): AudioCapture {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Invalid options of microphone(): expected an object');
  }
  const { deviceId } = options;
  if (deviceId !== undefined && (typeof deviceId !== 'string' || deviceId === '')) {
    throw invalidOption('microphone', 'deviceId', 'a non-empty string');
  }
  const audio: MediaTrackConstraints = {};
  if (deviceId !== undefined) audio.deviceId = { exact: deviceId };
  for (const name of ['echoCancellation', 'noiseSuppression', 'autoGainControl'] as const) {
    const value = options[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw invalidOption('microphone', name, 'a boolean');
    audio[name] = value;
  }
  if (options.channels !== undefined) audio.channelCount = { ideal: options.channels };

  return createAudioCapture(
    {
      name: 'microphone',
      options: MICROPHONE_OPTIONS,
      ownsTracks: true,
      async acquire() {
        const devices = (globalThis.navigator as Navigator | undefined)?.mediaDevices;
        if (!devices || typeof devices.getUserMedia !== 'function') {
          throw createSttError(
            'unsupported',
            'Cannot open the microphone: navigator.mediaDevices.getUserMedia is missing (pages must be served from https:// or http://localhost)',
          );
        }
        try {
          return await devices.getUserMedia({ audio: Object.keys(audio).length > 0 ? audio : true, video: false });
        } catch (err) {
          throw getUserMediaError(err);
        }
      },
    },
    options,
  );
}

/**
 * Maps a `getUserMedia` rejection to an SttError with a stable code.
 *
 * @example A denied permission
 * ```ts
 * getUserMediaError(new DOMException('denied', 'NotAllowedError')).code; // 'permission_denied'
 * ```
 */
export function getUserMediaError(err: unknown): SttError {
  const name = (err as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return createSttError('permission_denied', 'Cannot open the microphone: permission was denied', { cause: err, retryable: false });
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return createSttError('device_unavailable', 'Cannot open the microphone: no input device matches', { cause: err, retryable: false });
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return createSttError('device_unavailable', 'Cannot open the microphone: the device could not be started (in use elsewhere?)', { cause: err, retryable: true });
    default:
      return createSttError('device_unavailable', `Cannot open the microphone: ${String(err)}`, { cause: err, retryable: false });
  }
}
