/**
 * Fault plans: what the emulator does wrong on purpose, per server, per
 * connection, or per URL (`?fault=<JSON FaultPlan>`).
 *
 * @module
 */
import { optionNames, suggestOption } from '@stt-stream/core/internal';
import { isSendableCloseCode } from './error-envelope.ts';

/**
 * When a fault fires: after `afterMs` milliseconds from the moment the
 * session started, or once the connection has received `afterBytes` bytes of
 * audio, whichever comes first. With neither, it fires at once.
 *
 * For `drop` and `close`, the audio message that reaches `afterBytes` is
 * counted but not heard (no events come from it); for `stall` it is heard.
  *
  * @example After half a second or 1 s of 16 kHz mono audio
  * ```ts
  * const trigger: FaultTrigger = { afterMs: 500, afterBytes: 32000 };
  * ```
 */
export interface FaultTrigger {
  afterMs?: number;
  afterBytes?: number;
}

/**
 * What to do wrong, all optional. Any mix works; the first to fire wins
 * for `drop` and `close`.
 *
 * @example Drop the connection after one second of 16 kHz mono audio, once
 * ```ts
 * const plan: FaultPlan = { key: 'test-1', times: 1, drop: { afterBytes: 32000 } };
 * const url = `${emulator.url}?model_id=m&fault=${encodeURIComponent(JSON.stringify(plan))}`;
 * ```
 */
export interface FaultPlan {
  /**
   * Apply the plan to the first `times` connections only (counted per
   * `key`; without a key, per identical plan).
   */
  times?: number;
  /** The counter `times` is kept under. */
  key?: string;
  /**
   * Refuse the upgrade with this HTTP status and the error envelope
   * (`code` defaults from the status: 401 unauthenticated, 429
   * rate_limited, 502 provider_unavailable, …). `retryAfter` becomes the
   * `Retry-After` header (seconds or an HTTP date).
   */
  refuse?: { status: number; code?: string; message?: string; retryAfter?: number | string };
  /** Destroy the TCP connection without a close frame (the client sees 1006). */
  drop?: FaultTrigger;
  /**
   * Close with `code` (1001, 1011, 1012, 1013, 4010, 4029, 4502, or any
   * code a close frame may carry). For a 4xxx code an `error` message with
   * the matching code comes first (4029: with `retry_after`, default 1 s).
   */
  close?: FaultTrigger & { code: number; retryAfter?: number; message?: string };
  /** Stop reading from the socket (`socket.pause()`) for `forMs`. The idle timer is suspended meanwhile. */
  stall?: FaultTrigger & { forMs: number };
  /** Send every server message this many milliseconds late (order kept; closes wait too). */
  delayMs?: number;
  /** Close with 4010 once the connection has received this many seconds of audio (overrides the server's). */
  maxSessionSeconds?: number;
  /**
   * A gateway slower than its input: the engine hears audio at most this
   * many times real time (e.g. `0.5`: 10 s of audio take 20 s). The socket is
   * still read as fast as the client sends (so its audio leaves it); what was
   * read waits in order and is heard at that pace, so interims and finals
   * come at that pace. A `finalize` or `end` is handled once the audio before
   * it has been heard: `end` gets its last finals, then `session.ended`, then
   * the close. Messages after `end` are ignored. The idle timer is suspended
   * while audio waits and once `end` was read; it starts again when the
   * queue empties. `maxSessionSeconds` counts audio as it is heard; `drop`,
   * `close` and `stall` triggers count bytes as they are read.
   */
  processRate?: number;
}

/** The option names a {@link FaultPlan} holds takes. */
export const FAULT_PLAN_KEYS = optionNames<FaultPlan>()(['times', 'key', 'refuse', 'drop', 'close', 'stall', 'delayMs', 'maxSessionSeconds', 'processRate']);

/**
 * Checks that a value is a well-formed {@link FaultPlan}.
 *
 * @param value the plan, e.g. parsed from the `fault` query parameter
 * @param where what to call it in error messages
 * @throws TypeError naming the first bad field
 *
 * @example Validate a plan read from JSON
 * ```ts
 * const plan = validateFaultPlan(JSON.parse('{"close":{"code":1012,"afterMs":50}}'));
 * ```
 */
export function validateFaultPlan(value: unknown, where = 'fault plan'): FaultPlan {
  const fail = (field: string, expected: string): never => {
    throw new TypeError(`Invalid ${where}: \`${field}\` must be ${expected}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('(root)', 'an object');
  const plan = value as Record<string, unknown>;
  const unknown = Object.keys(plan).find((k) => !FAULT_PLAN_KEYS.includes(k as never));
  if (unknown !== undefined) {
    const meant = suggestOption(unknown, FAULT_PLAN_KEYS);
    throw new TypeError(`Invalid ${where}: unknown field \`${unknown}\`; ${meant ? `did you mean \`${meant}\`?` : `a plan holds ${FAULT_PLAN_KEYS.join(', ')}`}`);
  }
  const count = (v: unknown, field: string): void => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) fail(field, 'a non-negative number');
  };
  const object = (v: unknown, field: string): Record<string, unknown> | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'an object');
    return v as Record<string, unknown>;
  };
  const trigger = (t: Record<string, unknown>, field: string): void => {
    count(t.afterMs, `${field}.afterMs`);
    count(t.afterBytes, `${field}.afterBytes`);
  };
  if (plan.times !== undefined && !(Number.isInteger(plan.times) && (plan.times as number) >= 0)) fail('times', 'a non-negative integer');
  if (plan.key !== undefined && typeof plan.key !== 'string') fail('key', 'a string');
  const refuse = object(plan.refuse, 'refuse');
  if (refuse) {
    if (!(Number.isInteger(refuse.status) && (refuse.status as number) >= 400 && (refuse.status as number) <= 599)) fail('refuse.status', 'an HTTP status from 400 to 599');
    if (refuse.code !== undefined && typeof refuse.code !== 'string') fail('refuse.code', 'a string');
    if (refuse.message !== undefined && typeof refuse.message !== 'string') fail('refuse.message', 'a string');
    if (refuse.retryAfter !== undefined && typeof refuse.retryAfter !== 'string') count(refuse.retryAfter, 'refuse.retryAfter');
  }
  const drop = object(plan.drop, 'drop');
  if (drop) trigger(drop, 'drop');
  const close = object(plan.close, 'close');
  if (close) {
    trigger(close, 'close');
    if (typeof close.code !== 'number' || !isSendableCloseCode(close.code)) fail('close.code', 'a close code a close frame may carry (1000-1014 less 1004-1006, or 3000-4999)');
    count(close.retryAfter, 'close.retryAfter');
    if (close.message !== undefined && typeof close.message !== 'string') fail('close.message', 'a string');
  }
  const stall = object(plan.stall, 'stall');
  if (stall) {
    trigger(stall, 'stall');
    if (typeof stall.forMs !== 'number') fail('stall.forMs', 'a non-negative number');
    count(stall.forMs, 'stall.forMs');
  }
  count(plan.delayMs, 'delayMs');
  if (plan.maxSessionSeconds !== undefined && !(typeof plan.maxSessionSeconds === 'number' && plan.maxSessionSeconds > 0)) fail('maxSessionSeconds', 'a positive number');
  if (plan.processRate !== undefined && !(typeof plan.processRate === 'number' && Number.isFinite(plan.processRate) && plan.processRate > 0)) {
    fail('processRate', 'a positive finite number (times real time)');
  }
  return plan as FaultPlan;
}

/**
 * Parses the `fault` query parameter: a JSON {@link FaultPlan}.
 *
 * @throws TypeError when it is not JSON or not a valid plan
 *
 * @example From a URL
 * ```ts
 * const plan = parseFaultParam(new URL(url).searchParams.get('fault')!);
 * ```
 */
export function parseFaultParam(text: string): FaultPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TypeError('Invalid `fault` query parameter: not valid JSON');
  }
  return validateFaultPlan(value, '`fault` query parameter');
}

/**
 * Builds the URL of a connection that will suffer `plan`.
 *
 * @example A close with 1012 after 200 ms, for the first connection only
 * ```ts
 * const url = withFault(`${emulator.url}?model_id=m`, { key: 'k', times: 1, close: { code: 1012, afterMs: 200 } });
 * ```
 */
export function withFault(url: string, plan: FaultPlan): string {
  const u = new URL(url);
  u.searchParams.set('fault', JSON.stringify(plan));
  return u.toString();
}
