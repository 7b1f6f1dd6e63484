/**
 * The transcriber's options, checked once, before anything else happens:
 * every number has a range (a value outside it is a RangeError that names
 * the option and the range), every other option a type (a TypeError naming
 * it).
 *
 * @module
 */
import { checkOptionNames, optionNames } from '../known-options.ts';
import { MAX_RETRY_TIME_MS } from '../retry.ts';
import { assertSubprotocolToken } from '../protocol/credentials.ts';
import type { SessionSettings } from '../session/commands.ts';
import { catchUpFrames, frameMsOption, frameSamples } from '../session/framing.ts';
import type { ReconnectSettings } from '../session/reconnect-policy.ts';
import type { SpeechSettings } from '../session/speech.ts';
import type { VoiceActivityDetector } from '../vad/detector.ts';
import type { ReconnectOptions, TranscriberOptions, TranscriberVoiceActivityOptions } from './types.ts';

/**
 * The options of `createTranscriber` (`TranscriberOptions`). Adding an option
 * to `TranscriberOptions` means adding its name here (the compiler says so).
 */
export const TRANSCRIBER_OPTIONS: readonly string[] = optionNames<TranscriberOptions>()([
  'model',
  'url',
  'apiKey',
  'token',
  'language',
  'providerId',
  'sampleRate',
  'channels',
  'interimResults',
  'frameMs',
  'reconnect',
  'replayWindowSeconds',
  'overflow',
  'windowWaitMs',
  'signal',
  'transport',
  'highWaterMarkBytes',
  'realtimeFactor',
  'keepAliveMs',
  'stallTimeoutMs',
  'connectTimeoutMs',
  'endTimeoutMs',
  'readableHighWaterMark',
  'maxBufferedEvents',
  'voiceActivity',
]);

/** The keys of `createTranscriber`'s `reconnect` object (`ReconnectOptions`). */
export const RECONNECT_OPTIONS: readonly string[] = optionNames<ReconnectOptions>()(['retries', 'minDelayMs', 'maxDelayMs', 'maxRetryTimeMs']);

/** The options of `voiceActivity` (`TranscriberVoiceActivityOptions`). */
export const VOICE_ACTIVITY_OPTIONS: readonly string[] = optionNames<TranscriberVoiceActivityOptions>()([
  'sendOnlySpeech',
  'finalizeOnSpeechEnd',
  'hangoverMs',
  'preRollMs',
  'threshold',
  'endThreshold',
  'minSpeechMs',
  'detector',
]);

/**
 * `createTranscriber`'s check of its option names, `reconnect`'s keys
 * included ({@link TRANSCRIBER_OPTIONS}, {@link RECONNECT_OPTIONS}).
 *
 * @param fn - how the user called it
 * @throws TypeError naming the unknown option and, for a near miss, the right one
 * @example
 * ```ts
 * checkTranscriberOptions({ model: 'whisper-1', baseUrl: 'http://127.0.0.1:8080' });
 * // TypeError: Unknown option `baseUrl` for createTranscriber(); did you mean `url`?
 * ```
 */
export function checkTranscriberOptions(options: unknown, fn = 'createTranscriber()'): void {
  checkOptionNames(options, TRANSCRIBER_OPTIONS, fn);
  const { reconnect, voiceActivity } = (options ?? {}) as { reconnect?: unknown; voiceActivity?: unknown };
  checkOptionNames(reconnect, RECONNECT_OPTIONS, fn, 'reconnect.');
  if (typeof voiceActivity === 'object') checkOptionNames(voiceActivity, VOICE_ACTIVITY_OPTIONS, fn, 'voiceActivity.');
}

/** Defaults and ranges of the numeric options (documented on `TranscriberOptions`). */
export const LIMITS = {
  sampleRate: { min: 8000, max: 48000, default: 16000 },
  replayWindowSeconds: { min: 1, max: 300, default: 30, fractional: true },
  highWaterMarkBytes: { min: 1024, max: 64 * 1024 * 1024, default: 65536 },
  realtimeFactor: { min: 0.1, max: 1000, default: Infinity, fractional: true },
  keepAliveMs: { min: 100, max: 60_000, default: 5000 },
  stallTimeoutMs: { min: 100, max: 300_000, default: 10_000 },
  connectTimeoutMs: { min: 100, max: 300_000, default: 10_000 },
  endTimeoutMs: { min: 100, max: 600_000, default: 15_000 },
  windowWaitMs: { min: 0, max: 600_000, default: 5000 },
  readableHighWaterMark: { min: 1, max: 10_000, default: 64 },
  maxBufferedEvents: { min: 16, max: 1_000_000, default: 10_000 },
  retries: { min: 0, max: 100, default: 8 },
  minDelayMs: { min: 0, max: 60_000, default: 500 },
  maxDelayMs: { min: 0, max: 600_000, default: 5000 },
  maxRetryTimeMs: { min: 0, max: MAX_RETRY_TIME_MS, default: 20_000 },
  hangoverMs: { min: 0, max: 5000, default: 400 },
  preRollMs: { min: 0, max: 2000, default: 200 },
  threshold: { min: 0, max: 1, default: 0.5, fractional: true },
  minSpeechMs: { min: 0, max: 1000, default: 50 },
} as const;

/** A numeric option's range and default; `fractional` ones take any number, the rest integers. */
type Limit = { min: number; max: number; default: number; fractional?: boolean };

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

/**
 * A number option within its limit: an integer unless the limit is
 * `fractional`, in which case any number in range (and the default, even
 * `Infinity`) passes.
 */
function checkedOption(value: unknown, name: string, limit: Limit): number {
  if (value === undefined) return limit.default;
  const integer = !limit.fractional;
  if (typeof value !== 'number' || (integer ? !Number.isInteger(value) : Number.isNaN(value))) {
    throw new TypeError(`Invalid option \`${name}\`: expected ${integer ? 'an integer' : 'a number'}, got ${describe(value)}`);
  }
  if (!integer && value === limit.default) return value;
  if (!(value >= limit.min && value <= limit.max)) {
    throw new RangeError(`Invalid option \`${name}\`: must be from ${limit.min} to ${limit.max}, got ${value}`);
  }
  return value;
}

/** The options checked against their {@link LIMITS} entry under their own name, in this order. */
const PLAIN_OPTIONS = [
  'windowWaitMs', 'highWaterMarkBytes', 'realtimeFactor', 'keepAliveMs', 'stallTimeoutMs', 'connectTimeoutMs', 'endTimeoutMs',
  'readableHighWaterMark', 'maxBufferedEvents',
] as const;

/** The client's voice activity detection, resolved: what the session needs, and how to make the detector. */
export interface ResolvedVoiceActivity {
  speech: SpeechSettings;
  gate: { hangoverMs: number; preRollMs: number; threshold: number; endThreshold: number; minSpeechMs: number };
  detector: ((channel: number) => VoiceActivityDetector) | undefined;
}

/** What the options given to `createTranscriber` resolve to. */
export interface ResolvedOptions {
  session: SessionSettings;
  readableHighWaterMark: number;
  voiceActivity: ResolvedVoiceActivity | null;
}

/** The `voiceActivity` option checked: `null` when off. */
function resolveVoiceActivity(value: TranscriberOptions['voiceActivity'], sampleRate: number): ResolvedVoiceActivity | null {
  if (value === undefined || value === false) return null;
  if (value !== true && (typeof value !== 'object' || value === null)) {
    throw new TypeError(`Invalid option \`voiceActivity\`: expected true, false or an object, got ${describe(value)}`);
  }
  const v = value === true ? {} : value;
  for (const name of ['sendOnlySpeech', 'finalizeOnSpeechEnd'] as const) {
    if (v[name] !== undefined && typeof v[name] !== 'boolean') throw new TypeError(`Invalid option \`voiceActivity.${name}\`: expected a boolean, got ${describe(v[name])}`);
  }
  if (v.detector !== undefined && typeof v.detector !== 'function') {
    throw new TypeError(`Invalid option \`voiceActivity.detector\`: expected a function that makes a VoiceActivityDetector, got ${describe(v.detector)}`);
  }
  const hangoverMs = checkedOption(v.hangoverMs, 'voiceActivity.hangoverMs', LIMITS.hangoverMs);
  const preRollMs = checkedOption(v.preRollMs, 'voiceActivity.preRollMs', LIMITS.preRollMs);
  const threshold = checkedOption(v.threshold, 'voiceActivity.threshold', LIMITS.threshold);
  const endThreshold = checkedOption(v.endThreshold, 'voiceActivity.endThreshold', { min: 0, max: threshold, default: Math.min(0.35, threshold), fractional: true });
  const minSpeechMs = checkedOption(v.minSpeechMs, 'voiceActivity.minSpeechMs', LIMITS.minSpeechMs);
  return {
    speech: {
      sendOnlySpeech: v.sendOnlySpeech ?? true,
      finalizeOnSpeechEnd: v.finalizeOnSpeechEnd ?? false,
      // The pre-roll reaches back before the onset the detector reports, which comes a run and a chunk late (the
      // default's chunk is 20 ms; transcriber/speech-chunk.ts widens this to the chunk of the detector it makes).
      tailSamples: Math.ceil(((preRollMs + minSpeechMs + 100) * sampleRate) / 1000),
    },
    gate: { hangoverMs, preRollMs, threshold, endThreshold, minSpeechMs },
    detector: v.detector,
  };
}

/**
 * Checks the options and resolves the defaults.
 *
 * @throws TypeError or RangeError naming the option (and its range)
 */
export function resolveOptions(options: TranscriberOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('createTranscriber: expected an options object');
  checkTranscriberOptions(options);
  if (typeof options.model !== 'string' || options.model.trim() === '') {
    throw new TypeError('Invalid option `model`: expected a model id such as "whisper-1"');
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new TypeError('Invalid option `apiKey`: expected a non-empty string');
  }
  if (typeof options.token === 'string') assertSubprotocolToken(options.token);
  else if (options.token !== undefined && typeof options.token !== 'function') {
    throw new TypeError('Invalid option `token`: expected a string or a function returning one');
  }
  const sampleRate = checkedOption(options.sampleRate, 'sampleRate', LIMITS.sampleRate);
  const channels = checkedOption(options.channels, 'channels', { min: 1, max: 2, default: 1 });
  const frameMs = frameMsOption(options.frameMs);
  const windowSeconds = checkedOption(options.replayWindowSeconds, 'replayWindowSeconds', LIMITS.replayWindowSeconds);
  if (options.overflow !== undefined && options.overflow !== 'wait' && options.overflow !== 'drop-oldest') {
    throw new TypeError(`Invalid option \`overflow\`: expected 'wait' or 'drop-oldest', got ${String(options.overflow)}`);
  }
  let reconnect: ReconnectSettings | false = false;
  if (options.reconnect !== false) {
    const r = options.reconnect ?? {};
    if (typeof r !== 'object' || r === null) throw new TypeError('Invalid option `reconnect`: expected false or an object');
    const minDelayMs = checkedOption(r.minDelayMs, 'reconnect.minDelayMs', LIMITS.minDelayMs);
    const maxDelayMs = checkedOption(r.maxDelayMs, 'reconnect.maxDelayMs', { ...LIMITS.maxDelayMs, default: Math.max(LIMITS.maxDelayMs.default, minDelayMs) });
    if (maxDelayMs < minDelayMs) {
      throw new RangeError(`Invalid option \`reconnect.maxDelayMs\`: must be at least \`reconnect.minDelayMs\` (${minDelayMs}), got ${maxDelayMs}`);
    }
    reconnect = {
      retries: checkedOption(r.retries, 'reconnect.retries', LIMITS.retries),
      minDelayMs,
      maxDelayMs,
      maxRetryTimeMs: checkedOption(r.maxRetryTimeMs, 'reconnect.maxRetryTimeMs', LIMITS.maxRetryTimeMs),
    };
  }
  const plain = {} as Record<(typeof PLAIN_OPTIONS)[number], number>;
  for (const name of PLAIN_OPTIONS) plain[name] = checkedOption(options[name], name, LIMITS[name]);
  const { readableHighWaterMark, maxBufferedEvents, ...timing } = plain;
  const voiceActivity = resolveVoiceActivity(options.voiceActivity, sampleRate);
  return {
    session: {
      sampleRate,
      channels,
      frameSamples: frameSamples(sampleRate, frameMs),
      messageFrames: catchUpFrames(frameMs),
      windowSamples: Math.round(windowSeconds * sampleRate),
      overflow: options.overflow ?? 'wait',
      ...timing,
      reconnect,
      maxBufferedEvents,
      ...(voiceActivity ? { speech: voiceActivity.speech } : {}),
    },
    readableHighWaterMark,
    voiceActivity,
  };
}
