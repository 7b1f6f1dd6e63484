/**
 * The one mapping between a gateway address and its two endpoints, shared by
 * streaming (`url`) and batch (`baseUrl`), so that either option takes what a
 * user will pass: the gateway's `http(s)` origin, or the streaming `ws(s)` URL.
 *
 * @module
 */
import { assertNoUrlCredentials } from './credentials.ts';

/**
 * The streaming endpoint's path.
 *
 * @example
 * ```ts
 * new URL(STREAM_PATH, 'ws://127.0.0.1:8080').href; // 'ws://127.0.0.1:8080/v1/stt/stream'
 * ```
 */
export const STREAM_PATH = '/v1/stt/stream';

/**
 * The batch endpoint's path.
 *
 * @example
 * ```ts
 * new URL(TRANSCRIBE_PATH, 'http://127.0.0.1:8080').href; // 'http://127.0.0.1:8080/v1/stt/transcribe'
 * ```
 */
export const TRANSCRIBE_PATH = '/v1/stt/transcribe';

const ENDPOINT_SUFFIX = /\/v1\/stt\/(stream|transcribe)\/?$/;

function parse(base: unknown, option: string): URL {
  if (typeof base !== 'string' || base.trim() === '') throw new TypeError(`Invalid option \`${option}\`: expected a URL string`);
  try {
    return new URL(base);
  } catch {
    // The value is not echoed: a key pasted into the wrong option must not reach a log.
    throw new TypeError(`Invalid option \`${option}\`: not a URL (expected e.g. https://gateway.llm-stats.com)`);
  }
}

/** The gateway's path prefix: the path less a trailing endpoint and slashes. */
const prefixOf = (path: string): string => path.replace(ENDPOINT_SUFFIX, '').replace(/\/+$/, '');

/**
 * The streaming endpoint for what a user passes as `url`:
 *
 * - an `http(s)` URL names the gateway: its scheme becomes `ws(s)`, its path
 *   is a prefix (`http://h` → `ws://h/v1/stt/stream`, `https://h/p` →
 *   `wss://h/p/v1/stt/stream`; a path already ending in `/v1/stt/stream` or
 *   `/v1/stt/transcribe` means that gateway);
 * - a `ws(s)` URL with no path (or `/`) gets the stream path;
 * - any other `ws(s)` URL is the endpoint itself, kept as it is.
 *
 * The query is kept in every case; the fragment is dropped.
 *
 * @param option - the option named in errors
 * @throws TypeError naming the option for a non-URL, another scheme, or a credential in the URL
 * @example
 * ```ts
 * streamUrl('http://127.0.0.1:8080').href; // 'ws://127.0.0.1:8080/v1/stt/stream'
 * streamUrl('wss://proxy.example/stt?region=eu').href; // kept
 * ```
 */
export function streamUrl(base: unknown, option = 'url'): URL {
  const url = parse(base, option);
  const { protocol } = url;
  if (protocol === 'http:' || protocol === 'https:') {
    url.protocol = protocol === 'http:' ? 'ws:' : 'wss:';
    url.pathname = prefixOf(url.pathname) + STREAM_PATH;
  } else if (protocol === 'ws:' || protocol === 'wss:') {
    if (url.pathname === '' || url.pathname === '/') url.pathname = STREAM_PATH;
  } else {
    throw new TypeError(`Invalid option \`${option}\`: expected a ws:, wss:, http: or https: URL, got ${protocol}`);
  }
  assertNoUrlCredentials(url, option);
  url.hash = '';
  return url;
}

/**
 * The batch endpoint for what a user passes as `baseUrl`: an `http(s)` URL
 * names the gateway (its path a prefix), a `ws(s)` URL (the streaming URL)
 * maps back to `http(s)`; the path becomes `<prefix>/v1/stt/transcribe`
 * (a trailing `/v1/stt/stream` or `/v1/stt/transcribe` is the gateway's
 * endpoint, not a prefix). Query and fragment are dropped.
 *
 * @param option - the option named in errors
 * @throws TypeError naming the option for a non-URL, another scheme, or a credential in the URL
 * @example
 * ```ts
 * batchUrl('wss://gw.example/v1/stt/stream').href; // 'https://gw.example/v1/stt/transcribe'
 * ```
 */
export function batchUrl(base: string, option = 'baseUrl'): URL {
  const url = parse(base, option);
  const { protocol } = url;
  if (protocol === 'ws:') url.protocol = 'http:';
  else if (protocol === 'wss:') url.protocol = 'https:';
  else if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TypeError(`Invalid option \`${option}\`: expected an http: or https: URL (or the ws:/wss: streaming URL), got ${protocol}`);
  }
  assertNoUrlCredentials(url, option);
  url.pathname = prefixOf(url.pathname) + TRANSCRIBE_PATH;
  url.search = '';
  url.hash = '';
  return url;
}
