/**
 * Credentials, decided in one place: the `Bearer` builder, the one list of
 * query parameters that must never carry a key, the choice between the
 * `Authorization` header and the subprotocols, and the redaction of known
 * credentials from anything a server says.
 *
 * @module
 */
import { createSttError, redactSecrets, SttError } from '../errors.ts';

export { redactSecrets };

/**
 * Query (and fragment) parameter names that hold a credential; a URL with any
 * of them (in any letter case) is refused before anything is sent.
 *
 * @example
 * ```ts
 * URL_CREDENTIAL_PARAMS.includes('api_key'); // true
 * ```
 */
export const URL_CREDENTIAL_PARAMS: readonly string[] = Object.freeze([
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'key',
  'token',
  'access_token',
  'auth_token',
  'id_token',
  'auth',
  'authorization',
  'bearer',
  'jwt',
  'secret',
  'client_secret',
  'password',
]);

/**
 * The `Authorization` header's value for a key: the one place `Bearer` is spelt.
 *
 * @example
 * ```ts
 * headers.authorization = bearer(apiKey); // 'Bearer sk_…'
 * ```
 */
export function bearer(key: string): string {
  return `Bearer ${key}`;
}

/**
 * Refuses a URL that carries a credential: a user name or password
 * (`https://user:pass@host`), or a query or fragment parameter of
 * {@link URL_CREDENTIAL_PARAMS}. The message names the option and the
 * parameter, never the value.
 *
 * @param option - the option the URL came from, without backticks (`url`, `baseUrl`)
 * @throws TypeError naming the option and the parameter
 * @example
 * ```ts
 * assertNoUrlCredentials(new URL('wss://g.example/?api_key=sk'), 'url');
 * // TypeError: Invalid option `url`: credentials do not go in a URL (found `api_key`); pass the key as `apiKey` or `token`
 * ```
 */
export function assertNoUrlCredentials(url: URL, option: string): void {
  const fix = option === 'baseUrl' ? 'pass the key as `apiKey`' : 'pass the key as `apiKey` or `token`';
  if (url.username !== '' || url.password !== '') {
    throw new TypeError(`Invalid option \`${option}\`: credentials do not go in a URL (found a user name or password before the host); ${fix}`);
  }
  const names = [...url.searchParams.keys()];
  if (url.hash.length > 1) names.push(...new URLSearchParams(url.hash.slice(1)).keys());
  for (const name of names) {
    const lower = name.toLowerCase();
    if (URL_CREDENTIAL_PARAMS.includes(lower)) {
      throw new TypeError(`Invalid option \`${option}\`: credentials do not go in a URL (found \`${lower}\`); ${fix}`);
    }
  }
}

// RFC 9110 token characters, less `+` (docs/protocol.md, "Authentication": `+ / =` do not qualify).
const TOKEN_RE = /^[!#$%&'*\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks that a credential can travel as a WebSocket subprotocol.
 *
 * @throws TypeError naming the problem (never the credential itself)
 * @example
 * ```ts
 * assertSubprotocolToken('ze_abc123'); // fine
 * assertSubprotocolToken('a+b/c='); // TypeError: Invalid option `token`: …
 * ```
 */
export function assertSubprotocolToken(token: unknown, field = 'token'): asserts token is string {
  if (typeof token !== 'string' || token.length === 0) {
    throw new TypeError(`Invalid option \`${field}\`: expected a non-empty string`);
  }
  if (!TOKEN_RE.test(token)) {
    throw new TypeError(
      `Invalid option \`${field}\`: a WebSocket subprotocol credential may hold only letters, digits and !#$%&'*-.^_\`|~ (no + / = or spaces)`,
    );
  }
}

/**
 * The subprotocols that carry a credential where headers cannot (browsers).
 *
 * @example
 * ```ts
 * credentialProtocols('tok'); // ['bearer', 'tok']
 * ```
 */
export function credentialProtocols(token: string): string[] {
  return ['bearer', token];
}

/**
 * The `Authorization` header for server runtimes.
 *
 * @example
 * ```ts
 * credentialHeaders('sk'); // { Authorization: 'Bearer sk' }
 * ```
 */
export function credentialHeaders(key: string): Record<string, string> {
  return { Authorization: bearer(key) };
}

/** The hosted gateway's host name: it takes no request without a key. */
export const HOSTED_GATEWAY_HOST = 'gateway.llm-stats.com';

/** The environment variables the examples and the CLI read the key from. */
export const API_KEY_ENV: readonly string[] = Object.freeze(['STT_STREAM_API_KEY', 'LLM_STATS_API_KEY']);

/**
 * Fails at once, before anything is sent, when a call would go to the hosted
 * gateway without a credential (no `apiKey`, no `token`), which the gateway
 * would refuse: `SttError` `unauthenticated` (not retryable, `param:
 * 'apiKey'`) saying what to pass. A call to any other host (the emulator, a
 * proxy that adds the key) may go without one.
 *
 * @param url - where the call would go
 * @param creds - the call's options
 * @param api - `transcribe` (which takes an `apiKey` only) or `stream` (`apiKey` or `token`)
 * @throws SttError `unauthenticated`
 * @example
 * ```ts
 * assertCredentialsFor(new URL('https://gateway.llm-stats.com/v1/stt/transcribe'), {}, 'transcribe');
 * // SttAuthError: No API key for the hosted gateway (gateway.llm-stats.com): pass `apiKey` …
 * ```
 */
export function assertCredentialsFor(url: URL, creds: { apiKey?: unknown; token?: unknown }, api: 'transcribe' | 'stream'): void {
  const has = (v: unknown) => v !== undefined && v !== null && v !== '';
  if (has(creds.apiKey) || has(creds.token) || url.hostname.toLowerCase() !== HOSTED_GATEWAY_HOST) return;
  const [env, alt] = API_KEY_ENV;
  const what = api === 'stream' ? 'No API key or token' : 'No API key';
  const pass = api === 'stream' ? `pass \`apiKey\` (e.g. \`apiKey: process.env.${env}\`, or ${alt}) or \`token\`` : `pass \`apiKey\` (e.g. \`apiKey: process.env.${env}\`, or ${alt})`;
  throw createSttError(
    'unauthenticated',
    `${what} for the hosted gateway (${HOSTED_GATEWAY_HOST}): ${pass}; or, to use a server that needs none such as the local emulator, pass its \`url\``,
    { param: 'apiKey', retryable: false },
  );
}

/** How one connection carries its credential; see {@link resolveStreamCredentials}. */
export interface StreamCredentials {
  /** Headers for the upgrade (`Authorization`), or empty. */
  headers: Record<string, string>;
  /** Subprotocols to offer (`['bearer', token]`), or empty. */
  protocols: string[];
  /** The credential values in play, for {@link redactSecrets}. */
  secrets: string[];
}

/**
 * Decides, once per connection, how the credential travels: a `token`
 * (a string, or a function called here, once per call) goes as the
 * subprotocols `bearer`, `<token>`; an `apiKey` as the `Authorization` header
 * where the transport `supportsHeaders`, else as the subprotocols. `secrets`
 * lists every credential value given, for redaction.
 *
 * @throws SttError `unauthenticated` (not retryable, cause kept, its message named) when the `token` function throws or rejects,
 * or (see {@link assertCredentialsFor}) when there is neither `apiKey` nor `token` and `url` is the hosted gateway or not given
 * @throws TypeError when the token (or an `apiKey` that must go as a subprotocol) is not a valid subprotocol
 * @example
 * ```ts
 * const { headers, protocols, secrets } = await resolveStreamCredentials({ apiKey }, transport.supportsHeaders);
 * ```
 */
export async function resolveStreamCredentials(
  creds: { apiKey?: string; token?: string | (() => string | Promise<string>); url?: string },
  supportsHeaders: boolean,
): Promise<StreamCredentials> {
  const { apiKey, token } = creds;
  assertCredentialsFor(gatewayHost(creds.url), creds, 'stream');
  const secrets: string[] = [];
  if (typeof apiKey === 'string' && apiKey !== '') secrets.push(apiKey);
  if (token !== undefined) {
    let value: unknown;
    try {
      value = typeof token === 'function' ? await token() : token;
    } catch (cause) {
      const detail =
        cause instanceof SttError ? `${cause.code}: ${cause.message}`
        : cause instanceof Error ? (cause.name && cause.name !== 'Error' ? `${cause.name}: ${cause.message}` : cause.message)
        : String(cause);
      throw createSttError('unauthenticated', `The \`token\` function failed: ${redactSecrets(detail, secrets)}`, { cause, retryable: false });
    }
    assertSubprotocolToken(value);
    secrets.push(value);
    return { headers: {}, protocols: credentialProtocols(value), secrets };
  }
  if (apiKey !== undefined) {
    if (supportsHeaders) return { headers: credentialHeaders(apiKey), protocols: [], secrets };
    assertSubprotocolToken(apiKey, 'apiKey');
    return { headers: {}, protocols: credentialProtocols(apiKey), secrets };
  }
  return { headers: {}, protocols: [], secrets };
}

/** The URL whose host a stream with this `url` option connects to (the hosted gateway when none is given). */
function gatewayHost(url: string | undefined): URL {
  try {
    return new URL(url ?? `wss://${HOSTED_GATEWAY_HOST}`);
  } catch {
    return new URL('invalid:'); // a bad `url` is the constructor's to report
  }
}

/**
 * The credential values a transport request carries (the `Authorization`
 * header's key, the subprotocols other than `bearer`), for a transport to
 * redact from what the server says ({@link redactSecrets}).
 *
 * @example
 * ```ts
 * requestSecrets({ headers: { Authorization: 'Bearer sk_1' }, protocols: ['bearer', 'tok_2'] }); // ['sk_1', 'tok_2']
 * ```
 */
export function requestSecrets(request: { headers?: Record<string, string>; protocols?: readonly string[] }): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (name.toLowerCase() !== 'authorization' || typeof value !== 'string') continue;
    const key = value.replace(/^\s*Bearer\s+/i, '').trim();
    if (key) out.push(key);
  }
  for (const p of request.protocols ?? []) if (p !== 'bearer') out.push(p);
  return out;
}
