// A user's program against the packages as installed from their tarballs
// (scripts/check-installed.mjs): compiled with `tsc --strict --skipLibCheck
// false` (only @types/node added), then run on Node. The README's example
// (fileSource → createTranscriber), batch `transcribe`, and the SttErrors a
// user catches, all against a local emulator whose tone engine hears the
// DTMF keys "12 3" as "one two" and "three"; then the same with `voiceActivity`
// (the speech chunk loaded from the built package, and `@stt-stream/core/vad`'s
// types and detector).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SttError, createTranscriber, createWsTransport, fileSource, transcribe, type TranscriberVoiceActivityOptions, type Transcription } from '@stt-stream/node';
import { createEnergyVad, type VoiceActivityDetector } from '@stt-stream/core/vad';
import { dtmfWav, startEmulator } from '@stt-stream/emulator';

const KEY = 'sk_test_installed_0123';
const WRONG_KEY = 'sk_test_wrong_key_4567';

function check(what: string, actual: unknown, expected: unknown): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
  console.log(`  ok  ${what}: ${a}`);
}

/** What a user sees of a failure: class, code, HTTP status or close code, and whether the key leaked into the message. */
function seen(err: unknown): unknown {
  if (!(err instanceof SttError)) return { notSttError: String(err) };
  return { name: err.name, code: err.code, status: err.status ?? null, closeCode: err.closeCode ?? null, leaksKey: err.message.includes(WRONG_KEY) };
}

const emulator = await startEmulator({ apiKeys: [KEY] });
const dir = await mkdtemp(join(tmpdir(), 'stt-consumer-'));
try {
  const wavPath = join(dir, 'keys.wav');
  await writeFile(wavPath, dtmfWav('12 3').wav);

  // The README's example, against the emulator.
  const transcriber = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey: KEY });
  const finals: string[] = [];
  for await (const ev of fileSource(wavPath).pipeThrough(transcriber)) {
    if (ev.type === 'final') finals.push(ev.text);
  }
  check('createTranscriber(fileSource(wav)): finals', finals, ['one two', 'three']);

  // Only speech sent: 1.5 s of silence before, between and after the keys is skipped; the same finals.
  const quietPath = join(dir, 'quiet.wav');
  await writeFile(quietPath, dtmfWav('12 3', { leadMs: 1500, breakMs: 1500, tailMs: 1500 }).wav);
  const detector = (): VoiceActivityDetector => createEnergyVad({ frameMs: 20 });
  const voiceActivity: TranscriberVoiceActivityOptions = { detector };
  const vad = createTranscriber({ model: 'dtmf', url: emulator.url, apiKey: KEY, voiceActivity });
  const vadEvents: string[] = [];
  for await (const ev of fileSource(quietPath).pipeThrough(vad)) {
    if (ev.type === 'final') vadEvents.push(ev.text);
    else if (ev.type === 'speech_started' || ev.type === 'speech_ended') vadEvents.push(`${ev.type} ${ev.source}`);
  }
  // A file goes faster than real time, so the client's events come before the finals: each kind in its own order.
  check('createTranscriber with voiceActivity: the finals', vadEvents.filter((e) => !e.startsWith('speech_')), ['one two', 'three']);
  check('createTranscriber with voiceActivity: the client detector\'s events', vadEvents.filter((e) => e.endsWith(' client')), [
    'speech_started client',
    'speech_ended client',
    'speech_started client',
    'speech_ended client',
  ]);
  check('createTranscriber with voiceActivity: silence skipped', vad.stats.skippedSeconds > 2, true);

  const result: Transcription = await transcribe(await readFile(wavPath), { model: 'dtmf', apiKey: KEY, baseUrl: emulator.httpUrl, fileName: 'keys.wav' });
  check('transcribe(wav): text', result.text, 'one two three');

  const batchErr = await transcribe(await readFile(wavPath), { model: 'dtmf', apiKey: WRONG_KEY, baseUrl: emulator.httpUrl, fileName: 'keys.wav' }).then(
    () => null,
    (err: unknown) => err,
  );
  check('transcribe with a wrong key: the error', seen(batchErr), { name: 'SttAuthError', code: 'unauthenticated', status: 401, closeCode: null, leaksKey: false });

  const streamErr = await fileSource(wavPath)
    .pipeThrough(createTranscriber({ model: 'dtmf', url: emulator.url, apiKey: WRONG_KEY, transport: createWsTransport() }))
    .pipeTo(new WritableStream())
    .then(
      () => null,
      (err: unknown) => err,
    );
  // The emulator takes the upgrade and then closes it with 4001 (docs/protocol.md, "Close codes").
  check('createTranscriber with a wrong key: the stream error', seen(streamErr), { name: 'SttAuthError', code: 'unauthenticated', status: null, closeCode: 4001, leaksKey: false });

  const badInput = await transcribe(new Uint8Array(0), { model: 'dtmf', apiKey: KEY, baseUrl: emulator.httpUrl }).then(
    () => null,
    (err: unknown) => err,
  );
  check('transcribe(empty bytes): the error code', badInput instanceof SttError ? badInput.code : String(badInput), 'invalid_input');
} finally {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
}
