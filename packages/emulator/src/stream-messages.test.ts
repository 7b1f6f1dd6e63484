import { parseServerMessage } from '@stt-stream/core/internal';
import { describe, expect, it } from 'vitest';
import { engineEventMessage, errorMessage, sessionEndedMessage, sessionStartedMessage } from './stream-messages.ts';

// The emulator's messages are built as core's wire types; here the client's own parser
// reads each one as it goes on the wire, and must find every field where it looks.
const onWire = (message: object) => parseServerMessage(JSON.stringify(message));

describe('stream messages: what the client parses from them', () => {
  it('session.started', () => {
    const params = { model: 'm', language: null, providerId: null, encoding: 'pcm_s16le', sampleRate: 8000, channels: 2, interimResults: true } as const;
    expect(onWire(sessionStartedMessage('sess_1', params))).toEqual({ type: 'session.started', sessionId: 'sess_1', model: 'm', sampleRate: 8000, channels: 2 });
  });

  it('transcript, with its words', () => {
    const words = [{ word: 'one', start: 0.2, end: 0.32, confidence: 0.95 }];
    const event = { type: 'transcript', isFinal: true, text: 'one', start: 0.2, end: 0.32, confidence: 0.95, language: 'en', channel: 1, words } as const;
    expect(onWire(engineEventMessage(event))).toEqual(event);
    expect(onWire(engineEventMessage({ ...event, isFinal: false, confidence: null, language: null, words: null }))).toEqual({
      ...event, isFinal: false, confidence: null, language: null, words: null,
    });
  });

  it('speech_started (its extra `channel` is not read)', () => {
    expect(onWire(engineEventMessage({ type: 'speech_started', timestamp: 1.25, channel: 1 }))).toEqual({ type: 'speech_started', timestamp: 1.25 });
  });

  it('session.ended', () => {
    expect(onWire(sessionEndedMessage(12.34))).toEqual({ type: 'session.ended', duration: 12.34 });
  });

  it('error, with and without param and retry_after', () => {
    expect(onWire(errorMessage('rate_limited', 'Slow down', { retry_after: 2 }))).toEqual({
      type: 'error', error: { code: 'rate_limited', message: 'Slow down', retry_after: 2 },
    });
    expect(onWire(errorMessage('invalid_input', 'model_id is required', { param: 'model_id' }))).toEqual({
      type: 'error', error: { code: 'invalid_input', message: 'model_id is required', param: 'model_id' },
    });
  });
});
