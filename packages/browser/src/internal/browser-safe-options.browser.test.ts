import { describe, expect, test } from 'vitest';
import { browserSafeOptions, isLoopbackHost } from './browser-safe-options.ts';
import { blobSource, createTranscriber, mediaStreamSource, microphone } from '../index.ts';

describe('browserSafeOptions', () => {
  test('browserSafeOptions refuses apiKey without dangerouslyAllowBrowser', () => {
    expect(() => browserSafeOptions({ apiKey: 'ze_secret' })).toThrow(TypeError);
    expect(() => browserSafeOptions({ apiKey: 'ze_secret' })).toThrow(/`apiKey`.*dangerouslyAllowBrowser/);
    expect(() => browserSafeOptions({ apiKey: 'ze_secret', dangerouslyAllowBrowser: false })).toThrow(/`apiKey`/);
    // The message never holds the key.
    try { browserSafeOptions({ apiKey: 'ze_secret' }); } catch (err) { expect(String(err)).not.toContain('ze_secret'); }
  });

  test('browserSafeOptions sends an allowed apiKey as the subprotocol credential', () => {
    const out = browserSafeOptions({ apiKey: 'ze_key', dangerouslyAllowBrowser: true, url: 'wss://x.example/v1/stt/stream' }) as Record<string, unknown>;
    expect(out).toEqual({ token: 'ze_key', url: 'wss://x.example/v1/stt/stream' });
    expect(() => browserSafeOptions({ apiKey: 'a', token: 'b', dangerouslyAllowBrowser: true })).toThrow(/not both/);
  });

  test('browserSafeOptions refuses ws:// off loopback unless allowInsecure', () => {
    expect(() => browserSafeOptions({ url: 'ws://gateway.example/v1/stt/stream' })).toThrow(/`url`.*allowInsecure/);
    expect(() => browserSafeOptions({ url: 'http://10.0.0.2:8787/' })).toThrow(/`url`/);
    expect(browserSafeOptions({ url: 'ws://gateway.example/v1/stt/stream', allowInsecure: true })).toEqual({ url: 'ws://gateway.example/v1/stt/stream' });
    for (const url of ['ws://127.0.0.1:8787/s', 'ws://127.8.9.10/s', 'ws://localhost:1/s', 'ws://[::1]:9/s', 'wss://gateway.example/s']) {
      expect(browserSafeOptions({ url })).toEqual({ url });
    }
    expect(() => browserSafeOptions({ url: 'not a url' })).toThrow(/`url`/);
    expect(() => browserSafeOptions({ allowInsecure: 'yes' as unknown as boolean })).toThrow(/`allowInsecure`/);
  });

  test('isLoopbackHost knows 127.0.0.0/8, localhost and [::1] only', () => {
    for (const host of ['127.0.0.1', '127.255.255.254', 'localhost', 'LOCALHOST', 'app.localhost', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['128.0.0.1', '127.0.0.256', '127.0.0.1.evil.com', 'localhost.evil.com', '10.0.0.1', '[::2]', 'example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  test('an unknown option is a TypeError naming it (and the one meant), in every function of the package', () => {
    expect(() => createTranscriber({ model: 'm', token: 't', dangerouslyAllowbrowser: true } as never)).toThrow(
      new TypeError('Unknown option `dangerouslyAllowbrowser` for createTranscriber(); did you mean `dangerouslyAllowBrowser`?'),
    );
    expect(() => createTranscriber({ model: 'm', token: 't', baseUrl: 'wss://x.example' } as never)).toThrow(
      new TypeError('Unknown option `baseUrl` for createTranscriber(); did you mean `url`?'),
    );
    expect(() => microphone({ echoCancelation: false } as never)).toThrow(
      new TypeError('Unknown option `echoCancelation` for microphone(); did you mean `echoCancellation`?'),
    );
    const silent = new AudioContext().createMediaStreamDestination().stream;
    expect(() => mediaStreamSource(silent, { stopTrack: true } as never)).toThrow(
      new TypeError('Unknown option `stopTrack` for mediaStreamSource(); did you mean `stopTracks`?'),
    );
    expect(() => blobSource(new Blob([]), { rate: 16000 } as never)).toThrow(new TypeError('Unknown option `rate` for blobSource(); did you mean `sampleRate`?'));
  });
});
