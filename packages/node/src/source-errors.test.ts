import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SttError, createTranscriber, fileSource, microphone, type PCMFrame } from './index.ts';

// A source that fails under pipeThrough ends the transcript stream with its
// own error (code and message), not `aborted`: real files, a real ffmpeg, a
// real sox, the real emulator.

/** What a decode failure adds when ffmpeg cannot make sense of the bytes. */
const RAW_HINT = ' (if it is raw PCM, which has no header to say its rate and format: read it with fromNodeReadable(stream, { sampleRate, channels, encoding }))';

let dir: string;
let emulator: Emulator;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'source-errors-'));
  emulator = await startEmulator();
  writeFileSync(join(dir, 'notaudio.txt'), 'hello, this is not audio\n');
});
afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The error the transcript stream of `source` ends with. */
async function streamError(source: ReadableStream<PCMFrame>): Promise<unknown> {
  const reader = source.pipeThrough(createTranscriber({ model: 'dtmf', url: emulator.url })).getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read());
  } catch (err) {
    return err;
  }
  throw new Error('expected the stream to fail');
}

describe('a failing source ends the transcript stream with its own error', () => {
  it('fileSource of a file ffmpeg cannot decode: decode_failed with ffmpeg’s reason', async () => {
    const err = await streamError(fileSource(join(dir, 'notaudio.txt')));
    expect(err).toBeInstanceOf(SttError);
    expect(err).toMatchObject({ code: 'decode_failed', retryable: false, message: `Cannot decode ${join(dir, 'notaudio.txt')}: Invalid data found when processing input${RAW_HINT}` });
  });

  it('fileSource with a missing ffmpeg: ffmpeg_not_found naming the path', async () => {
    writeFileSync(join(dir, 'a.mp3'), 'ID3 not really');
    const err = await streamError(fileSource(join(dir, 'a.mp3'), { ffmpegPath: '/nonexistent/ffmpeg' }));
    expect(err).toMatchObject({ code: 'ffmpeg_not_found' });
    expect((err as Error).message).toMatch(/^Cannot decode .*a\.mp3: it needs ffmpeg, and `\/nonexistent\/ffmpeg` does not exist\. Install it/);
  });

  it('microphone whose recorder fails: recorder_failed with its stderr; a bad recorder option: the TypeError', async () => {
    const failed = await streamError(microphone({ recorder: 'sox', device: 'hw:99,0' }));
    expect(failed).toMatchObject({ code: 'recorder_failed', message: "The recorder \"sox\" stopped: sox FAIL formats: can't open input  `hw:99,0': snd_pcm_open error: Invalid argument" });
    const bad = await streamError(microphone({ recorder: 'parecord' }));
    expect(bad).toBeInstanceOf(TypeError);
    expect((bad as Error).message).toBe(
      'Invalid option `recorder`: "parecord" is not one of arecord, rec, sox, ffmpeg; for another recorder pass `command` and `args`',
    );
  });
});
