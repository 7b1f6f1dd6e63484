/**
 * The query parameters of `GET /v1/stt/stream`, checked as docs/protocol.md
 * ("Opening") says.
 *
 * @module
 */

/**
 * Valid opening parameters.
 *
 * @example Seconds in a message
 * ```ts
 * const seconds = bytes / (2 * params.channels * params.sampleRate);
 * ```
 */
export interface StreamParams {
  model: string;
  language: string | null;
  providerId: string | null;
  encoding: 'pcm_s16le';
  sampleRate: number;
  channels: 1 | 2;
  interimResults: boolean;
}

/**
 * The outcome of {@link parseStreamParams}.
 *
 * @example Branch on the outcome
 * ```ts
 * const result = parseStreamParams(url.searchParams);
 * if (!result.ok) console.error(result.param, result.message);
 * ```
 */
export type StreamParamsResult =
  | { ok: true; params: StreamParams }
  | { ok: false; param: string; message: string };

/**
 * Checks the opening query: `model_id` required; `encoding` `pcm_s16le`;
 * `sample_rate` an integer 8000..48000 (default 16000); `channels` 1 or 2
 * (default 1); `interim_results` `true`/`false` (default true); `language`
 * and `provider_id` optional. Unknown parameters are ignored.
 *
 * @example A bad sample rate
 * ```ts
 * parseStreamParams(new URLSearchParams('model_id=m&sample_rate=7')); // { ok: false, param: 'sample_rate', … }
 * ```
 */
export function parseStreamParams(query: URLSearchParams): StreamParamsResult {
  const bad = (param: string, message: string): StreamParamsResult => ({ ok: false, param, message });
  const model = query.get('model_id');
  if (model === null || model.trim() === '') return bad('model_id', 'model_id is required');
  const encoding = query.get('encoding');
  if (encoding !== null && encoding !== 'pcm_s16le') {
    return bad('encoding', `encoding must be pcm_s16le, got ${JSON.stringify(encoding.slice(0, 40))}`);
  }
  let sampleRate = 16000;
  const rate = query.get('sample_rate');
  if (rate !== null) {
    sampleRate = /^\d{1,6}$/.test(rate) ? Number(rate) : NaN;
    if (!(sampleRate >= 8000 && sampleRate <= 48000)) {
      return bad('sample_rate', `sample_rate must be an integer from 8000 to 48000, got ${JSON.stringify(rate.slice(0, 40))}`);
    }
  }
  let channels: 1 | 2 = 1;
  const ch = query.get('channels');
  if (ch !== null) {
    if (ch !== '1' && ch !== '2') return bad('channels', `channels must be 1 or 2, got ${JSON.stringify(ch.slice(0, 40))}`);
    channels = ch === '2' ? 2 : 1;
  }
  let interimResults = true;
  const interim = query.get('interim_results');
  if (interim !== null) {
    if (interim !== 'true' && interim !== 'false') {
      return bad('interim_results', `interim_results must be true or false, got ${JSON.stringify(interim.slice(0, 40))}`);
    }
    interimResults = interim === 'true';
  }
  const language = query.get('language') || null;
  const providerId = query.get('provider_id') || null;
  return { ok: true, params: { model, language, providerId, encoding: 'pcm_s16le', sampleRate, channels, interimResults } };
}
