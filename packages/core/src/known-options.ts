/**
 * Unknown options are errors: one checker for every public function that
 * takes an options object, so that a misspelt option (`baseURL`, `apikey`,
 * `retry`) from JavaScript, where TypeScript cannot see it, fails at once
 * with a `TypeError` that names it and, for a near miss, the right one,
 * instead of being ignored while the call does something else (sends the
 * audio to the default gateway, say).
 *
 * Each function's list of names is one array, next to the function it is
 * for, checked against its options' type by the compiler
 * ({@link optionNames}): an option added to the type and not to the list (or
 * the reverse) does not compile.
 *
 * @module
 */

/**
 * The compile-time check behind every list of option names: `names` must
 * hold every key of `T` and nothing else, or the call does not compile (the
 * error shows `missing` or `unknown` with the names).
 *
 * @example
 * ```ts
 * interface Opts { model: string; url?: string }
 * const OPTS = optionNames<Opts>()(['model', 'url']); // compiles
 * optionNames<Opts>()(['model']); // error: { missing: "url" }
 * ```
 */
export function optionNames<T>(): OptionNamesOf<T> {
  return (names) => Object.freeze([...names]) as unknown as typeof names;
}

/**
 * What {@link optionNames} returns: takes the list of names, compiling only
 * when it is exactly the keys of `T`, and returns it (frozen).
 */
export type OptionNamesOf<T> = <const N extends readonly string[]>(
  names: N &
    ([Exclude<keyof T, N[number]>] extends [never] ? unknown : { missing: Exclude<keyof T, N[number]> }) &
    ([Exclude<N[number], keyof T>] extends [never] ? unknown : { unknown: Exclude<N[number], keyof T> }),
) => N;

/**
 * Names people reach for that mean one of ours: the gateway's address is
 * `url` (the batch functions also take `baseUrl`, the same thing), the key
 * is `apiKey`, the model `model`.
 */
const SYNONYMS: Readonly<Record<string, readonly string[]>> = {
  vad: ['voiceActivity'],
  voiceactivitydetection: ['voiceActivity'],
  baseurl: ['url', 'baseUrl'],
  url: ['url', 'baseUrl'],
  endpoint: ['url', 'baseUrl'],
  host: ['url', 'baseUrl'],
  gateway: ['url', 'baseUrl'],
  gatewayurl: ['url', 'baseUrl'],
  serverurl: ['url', 'baseUrl'],
  streamurl: ['streamUrl', 'url'],
  wsurl: ['streamUrl', 'url'],
  key: ['apiKey'],
  apitoken: ['apiKey', 'token'],
  authorization: ['apiKey', 'token'],
  bearer: ['token', 'apiKey'],
  modelid: ['model'],
  provider: ['providerId'],
  lang: ['language'],
  interim: ['interimResults'],
  interims: ['interimResults'],
  samplerate: ['sampleRate'],
  rate: ['sampleRate'],
  timeout: ['timeoutMs', 'connectTimeoutMs'],
  retry: ['retries'],
  maxretries: ['retries'],
};

/** Lower case, without `_`, `-` and spaces: `base_URL` and `baseUrl` are the same name. */
const normalise = (name: string) => name.toLowerCase().replace(/[-_\s]/g, '');

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), stopping early past `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known option an unknown name most likely meant, or `undefined`: the
 * same name in another case or spelling (`baseURL`, `api_key`), a known
 * synonym (`baseUrl` where the option is `url`), the one known name inside it
 * or around it (`maxRetries` for `retries`), or one within a small edit
 * distance (`retires`, `lanugage`).
 *
 * @example
 * ```ts
 * suggestOption('baseURL', ['model', 'baseUrl']); // 'baseUrl'
 * suggestOption('modle', ['model', 'url']); // 'model'
 * suggestOption('colour', ['model', 'url']); // undefined
 * ```
 */
export function suggestOption(name: string, known: readonly string[]): string | undefined {
  const n = normalise(name);
  const same = known.find((k) => normalise(k) === n);
  if (same !== undefined) return same;
  const synonym = SYNONYMS[n]?.find((s) => known.includes(s));
  if (synonym !== undefined) return synonym;
  // One known name inside the other (`maxRetries` for `retries`, `sampleRateHz` for `sampleRate`).
  const within = known.filter((k) => {
    const m = normalise(k);
    return Math.min(m.length, n.length) >= 4 && (n.includes(m) || m.includes(n));
  });
  if (within.length === 1) return within[0];
  // One edit for short names, two from 5 characters, three from 12.
  const max = n.length >= 12 ? 3 : n.length >= 5 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = max + 1;
  for (const k of known) {
    const d = distance(n, normalise(k), max);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * Refuses an options object that holds a name `fn` does not take: a
 * `TypeError` naming the option and, for a near miss, the one meant
 * (otherwise the names `fn` takes). Only own enumerable string keys count;
 * a non-object is left to the caller's own check.
 *
 * @param options - what the user passed
 * @param known - the names `fn` takes
 * @param fn - how the user called it, e.g. `transcribe()`
 * @param prefix - for a nested object, its option's name and a dot (`reconnect.`)
 * @throws TypeError `Unknown option \`baseURL\` for transcribe(); did you mean \`baseUrl\`?`
 * @example
 * ```ts
 * checkOptionNames({ model: 'whisper-1', baseURL: 'http://127.0.0.1:8080' }, ['model', 'url', 'baseUrl'], 'transcribe()');
 * // TypeError: Unknown option `baseURL` for transcribe(); did you mean `baseUrl`?
 * ```
 */
export function checkOptionNames(options: unknown, known: readonly string[], fn: string, prefix = ''): void {
  if (typeof options !== 'object' || options === null) return;
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const meant = suggestOption(name, known);
    const hint =
      meant !== undefined ? `did you mean \`${prefix}${meant}\`?` : `${fn} takes ${known.map((k) => `\`${prefix}${k}\``).join(', ')}`;
    throw new TypeError(`Unknown option \`${prefix}${name}\` for ${fn}; ${hint}`);
  }
}
