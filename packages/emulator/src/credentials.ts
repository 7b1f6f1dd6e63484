/**
 * Reading and checking credentials: the `Authorization: Bearer` header or
 * the subprotocol pair `bearer`, `<token>` (docs/protocol.md, "Authentication").
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The credentials a request offers: the bearer header's token and the
 * subprotocol after `bearer`. Never logged, never echoed.
 *
 * @example Both forms
 * ```ts
 * offeredCredentials({ authorization: 'Bearer k1', 'sec-websocket-protocol': 'bearer, k2' }); // ['k1', 'k2']
 * ```
 */
export function offeredCredentials(headers: IncomingHttpHeaders): string[] {
  const found: string[] = [];
  const auth = headers.authorization;
  const match = typeof auth === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth) : null;
  if (match) found.push(match[1] as string);
  const protocols = parseProtocols(headers['sec-websocket-protocol']);
  const at = protocols.indexOf('bearer');
  if (at >= 0 && at + 1 < protocols.length) found.push(protocols[at + 1] as string);
  return found;
}

/**
 * Whether a request may proceed: always when `apiKeys` is undefined, else
 * when an offered credential equals one of the keys.
 *
 * @example Check a request
 * ```ts
 * isAuthorized(['k1'], { authorization: 'Bearer k1' }); // true
 * isAuthorized(['k1'], {}); // false
 * isAuthorized(undefined, {}); // true
 * ```
 */
export function isAuthorized(apiKeys: readonly string[] | undefined, headers: IncomingHttpHeaders): boolean {
  if (apiKeys === undefined) return true;
  const offered = offeredCredentials(headers);
  return offered.some((token) => apiKeys.some((key) => equal(token, key)));
}

/**
 * Picks the subprotocol to answer with: `bearer` when offered, else none.
 *
 * @example Browser-style credentials
 * ```ts
 * selectProtocol(new Set(['bearer', 'k1'])); // 'bearer'
 * ```
 */
export function selectProtocol(protocols: Set<string>): string | false {
  return protocols.has('bearer') ? 'bearer' : false;
}

function parseProtocols(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
