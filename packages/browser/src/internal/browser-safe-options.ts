// Not public: the checks @stt-stream/browser's createTranscriber makes before
// handing the options to core.

import { streamUrl } from '@stt-stream/core/internal';

/**
 * The options the browser checks read; the rest pass through untouched.
 *
 * @example The two risk switches
 * ```ts
 * const risky: BrowserSafetyOptions = { apiKey, dangerouslyAllowBrowser: true, url: 'ws://10.0.0.5/v1/stt/stream', allowInsecure: true };
 * ```
 */
export interface BrowserSafetyOptions {
  url?: string;
  apiKey?: string;
  token?: unknown;
  /**
   * Allow `apiKey` in a browser. Anyone who can open the page can read the
   * key; use a short-lived `token` from your own server instead.
   * @defaultValue false
   */
  dangerouslyAllowBrowser?: boolean;
  /**
   * Allow `ws://` (or `http://`) to a host other than loopback: audio and
   * credentials would cross the network unencrypted.
   * @defaultValue false
   */
  allowInsecure?: boolean;
}

/**
 * Whether a URL hostname is loopback: 127.0.0.0/8, `localhost` (and
 * `*.localhost`, which browsers resolve to loopback) or `[::1]`.
 *
 * @example Loopback or not
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('example.com'); // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]' || host === '::1') return true;
  const v4 = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4.slice(1).every((part) => Number(part) <= 255);
}

/**
 * Checks what a browser must not do and returns the options for core:
 * an `apiKey` only with `dangerouslyAllowBrowser` (and then sent as the
 * subprotocol credential, like a token); `ws://` only to loopback unless
 * `allowInsecure`.
 *
 * @throws TypeError naming the option
 * @example Options for an emulator on this machine
 * ```ts
 * browserSafeOptions({ model: 'whisper-1', url: 'ws://127.0.0.1:8787/v1/stt/stream', token: 't' });
 * ```
 */
export function browserSafeOptions<T extends BrowserSafetyOptions>(options: T): Omit<T, 'dangerouslyAllowBrowser' | 'allowInsecure'> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('Invalid options of createTranscriber(): expected an object');
  }
  const { dangerouslyAllowBrowser, allowInsecure, ...rest } = options;
  if (dangerouslyAllowBrowser !== undefined && typeof dangerouslyAllowBrowser !== 'boolean') {
    throw new TypeError('Invalid option `dangerouslyAllowBrowser`: expected a boolean');
  }
  if (allowInsecure !== undefined && typeof allowInsecure !== 'boolean') {
    throw new TypeError('Invalid option `allowInsecure`: expected a boolean');
  }
  let out: BrowserSafetyOptions = rest;
  if (rest.apiKey !== undefined) {
    if (dangerouslyAllowBrowser !== true) {
      throw new TypeError(
        'Invalid option `apiKey`: anyone who opens the page can read an API key; ' +
          'fetch a short-lived `token` from your own server, or pass `dangerouslyAllowBrowser: true` to accept the risk',
      );
    }
    if (rest.token !== undefined) {
      throw new TypeError('Invalid options: pass `apiKey` or `token`, not both');
    }
    // Browsers cannot set headers on a WebSocket: the key travels as the subprotocol credential.
    const { apiKey, ...withoutKey } = rest;
    out = { ...withoutKey, token: apiKey };
  }
  checkUrl(out.url, allowInsecure === true);
  return out as Omit<T, 'dangerouslyAllowBrowser' | 'allowInsecure'>;
}

function checkUrl(url: unknown, allowInsecure: boolean): void {
  if (url === undefined) return;
  // Core's parser (the transcriber's own): its TypeErrors name `url`, and
  // http(s): comes back as the ws(s): URL that would be opened.
  const parsed = streamUrl(url, 'url');
  if (parsed.protocol === 'ws:' && !allowInsecure && !isLoopbackHost(parsed.hostname)) {
    throw new TypeError(
      `Invalid option \`url\`: ws://${parsed.host} is unencrypted and not loopback (audio and credentials would travel in the clear); ` +
        'use wss://, or pass `allowInsecure: true`',
    );
  }
}
