import { describe, expect, it } from 'vitest';
import { checkOptionNames, suggestOption } from './known-options.ts';
import { checkTranscriberOptions, TRANSCRIBER_OPTIONS } from './transcriber/options.ts';
import { transcribe } from './batch/transcribe.ts';
import { createWebSocketTransport } from './websocket-transport.ts';
import { g711Decoder } from './audio/g711-decoder.ts';
import { WavDecoder } from './audio/wav-decoder.ts';
import { WireConverter } from './audio/wire-converter.ts';
import { Resampler } from './audio/resampler.ts';

// Unknown options are errors: the messages a JavaScript user reads for a
// misspelt option, in core's public functions.

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
};

describe('known options', () => {
  it('suggestOption - case and spelling, synonyms, near misses; nothing for a name far from all', () => {
    expect(suggestOption('baseURL', ['model', 'url', 'baseUrl'])).toBe('baseUrl');
    expect(suggestOption('api_key', ['model', 'apiKey'])).toBe('apiKey');
    expect(suggestOption('APIKEY', ['model', 'apiKey'])).toBe('apiKey');
    expect(suggestOption('baseUrl', TRANSCRIBER_OPTIONS)).toBe('url');
    expect(suggestOption('endpoint', TRANSCRIBER_OPTIONS)).toBe('url');
    expect(suggestOption('modle', TRANSCRIBER_OPTIONS)).toBe('model');
    expect(suggestOption('lanugage', TRANSCRIBER_OPTIONS)).toBe('language');
    expect(suggestOption('interimResult', TRANSCRIBER_OPTIONS)).toBe('interimResults');
    expect(suggestOption('replayWindowSecs', TRANSCRIBER_OPTIONS)).toBe('replayWindowSeconds');
    expect(suggestOption('colour', TRANSCRIBER_OPTIONS)).toBeUndefined();
    expect(suggestOption('x', ['url'])).toBeUndefined();
  });

  it('checkOptionNames - a near miss names the right option; otherwise the options the function takes', () => {
    const near = thrown(() => checkOptionNames({ model: 'm', baseURL: 'http://127.0.0.1:8080' }, ['model', 'url', 'baseUrl'], 'transcribe()'));
    expect(near).toBeInstanceOf(TypeError);
    expect(near.message).toBe('Unknown option `baseURL` for transcribe(); did you mean `baseUrl`?');
    const far = thrown(() => checkOptionNames({ colour: 'red' }, ['model', 'url'], 'f()'));
    expect(far.message).toBe('Unknown option `colour` for f(); f() takes `model`, `url`');
    // An unknown option given as undefined is still a typo.
    expect(thrown(() => checkOptionNames({ modle: undefined }, ['model'], 'f()')).message).toBe('Unknown option `modle` for f(); did you mean `model`?');
    expect(() => checkOptionNames({ model: 'm' }, ['model'], 'f()')).not.toThrow();
    expect(() => checkOptionNames(undefined, ['model'], 'f()')).not.toThrow();
  });

  it('checkTranscriberOptions - createTranscriber’s names, and reconnect’s keys with their prefix', () => {
    expect(thrown(() => checkTranscriberOptions({ model: 'm', baseUrl: 'http://127.0.0.1:8080' })).message).toBe(
      'Unknown option `baseUrl` for createTranscriber(); did you mean `url`?',
    );
    expect(thrown(() => checkTranscriberOptions({ model: 'm', vad: true })).message).toBe('Unknown option `vad` for createTranscriber(); did you mean `voiceActivity`?');
    expect(thrown(() => checkTranscriberOptions({ model: 'm', reconnect: { maxRetries: 3 } })).message).toBe(
      'Unknown option `reconnect.maxRetries` for createTranscriber(); did you mean `reconnect.retries`?',
    );
    expect(() => checkTranscriberOptions({ model: 'm', url: 'ws://x', reconnect: false, apiKey: 'k' })).not.toThrow();
  });

  it('core’s public functions refuse an unknown option, naming it', async () => {
    await expect(transcribe(new Uint8Array(4), { model: 'm', baseURL: 'http://127.0.0.1:1' } as never)).rejects.toThrow(
      new TypeError('Unknown option `baseURL` for transcribe(); did you mean `baseUrl`?'),
    );
    await expect(transcribe(new Uint8Array(4), { model: 'm', onProgress: () => {} } as never)).rejects.toThrow(
      /^Unknown option `onProgress` for transcribe\(\); transcribe\(\) takes `model`, `apiKey`, `url`, `baseUrl`, /,
    );
    expect(thrown(() => createWebSocketTransport(undefined, { header: true } as never)).message).toBe(
      'Unknown option `header` for createWebSocketTransport(); did you mean `headers`?',
    );
    expect(thrown(() => createWebSocketTransport({ headers: true } as never)).message).toMatch(/^Invalid argument `WebSocketCtor`: expected a WebSocket constructor/);
    expect(thrown(() => g711Decoder({ law: 'mulaw', rate: 8000 } as never)).message).toBe('Unknown option `rate` for g711Decoder(); did you mean `sampleRate`?');
    expect(thrown(() => new WavDecoder({ checkLimits: false } as never)).message).toBe('Unknown option `checkLimits` for new WavDecoder(); new WavDecoder() takes `checkFrameLimits`');
    expect(thrown(() => new WireConverter({ sampleRate: 16000, channels: 1, onwarning: () => {} } as never)).message).toBe(
      'Unknown option `onwarning` for new WireConverter(); did you mean `onWarning`?',
    );
    expect(thrown(() => new Resampler({ inRate: 48000, outRate: 16000, channel: 1 } as never)).message).toBe(
      'Unknown option `channel` for new Resampler(); did you mean `channels`?',
    );
  });
});
