// Server-message fuzzing: whatever a server sends, the client does not crash,
// its prototypes stay clean, each message it rejects reaches the user as an
// `error` event with `protocol_error`, and the session goes on; only a message
// over the size limit ends it (see the test's title and MAX_MESSAGE_BYTES).
import fc from 'fast-check';
import { parseServerMessage } from '@stt-stream/core/internal';
import { SttError, createTranscriber, type TranscriptEvent } from '@stt-stream/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startScriptedServer, type ScriptedServer } from './fixtures/scripted-server.ts';
import { collect, finalsOf, framesOf } from './helpers.ts';

let server: ScriptedServer;
let script: (string | Uint8Array)[] = [];
beforeAll(async () => {
  server = await startScriptedServer({
    // After the first audio, the server sends the scripted messages; once all the audio
    // (0.5 s) is in, one good final that starts after anything a scripted final may
    // have validly covered (the 0.1 s sent by then).
    onAudio: (conn, bytes) => {
      if (conn.audioBytes === bytes) for (const m of script) conn.send(m);
      if (conn.audioBytes === 16000) {
        conn.send(JSON.stringify({ type: 'transcript', is_final: true, text: 'sentinel', start: 0.2, end: 0.45, channel: 0 }));
      }
    },
  });
});
afterAll(async () => {
  await server.close();
});

const types = fc.constantFrom('transcript', 'session.started', 'session.ended', 'speech_started', 'error', 'x-unknown', '__proto__', 'constructor');
const anyValue = fc.oneof(
  fc.jsonValue(),
  fc.string({ maxLength: 5 }),
  fc.double(),
  fc.constant(null),
  fc.constant(Number.MAX_VALUE),
  fc.constant(-1),
);
const message = fc.oneof(
  // Plausible messages with random or wrong-typed fields.
  fc.record(
    {
      type: types,
      is_final: fc.oneof(fc.boolean(), anyValue),
      text: fc.oneof(fc.string(), anyValue),
      start: fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), anyValue),
      end: fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), anyValue),
      channel: fc.oneof(fc.nat(3), anyValue),
      words: fc.oneof(fc.array(fc.record({ word: fc.string(), start: fc.double(), end: fc.double() })), anyValue),
      error: fc.oneof(fc.record({ code: fc.string(), message: fc.string() }), anyValue),
      session_id: fc.oneof(fc.string(), anyValue),
      timestamp: anyValue,
    },
    { requiredKeys: ['type'] },
  ).map((m) => JSON.stringify(m)),
  // Prototype pollution attempts.
  fc.constantFrom(
    '{"type":"transcript","is_final":false,"text":"x","start":0,"end":1,"__proto__":{"polluted":1}}',
    '{"__proto__":{"polluted":1},"type":"speech_started","timestamp":1}',
    '{"type":"error","error":{"code":"x","message":"y","__proto__":{"polluted":1}}}',
    '{"type":"transcript","is_final":true,"text":"x","start":0,"end":0.01,"words":[{"__proto__":{"polluted":1},"word":"a","start":0,"end":0.01}]}',
  ),
  // Garbage and huge strings.
  fc.string({ maxLength: 200 }),
  fc.constant(`{"type":"transcript","is_final":false,"text":"${'a'.repeat(2_000_000)}","start":0,"end":1}`),
  fc.constant('{"type":"transcript"'),
  fc.uint8Array({ minLength: 1, maxLength: 64 }),
);

/** The `ws` transport's default bound on one incoming message (`maxPayload`, 1 MiB): a longer one closes the connection with 1009. */
const MAX_MESSAGE_BYTES = 1 << 20;
const bytesOf = (m: string | Uint8Array) => (typeof m === 'string' ? new TextEncoder().encode(m).length : m.length);

/**
 * What the client must make of a script, by its own parser: the messages it rejects (each an
 * `error` event), and how the session ends. A message over {@link MAX_MESSAGE_BYTES} ends it:
 * the transport closes with 1009, a `protocol_error`, except that a valid `error` message the
 * server sent before it names the failure instead (the protocol has the server close right after
 * its `error` message, and the client reports the server's own words for that close).
 */
function expectedOutcome(messages: (string | Uint8Array)[]): { rejected: number; failure: string | undefined } {
  let rejected = 0;
  let serverCode: string | undefined;
  for (const m of messages) {
    if (bytesOf(m) > MAX_MESSAGE_BYTES) return { rejected, failure: serverCode ?? 'protocol_error' };
    try {
      const parsed = parseServerMessage(m);
      // A close is about the server's `error` only right after it: any other message it sends after it clears it.
      serverCode = parsed.type === 'error' ? parsed.error.code : undefined;
    } catch {
      rejected++;
    }
  }
  return { rejected, failure: undefined };
}

it('server-message fuzzing: no crash, no prototype pollution; each rejected message is a protocol_error event and the session goes on, unless a message is over the size limit', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 6 }), async (messages) => {
      script = messages;
      const expected = expectedOutcome(messages);
      const t = createTranscriber({ model: 'x', url: server.url, endTimeoutMs: 2000 });
      const errors: SttError[] = [];
      t.events.on('error', (e) => errors.push(e));
      let events: TranscriptEvent[] = [];
      let failure: unknown;
      try {
        events = await collect(framesOf(new Int16Array(8000), 16000, 1).pipeThrough(t));
      } catch (err) {
        failure = err;
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
      // Every `error` event is a protocol_error: one for each message the parser rejects
      // ("Malformed server message: …"), and one for each transcript or `session.started`
      // that parses but does not fit the stream ("Server message rejected: …").
      for (const e of errors) expect(e).toMatchObject({ code: 'protocol_error', retryable: false });
      expect(errors.filter((e) => e.message.startsWith('Malformed server message: '))).toHaveLength(expected.rejected);
      expect(errors.every((e) => /^(Malformed server message|Server message rejected): /.test(e.message))).toBe(true);
      if (expected.failure === undefined) {
        expect(failure).toBeUndefined();
        expect(finalsOf(events).some((f) => f.text === 'sentinel')).toBe(true);
        for (const e of events) {
          if (e.type === 'final' || e.type === 'interim') {
            expect(typeof e.text).toBe('string');
            expect(Number.isFinite(e.start) && Number.isFinite(e.end)).toBe(true);
          }
        }
      } else {
        expect(failure).toBeInstanceOf(SttError);
        expect(failure).toMatchObject({ code: expected.failure, closeCode: 1009, retryable: false });
        expect((failure as Error).message).toMatch(/^Connection closed \(1009\): /);
      }
    }),
    { numRuns: 40 },
  );
}, 120_000);
