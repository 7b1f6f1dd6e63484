import { describe, expect, it } from 'vitest';
import { SttError } from '../errors.ts';
import {
  URL_CREDENTIAL_PARAMS,
  assertCredentialsFor,
  assertNoUrlCredentials,
  bearer,
  redactSecrets,
  resolveStreamCredentials,
} from './credentials.ts';

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
};

describe('credentials', () => {
  it('bearer - the one Authorization value', () => {
    expect(bearer('sk_1')).toBe('Bearer sk_1');
  });

  it('assertNoUrlCredentials - names the option and the parameter, in any case, in query or fragment, never the value', () => {
    for (const name of URL_CREDENTIAL_PARAMS) {
      const err = thrown(() => assertNoUrlCredentials(new URL(`wss://g.example/s?model_id=m&${name.toUpperCase()}=sk_leak_1`), 'url'));
      expect(err).toBeInstanceOf(TypeError);
      expect(err.message).toBe(`Invalid option \`url\`: credentials do not go in a URL (found \`${name}\`); pass the key as \`apiKey\` or \`token\``);
    }
    const frag = thrown(() => assertNoUrlCredentials(new URL('https://g.example/#access_token=sk_leak_1'), 'baseUrl'));
    expect(frag.message).toBe('Invalid option `baseUrl`: credentials do not go in a URL (found `access_token`); pass the key as `apiKey`');
    const user = thrown(() => assertNoUrlCredentials(new URL('https://me:sk_leak_1@g.example/'), 'baseUrl'));
    expect(user).toBeInstanceOf(TypeError);
    expect(user.message).toMatch(/^Invalid option `baseUrl`: credentials do not go in a URL \(found a user name or password/);
    expect(user.message).not.toContain('sk_leak_1');
    expect(() => assertNoUrlCredentials(new URL('wss://g.example/v1/stt/stream?model_id=m&fault=x'), 'url')).not.toThrow();
  });

  it('resolveStreamCredentials - apiKey as a header where supported, else subprotocols; token always subprotocols', async () => {
    expect(await resolveStreamCredentials({ apiKey: 'sk_1' }, true)).toEqual({ headers: { Authorization: 'Bearer sk_1' }, protocols: [], secrets: ['sk_1'] });
    expect(await resolveStreamCredentials({ apiKey: 'sk_1' }, false)).toEqual({ headers: {}, protocols: ['bearer', 'sk_1'], secrets: ['sk_1'] });
    expect(await resolveStreamCredentials({ apiKey: 'sk_1', token: 'tok_2' }, true)).toEqual({
      headers: {},
      protocols: ['bearer', 'tok_2'],
      secrets: ['sk_1', 'tok_2'],
    });
    let calls = 0;
    const fn = async () => `tok_${++calls}`;
    expect((await resolveStreamCredentials({ token: fn }, true)).protocols).toEqual(['bearer', 'tok_1']);
    expect((await resolveStreamCredentials({ token: fn }, true)).protocols).toEqual(['bearer', 'tok_2']);
    // No credential: fine for a server of the user's own (the emulator), refused for the hosted gateway (below).
    expect(await resolveStreamCredentials({ url: 'ws://127.0.0.1:8080' }, true)).toEqual({ headers: {}, protocols: [], secrets: [] });
    await expect(resolveStreamCredentials({ apiKey: 'a+b/c=' }, false)).rejects.toThrow(
      new TypeError("Invalid option `apiKey`: a WebSocket subprotocol credential may hold only letters, digits and !#$%&'*-.^_`|~ (no + / = or spaces)"),
    );
    await expect(resolveStreamCredentials({ token: () => 'has space' }, true)).rejects.toThrow(TypeError);
  });

  it('no credential for the hosted gateway (no `url`, or its own) fails at once, naming the options and the environment variables', async () => {
    const message =
      'No API key or token for the hosted gateway (gateway.llm-stats.com): pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY) ' +
      'or `token`; or, to use a server that needs none such as the local emulator, pass its `url`';
    for (const creds of [{}, { url: 'https://gateway.llm-stats.com' }, { url: 'wss://GATEWAY.llm-stats.com/v1/stt/stream', apiKey: '' }]) {
      const err = await resolveStreamCredentials(creds, true).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SttError);
      expect(err).toMatchObject({ code: 'unauthenticated', retryable: false, param: 'apiKey', message });
    }
    expect((await resolveStreamCredentials({ token: 't' }, false)).protocols).toEqual(['bearer', 't']);
    const batch = thrown(() => assertCredentialsFor(new URL('https://gateway.llm-stats.com/v1/stt/transcribe'), {}, 'transcribe'));
    expect(batch.message).toBe(
      'No API key for the hosted gateway (gateway.llm-stats.com): pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY); ' +
        'or, to use a server that needs none such as the local emulator, pass its `url`',
    );
    expect(() => assertCredentialsFor(new URL('http://127.0.0.1:8080/v1/stt/transcribe'), {}, 'transcribe')).not.toThrow();
  });

  it('resolveStreamCredentials - a failing token function is unauthenticated, not retryable, cause kept and named, key redacted', async () => {
    const cause = new Error('refresh endpoint said 503 for sk_live_9');
    const err = await resolveStreamCredentials({ apiKey: 'sk_live_9', token: () => Promise.reject(cause) }, true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'unauthenticated', retryable: false, cause });
    expect((err as Error).message).toBe('The `token` function failed: refresh endpoint said 503 for [redacted]');
    const coded = await resolveStreamCredentials({ token: () => { throw new SttError('timeout', 'took 5 s'); } }, true).catch((e: unknown) => e);
    expect((coded as Error).message).toBe('The `token` function failed: timeout: took 5 s');
    const typed = await resolveStreamCredentials({ token: () => Promise.reject(new TypeError('fetch failed')) }, true).catch((e: unknown) => e);
    expect((typed as Error).message).toBe('The `token` function failed: TypeError: fetch failed');
  });

  it('redactSecrets - every occurrence, longest first, URL-encoded too; short values left alone', () => {
    expect(redactSecrets('key sk_a1 and sk_a1 again', ['sk_a1'])).toBe('key [redacted] and [redacted] again');
    expect(redactSecrets('sk_a1_long', ['sk_a1', 'sk_a1_long'])).toBe('[redacted]');
    expect(redactSecrets('k=a%2Bb%2Fc', ['a+b/c'])).toBe('k=[redacted]');
    expect(redactSecrets('abc abc', ['abc'])).toBe('abc abc');
    expect(redactSecrets('nothing here', [])).toBe('nothing here');
  });
});
