// A JavaScript user's first hour with the packages as installed from their
// tarballs (scripts/check-installed.mjs runs it on Node, in the installed
// project): no TypeScript to catch a misspelt option, no key set yet. Each
// check prints what the user reads; a mismatch throws.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SttError, createTranscriber, createWsTransport, transcribe, transcribeFile } from '@stt-stream/node';
import { dtmfWav, startEmulator } from '@stt-stream/emulator';

const NO_KEY_BATCH =
  'No API key for the hosted gateway (gateway.llm-stats.com): pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY); ' +
  'or, to use a server that needs none such as the local emulator, pass its `url`';
const NO_KEY_STREAM =
  'No API key or token for the hosted gateway (gateway.llm-stats.com): pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY) ' +
  'or `token`; or, to use a server that needs none such as the local emulator, pass its `url`';

function check(what, actual, expected) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
  console.log(`  ok  ${what}: ${a}`);
}

const failure = (p) => p.then(() => null, (err) => err);
const seen = (err) => (err instanceof SttError ? { class: err.name, code: err.code, message: err.message } : { class: err?.name, message: err?.message });

const emulator = await startEmulator();
const dir = await mkdtemp(join(tmpdir(), 'stt-first-hour-'));
try {
  const wav = join(dir, 'keys.wav');
  await writeFile(wav, dtmfWav('12 3').wav);

  // `url` goes where it says, for batch as for streaming.
  const result = await transcribeFile(wav, { model: 'dtmf', url: emulator.httpUrl });
  check('transcribeFile(wav, { url }): the text, from the emulator', [result.text, emulator.stats.batchRequests], ['one two three', 1]);

  // A misspelt option is a TypeError naming it and the one meant; nothing is sent.
  check(
    'transcribe(bytes, { baseURL })',
    seen(await failure(transcribe(await readFile(wav), { model: 'dtmf', baseURL: emulator.httpUrl }))),
    { class: 'TypeError', message: 'Unknown option `baseURL` for transcribe(); did you mean `baseUrl`?' },
  );
  check(
    'transcribeFile(wav, { url, apikey })',
    seen(await failure(transcribeFile(wav, { model: 'dtmf', url: emulator.httpUrl, apikey: 'k' }))),
    { class: 'TypeError', message: 'Unknown option `apikey` for transcribeFile(); did you mean `apiKey`?' },
  );
  let thrown;
  try {
    createTranscriber({ model: 'dtmf', baseUrl: emulator.httpUrl });
  } catch (err) {
    thrown = err;
  }
  check('createTranscriber({ baseUrl })', seen(thrown), { class: 'TypeError', message: 'Unknown option `baseUrl` for createTranscriber(); did you mean `url`?' });
  check('nothing reached the emulator', emulator.stats.batchRequests + emulator.stats.connections, 1);

  // No key and no url: unauthenticated at once, before anything is sent (no fetch call, no connection).
  let fetches = 0;
  const countingFetch = (...args) => (fetches++, fetch(...args));
  check('transcribe(bytes) with no key, no url', seen(await failure(transcribe(await readFile(wav), { model: 'dtmf', fetch: countingFetch }))), {
    class: 'SttAuthError',
    code: 'unauthenticated',
    message: NO_KEY_BATCH,
  });
  check('fetch calls', fetches, 0);
  const ws = createWsTransport();
  let connects = 0;
  const transport = { ...ws, connect: (...args) => (connects++, ws.connect(...args)) };
  const frames = new ReadableStream({
    start(c) {
      c.enqueue({ data: new Int16Array(16000), sampleRate: 16000, channels: 1 });
      c.close();
    },
  });
  const streamErr = await failure(frames.pipeThrough(createTranscriber({ model: 'dtmf', transport })).pipeTo(new WritableStream()));
  check('createTranscriber with no key, no url: the stream error', seen(streamErr), { class: 'SttAuthError', code: 'unauthenticated', message: NO_KEY_STREAM });
  check('connections tried', connects, 0);
} finally {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
}
