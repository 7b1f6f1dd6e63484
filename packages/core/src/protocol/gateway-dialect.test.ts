import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SttError, type ErrorEnvelope } from '../errors.ts';
import type { TranscriptWord } from '../types.ts';
import { assertSubprotocolToken } from './credentials.ts';
import { buildStreamUrl, parseServerMessage, type ServerMessage } from './gateway-dialect.ts';

const params = { model: 'whisper-1', sampleRate: 16000, channels: 1, interimResults: true };

describe('gateway dialect', () => {
  it('buildStreamUrl - adds the dialect parameters and keeps the base query', () => {
    const url = new URL(buildStreamUrl('ws://127.0.0.1:9/v1/stt/stream?fault=x', { ...params, language: 'en' }));
    expect(url.searchParams.get('fault')).toBe('x');
    expect(url.searchParams.get('model_id')).toBe('whisper-1');
    expect(url.searchParams.get('encoding')).toBe('pcm_s16le');
    expect(url.searchParams.get('sample_rate')).toBe('16000');
    expect(url.searchParams.get('channels')).toBe('1');
    expect(url.searchParams.get('interim_results')).toBe('true');
    expect(url.searchParams.get('language')).toBe('en');
    expect(url.searchParams.has('provider_id')).toBe(false);
  });

  it('buildStreamUrl - turns https into wss and refuses credentials in the URL', () => {
    expect(buildStreamUrl('https://gateway.example/v1/stt/stream', params).startsWith('wss://')).toBe(true);
    expect(() => buildStreamUrl('wss://g.example/s?api_key=abc', params)).toThrow(/credentials do not go in a URL/);
    expect(() => buildStreamUrl('not a url', params)).toThrow(TypeError);
    expect(() => buildStreamUrl('ftp://x/', params)).toThrow(/ws:, wss:/);
  });

  it('assertSubprotocolToken - takes keys, JWTs and base64url; refuses + / = and spaces without echoing them', () => {
    expect(() => assertSubprotocolToken('ze_abc123')).not.toThrow();
    expect(() => assertSubprotocolToken('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl-_')).not.toThrow();
    for (const bad of ['a+b', 'a/b', 'abc=', 'a b', '', 'é']) {
      let message = '';
      try {
        assertSubprotocolToken(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(TypeError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/Invalid option `token`/);
      if (bad.length > 1) expect(message).not.toContain(bad);
    }
  });

  it('parseServerMessage - reads a transcript', () => {
    const msg = parseServerMessage(
      JSON.stringify({
        type: 'transcript', is_final: true, text: 'one two', start: 0.25, end: 0.8, confidence: null, language: 'en', channel: 0,
        words: [{ word: 'one', start: 0.25, end: 0.35, confidence: 0.9 }], extra: 1,
      }),
    );
    expect(msg).toEqual({
      type: 'transcript', isFinal: true, text: 'one two', start: 0.25, end: 0.8, confidence: null, language: 'en', channel: 0,
      words: [{ word: 'one', start: 0.25, end: 0.35, confidence: 0.9 }],
    });
  });

  it('parseServerMessage - unknown types pass as unknown; malformed ones are protocol errors', () => {
    expect(parseServerMessage('{"type":"metadata","x":1}')).toEqual({ type: 'unknown', name: 'metadata' });
    for (const bad of ['not json', '[]', '{"no":"type"}', '{"type":"transcript","text":"x"}', '{"type":"session.started"}', '{"type":"error","error":{}}']) {
      try {
        parseServerMessage(bad);
        expect.unreachable(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(SttError);
        expect((err as SttError).code).toBe('protocol_error');
      }
    }
    expect(() => parseServerMessage(new Uint8Array([1, 2]))).toThrow(/binary/);
  });

  it('parseServerMessage - a valid message of each type parses to its fields, with the defaults for what it omits (property)', () => {
    fc.assert(
      fc.property(validMessage, ({ wire, expected }) => {
        expect(parseServerMessage(JSON.stringify(wire))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('parseServerMessage - a message with one required field missing or wrong is a protocol_error naming it (property)', () => {
    fc.assert(
      fc.property(invalidMessage, ({ text, names }) => {
        expectProtocolError(text, names);
      }),
      { numRuns: 500 },
    );
    expectProtocolError(new Uint8Array([1, 2]), /expected text, got a binary message/);
    expectProtocolError(JSON.stringify({ type: 'transcript', is_final: true, text: 'a'.repeat((1 << 20) + 1), start: 0, end: 1 }), /`text` is too long/);
  });

  it('parseServerMessage - arbitrary JSON never crashes and never pollutes prototypes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom('transcript', 'session.started', 'error', 'speech_started', 'session.ended'), (value, type) => {
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        const text = JSON.stringify(isObject ? { ...value, type } : value);
        let parsed: ServerMessage | undefined;
        try {
          parsed = parseServerMessage(text);
        } catch (err) {
          expect(err).toBeInstanceOf(SttError);
          expect((err as SttError).code).toBe('protocol_error');
          return;
        }
        // What parses is an object of the type sent, each field copied from the input.
        expect(isObject).toBe(true);
        expect(parsed.type).toBe(type);
        const input = value as Record<string, unknown>;
        if (parsed.type === 'transcript') {
          expect([parsed.isFinal, parsed.text, parsed.start, parsed.end]).toEqual([input.is_final, input.text, input.start, input.end]);
        } else if (parsed.type === 'session.started') {
          expect(parsed.sessionId).toBe(input.session_id);
        } else if (parsed.type === 'speech_started') {
          expect(parsed.timestamp).toBe(input.timestamp);
        } else if (parsed.type === 'error') {
          expect(parsed.error.code).toBe((input.error as Record<string, unknown>).code);
        }
      }),
    );
    const polluted = parseServerMessage('{"type":"transcript","is_final":false,"text":"x","start":0,"end":1,"__proto__":{"polluted":true}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((polluted as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// Generators of the property tests: each valid message comes with what the parser must
// return for it, built from the same draw (the wire form in snake_case, the parsed one in
// camelCase, with the documented defaults where the wire omits a field or sends it wrong).

/** A field left out of the wire message. */
const ABSENT = Symbol('absent');
type Field<T> = { wire: unknown; value: T };
type Wire = Record<string, unknown>;

/** The wire object, without the absent fields. */
const wireOf = (fields: Record<string, unknown>): Wire => Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ABSENT));

/** A finite number that survives JSON (no -0: it comes back as 0). */
const finite = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((n) => n + 0);
const wrongType = fc.oneof(fc.string({ maxLength: 4 }), fc.boolean(), fc.constant([]), fc.constant({}));
/** An optional number: absent, null or of another type reads as null. */
const optNumber: fc.Arbitrary<Field<number | null>> = fc.oneof(
  fc.constant({ wire: ABSENT, value: null }),
  fc.constant({ wire: null, value: null }),
  finite(-1e6, 1e6).map((n) => ({ wire: n, value: n })),
  fc.oneof(fc.string({ maxLength: 4 }), fc.boolean(), fc.constant([])).map((v) => ({ wire: v, value: null })),
);
/** An optional string: absent, null or of another type reads as null. */
const optString: fc.Arbitrary<Field<string | null>> = fc.oneof(
  fc.constant({ wire: ABSENT, value: null }),
  fc.constant({ wire: null, value: null }),
  fc.string({ maxLength: 8 }).map((v) => ({ wire: v, value: v })),
  fc.oneof(finite(-10, 10), fc.boolean()).map((v) => ({ wire: v, value: null })),
);
/** Fields a newer server may add: ignored. */
const extras = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !KNOWN_FIELDS.has(k) && k !== '__proto__'),
  fc.jsonValue({ maxDepth: 2 }),
  { maxKeys: 3 },
);
const KNOWN_FIELDS = new Set([
  'type', 'is_final', 'text', 'start', 'end', 'confidence', 'language', 'channel', 'words',
  'session_id', 'model', 'sample_rate', 'channels', 'timestamp', 'duration', 'error',
]);

const word = fc
  .record({ word: fc.string({ maxLength: 8 }), start: finite(0, 1e4), end: finite(0, 1e4), confidence: optNumber })
  .map((w) => ({
    wire: wireOf({ word: w.word, start: w.start, end: w.end, confidence: w.confidence.wire }),
    value: { word: w.word, start: w.start, end: w.end, confidence: w.confidence.value },
  }));

const transcript = fc
  .record({
    extra: extras,
    isFinal: fc.boolean(),
    text: fc.string({ unit: 'grapheme', maxLength: 40 }),
    start: finite(0, 1e5),
    length: finite(0, 100),
    confidence: optNumber,
    language: optString,
    channel: fc.oneof(
      fc.constant({ wire: ABSENT, value: 0 }),
      fc.constant({ wire: null, value: 0 }),
      fc.nat(7).map((c) => ({ wire: c, value: c })),
    ) as fc.Arbitrary<Field<number>>,
    words: fc.oneof(
      fc.constant({ wire: ABSENT, value: null }),
      fc.constant({ wire: null, value: null }),
      fc.array(word, { maxLength: 4 }).map((ws) => ({ wire: ws.map((w) => w.wire), value: ws.map((w) => w.value) })),
    ) as fc.Arbitrary<Field<TranscriptWord[] | null>>,
  })
  .map((f) => {
    const end = f.start + f.length;
    return {
      wire: wireOf({
        ...f.extra, type: 'transcript', is_final: f.isFinal, text: f.text, start: f.start, end,
        confidence: f.confidence.wire, language: f.language.wire, channel: f.channel.wire, words: f.words.wire,
      }),
      expected: {
        type: 'transcript', isFinal: f.isFinal, text: f.text, start: f.start, end,
        confidence: f.confidence.value, language: f.language.value, channel: f.channel.value, words: f.words.value,
      } satisfies ServerMessage,
    };
  });

const sessionStarted = fc
  .record({ extra: extras, sessionId: fc.string({ maxLength: 12 }), model: optString, sampleRate: optNumber, channels: optNumber })
  .map((f) => ({
    wire: wireOf({ ...f.extra, type: 'session.started', session_id: f.sessionId, model: f.model.wire, sample_rate: f.sampleRate.wire, channels: f.channels.wire }),
    expected: { type: 'session.started', sessionId: f.sessionId, model: f.model.value, sampleRate: f.sampleRate.value, channels: f.channels.value } satisfies ServerMessage,
  }));

const speechStarted = fc.record({ extra: extras, timestamp: finite(-1e5, 1e5) }).map((f) => ({
  wire: { ...f.extra, type: 'speech_started', timestamp: f.timestamp },
  expected: { type: 'speech_started', timestamp: f.timestamp } satisfies ServerMessage,
}));

const sessionEnded = fc.record({ extra: extras, duration: optNumber }).map((f) => ({
  wire: wireOf({ ...f.extra, type: 'session.ended', duration: f.duration.wire }),
  expected: { type: 'session.ended', duration: f.duration.value } satisfies ServerMessage,
}));

const errorMessage = fc
  .record({
    extra: extras,
    code: fc.string({ maxLength: 12 }),
    // A message that is not a string reads as the code.
    message: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(ABSENT), fc.integer()),
    // A param that is not a string, and a retry_after that is not a finite number ≥ 0, are left out.
    param: fc.oneof(fc.string({ maxLength: 6 }), fc.constant(ABSENT), fc.integer()),
    retryAfter: fc.oneof(finite(0, 3600), fc.constant(ABSENT), finite(-3600, -0.001), fc.string({ maxLength: 3 })),
  })
  .map((f) => {
    const error: ErrorEnvelope['error'] = { code: f.code, message: typeof f.message === 'string' ? f.message : f.code };
    if (typeof f.param === 'string') error.param = f.param;
    if (typeof f.retryAfter === 'number' && f.retryAfter >= 0) error.retry_after = f.retryAfter;
    return {
      wire: { ...f.extra, type: 'error', error: wireOf({ code: f.code, message: f.message, param: f.param, retry_after: f.retryAfter }) },
      expected: { type: 'error', error } satisfies ServerMessage,
    };
  });

const KNOWN_TYPES = ['transcript', 'session.started', 'speech_started', 'session.ended', 'error'];
const unknownType = fc
  // Names over 64 characters come back cut to 64.
  .record({ extra: extras, type: fc.oneof(fc.string({ maxLength: 64 }), fc.string({ minLength: 65, maxLength: 100 })).filter((t) => !KNOWN_TYPES.includes(t)) })
  .map((f) => ({ wire: { ...f.extra, type: f.type }, expected: { type: 'unknown', name: f.type.slice(0, 64) } satisfies ServerMessage }));

const validMessage: fc.Arbitrary<{ wire: Wire; expected: ServerMessage }> = fc.oneof(
  transcript,
  sessionStarted,
  speechStarted,
  sessionEnded,
  errorMessage,
  unknownType,
);

/** A valid wire message broken in one place, and what the error message must name. */
const broken = <T extends { wire: Wire }>(valid: fc.Arbitrary<T>, breaks: [fc.Arbitrary<(w: Wire) => Wire>, RegExp][]) =>
  fc.oneof(...breaks.map(([fix, names]) => fc.tuple(valid, fix).map(([v, f]) => ({ text: JSON.stringify(f({ ...v.wire })), names }))));
const set = (key: string, values: fc.Arbitrary<unknown>) => values.map((v) => (w: Wire) => (v === ABSENT ? (delete w[key], w) : { ...w, [key]: v }));
const orAbsent = (values: fc.Arbitrary<unknown>) => fc.oneof(fc.constant(ABSENT), fc.constant(null), values);

const invalidMessage: fc.Arbitrary<{ text: string; names: RegExp }> = fc.oneof(
  broken(transcript, [
    [set('is_final', orAbsent(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()))), /transcript lacks `is_final`/],
    [set('text', orAbsent(fc.oneof(fc.integer(), fc.boolean(), fc.constant([])))), /transcript lacks `text`/],
    [set('start', orAbsent(wrongType)), /transcript lacks `start` or `end`/],
    [set('end', orAbsent(wrongType)), /transcript lacks `start` or `end`/],
    [finite(0.001, 100).map((d) => (w: Wire) => ({ ...w, end: (w.start as number) - d })), /transcript ends before it starts/],
    [set('channel', fc.oneof(fc.integer({ min: -100, max: -1 }), finite(0.1, 0.9), fc.string({ maxLength: 2 }), fc.boolean())), /`channel` is not a channel index/],
    [set('words', fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constant({}))), /`words` is not an array/],
    [set('words', fc.constantFrom([null], [1], ['w'])), /words\[0\] is not an object/],
    [set('words', fc.constantFrom([{ start: 0, end: 1 }], [{ word: 'a', end: 1 }], [{ word: 'a', start: 0, end: '1' }], [{ word: 1, start: 0, end: 1 }])), /words\[0\] lacks word, start or end/],
  ]),
  broken(sessionStarted, [[set('session_id', orAbsent(fc.oneof(fc.integer(), fc.boolean()))), /session\.started lacks `session_id`/]]),
  broken(speechStarted, [[set('timestamp', orAbsent(wrongType)), /speech_started lacks `timestamp`/]]),
  broken(errorMessage, [
    [set('error', orAbsent(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()))), /error message lacks `error\.code`/],
    [fc.oneof(fc.integer(), fc.constant(null), fc.constant(ABSENT)).map((c) => (w: Wire) => ({ ...w, error: wireOf({ ...(w.error as Wire), code: c }) })), /error message lacks `error\.code`/],
  ]),
  broken(validMessage, [[set('type', orAbsent(fc.oneof(fc.integer(), fc.boolean(), fc.constant({})))), /missing `type`/]]),
  fc.oneof(fc.constant(null), fc.integer(), fc.string({ maxLength: 8 }), fc.boolean(), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 })).map((v) => ({
    text: JSON.stringify(v),
    names: /not a JSON object/,
  })),
  validMessage.chain(({ wire }) => {
    const text = JSON.stringify(wire);
    return fc.integer({ min: 0, max: text.length - 1 }).map((cut) => ({ text: text.slice(0, cut), names: /not valid JSON/ }));
  }),
);

function expectProtocolError(input: string | Uint8Array, names: RegExp): void {
  let thrown: unknown;
  try {
    parseServerMessage(input);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, String(input)).toBeInstanceOf(SttError);
  expect(thrown).toMatchObject({ code: 'protocol_error', retryable: false });
  expect((thrown as Error).message).toMatch(/^Malformed server message: /);
  expect((thrown as Error).message).toMatch(names);
}
