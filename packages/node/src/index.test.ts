import { dtmfSamples, startEmulator } from '@stt-stream/emulator';
import { describe, expect, it } from 'vitest';
import * as node from './index.ts';

// The package entry: core re-exported, createTranscriber over `ws` by
// default, and the browser stub.

describe('@stt-stream/node', () => {
  it('index - re-exports core and adds the Node parts', () => {
    for (const name of ['SttError', 'SttAuthError', 'transcribe', 'WavDecoder', 'createWebSocketTransport']) expect(node).toHaveProperty(name);
    // core's helpers for the sibling packages stay in @stt-stream/core/internal
    for (const name of ['isRetryable', 'connectAttempt', 'errorFromResponse', 'redactUrl', 'parseServerMessage', 'ReplayBuffer']) {
      expect(node).not.toHaveProperty(name);
    }
    for (const name of ['createWsTransport', 'fileSource', 'fromNodeReadable', 'toNodeReadable', 'microphone', 'transcribeFile', 'toSrt', 'toWebVtt']) {
      expect(typeof (node as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('createTranscriber - streams over ws by default, sending the Authorization header', async () => {
    const key = 'sk_test_index';
    const emu = await startEmulator({ apiKeys: [key] });
    try {
      const { samples, sampleRate } = dtmfSamples('12 3');
      const frames = new ReadableStream<node.PCMFrame>({
        start(c) {
          for (let i = 0; i < samples.length; i += 1600) c.enqueue({ data: samples.slice(i, i + 1600), sampleRate, channels: 1 });
          c.close();
        },
      });
      const transcriber = node.createTranscriber({ model: 'whisper-1', url: emu.url, apiKey: key, interimResults: false });
      const finals: string[] = [];
      const reader = frames.pipeThrough(transcriber).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) if (r.value.type === 'final') finals.push(r.value.text);
      expect(finals).toEqual(['one two', 'three']);
      expect(emu.stats.accepted).toBe(1);
    } finally {
      await emu.close();
    }
  });

  it('browser stub - throws, pointing at @stt-stream/browser', async () => {
    await expect(import('./browser.ts')).rejects.toThrow('@stt-stream/node does not run in browsers; use @stt-stream/browser');
  });
});
