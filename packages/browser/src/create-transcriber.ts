import { createTranscriber as createCoreTranscriber, type Transcriber, type TranscriberOptions } from '@stt-stream/core';
import { RECONNECT_OPTIONS, TRANSCRIBER_OPTIONS, checkOptionNames, optionNames } from '@stt-stream/core/internal';
import { browserSafeOptions, type BrowserSafetyOptions } from './internal/browser-safe-options.ts';

/**
 * Options of the browser {@link createTranscriber}: core's, plus two explicit risk switches.
 *
 * @example A local emulator over ws:// (loopback needs no switch)
 * ```ts
 * const options: BrowserTranscriberOptions = { url: 'ws://127.0.0.1:8787/v1/stt/stream', model: 'test', token: 'test-token' };
 * ```
 */
export interface BrowserTranscriberOptions extends TranscriberOptions {
  /**
   * Allow `apiKey` in a browser (it is then sent as the subprotocol
   * credential). Anyone who can open the page can read the key: prefer a
   * short-lived `token` from your own server.
   * @defaultValue false
   */
  dangerouslyAllowBrowser?: BrowserSafetyOptions['dangerouslyAllowBrowser'];
  /**
   * Allow `ws://` (or `http://`) to a host other than loopback (127.0.0.0/8,
   * `localhost`, `[::1]`): audio and credentials would travel unencrypted.
   * @defaultValue false
   */
  allowInsecure?: BrowserSafetyOptions['allowInsecure'];
}

/** The option names the browser {@link createTranscriber} takes: core's and the two switches. */
export const BROWSER_TRANSCRIBER_OPTIONS = optionNames<BrowserTranscriberOptions>()([
  ...(TRANSCRIBER_OPTIONS as readonly (keyof TranscriberOptions)[]),
  'dangerouslyAllowBrowser',
  'allowInsecure',
]);

/**
 * Core's `createTranscriber`, with the checks a web page needs: an `apiKey`
 * is refused unless `dangerouslyAllowBrowser: true` (then it travels as the
 * subprotocol credential, like a `token`), and `ws://` to a non-loopback host
 * is refused unless `allowInsecure: true`. Everything else is core's: the
 * `token` (a string, or a function called again for each connection) is sent
 * as the subprotocol pair `bearer`, `<token>`; `voiceActivity` detects speech
 * in the page and sends only speech, with `speech_started` and
 * `speech_ended` events (`source: 'client'`) in the transcript stream (its
 * detector is `@stt-stream/core/vad`, loaded on demand: a page that does not
 * turn it on never loads it).
 *
 * @param options - the transcriber options (see core's `TranscriberOptions`)
 * @returns a `TransformStream<PCMFrame, TranscriptEvent>` with lifecycle `events`
 * @throws TypeError for a refused, unknown or invalid option (naming it)
 *
 * @example Microphone to captions, with a token from your own server
 * ```ts
 * import { createTranscriber, microphone } from '@stt-stream/browser';
 *
 * const transcriber = createTranscriber({
 *   model: 'whisper-1',
 *   token: async () => (await (await fetch('/stt-token', { method: 'POST' })).json()).token,
 * });
 * transcriber.events.on('reconnecting', () => (status.textContent = 'reconnecting…'));
 * await microphone().pipeThrough(transcriber).pipeTo(new WritableStream({
 *   write(ev) { if (ev.type === 'final') captions.append(ev.text + ' '); },
 * }));
 * ```
 *
 * @example Send only speech, and show when the user speaks
 * ```ts
 * const transcriber = createTranscriber({ model: 'whisper-1', token: getToken, voiceActivity: true });
 * await microphone().pipeThrough(transcriber).pipeTo(new WritableStream({
 *   write(ev) {
 *     if (ev.type === 'speech_started' && ev.source === 'client') status.textContent = 'speaking…';
 *     else if (ev.type === 'speech_ended') status.textContent = '';
 *     else if (ev.type === 'final') captions.append(ev.text + ' ');
 *   },
 * }));
 * // transcriber.stats.sentSeconds, .skippedSeconds: audio sent, silence kept in the page
 * ```
 */
export function createTranscriber(options: BrowserTranscriberOptions): Transcriber {
  checkOptionNames(options, BROWSER_TRANSCRIBER_OPTIONS, 'createTranscriber()');
  checkOptionNames((options as { reconnect?: unknown } | null)?.reconnect, RECONNECT_OPTIONS, 'createTranscriber()', 'reconnect.');
  return createCoreTranscriber(browserSafeOptions(options));
}
