// One name for the gateway address (docs/protocol.md, "Addresses"):
// `url` and `baseUrl` take what a user will pass, the emulator's `httpUrl`
// or its `url`, against a real emulator on 127.0.0.1.
import { dtmfSamples, dtmfWav, startEmulator, type Emulator } from '@stt-stream/emulator';
import { createTranscriber, transcribe, transcribeFile } from '@stt-stream/node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, finalsOf, framesOf } from './helpers.ts';
import { handles, leftRunning } from './hostile-servers.ts';

const KEY = 'sk_test_gateway_url';
let emulator: Emulator;
let baseline: string[];
/** Handle kinds a test may leave listed (see the transcribeFile test). */
let ignored: string[] = [];
beforeEach(async () => {
  ignored = [];
  await new Promise((r) => setTimeout(r, 20));
  baseline = handles();
  emulator = await startEmulator({ apiKeys: [KEY] });
});
afterEach(async () => {
  await emulator.close();
  expect((await leftRunning(baseline)).filter((h) => !ignored.includes(h))).toEqual([]);
});

const stream = async (url: string) => {
  const fx = dtmfSamples('1 2');
  const events = await collect(framesOf(fx.samples, 16000, 1).pipeThrough(createTranscriber({ model: 'm', url, apiKey: KEY })));
  return finalsOf(events).map((f) => f.text.trim()).filter(Boolean);
};

describe('gateway address', () => {
  it('createTranscriber - the emulator httpUrl as `url` streams (it used to end in a 404)', async () => {
    expect(emulator.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const started = Date.now();
    expect(await stream(emulator.httpUrl)).toEqual(['one', 'two']);
    expect(await stream(`${emulator.httpUrl}/`)).toEqual(['one', 'two']);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(emulator.stats.connections).toBe(2);
  });

  it('createTranscriber - the full ws URL and a bare ws origin stream too', async () => {
    expect(await stream(emulator.url)).toEqual(['one', 'two']);
    expect(await stream(emulator.url.replace('/v1/stt/stream', ''))).toEqual(['one', 'two']);
  });

  it('transcribe - the emulator ws `url` as `baseUrl` posts to its batch endpoint', async () => {
    const started = Date.now();
    const result = await transcribe(dtmfWav('3 4').wav, { model: 'whisper-1', apiKey: KEY, baseUrl: emulator.url });
    expect(result.text).toBe('three four');
    expect(emulator.stats.batchRequests).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('transcribeFile - either address as `baseUrl`, in batch and stream mode', async () => {
    // Node 20's fs.openAsBlob (the batch upload reads the file through it) leaves one
    // FileHandleReadWrap listed for the process: one however many files are read, no
    // file descriptor open, the process still exits. Not a socket or timer of ours.
    ignored = ['FileHandleReadWrap'];
    const dir = mkdtempSync(join(tmpdir(), 'gateway-url-'));
    try {
      const file = join(dir, 'keys.wav');
      writeFileSync(file, dtmfWav('5 6').wav);
      for (const baseUrl of [emulator.url, emulator.httpUrl]) {
        for (const mode of ['batch', 'stream'] as const) {
          const result = await transcribeFile(file, { model: 'whisper-1', apiKey: KEY, baseUrl, mode });
          expect(result.text, `${baseUrl} ${mode}`).toBe('five six');
        }
      }
      expect(emulator.stats.batchRequests).toBe(2);
      expect(emulator.stats.connections).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a key in either address is a TypeError naming the option, before anything is sent', async () => {
    expect(() => createTranscriber({ model: 'm', url: `${emulator.httpUrl}/?api_key=${KEY}` })).toThrow(
      'Invalid option `url`: credentials do not go in a URL (found `api_key`); pass the key as `apiKey` or `token`',
    );
    await expect(transcribe(dtmfWav('1').wav, { model: 'm', baseUrl: `${emulator.url}?token=${KEY}` })).rejects.toThrow(
      'Invalid option `baseUrl`: credentials do not go in a URL (found `token`); pass the key as `apiKey`',
    );
    expect(emulator.stats.connections).toBe(0);
    expect(emulator.stats.batchRequests).toBe(0);
  });
});
