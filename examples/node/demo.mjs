#!/usr/bin/env node
// The demo: stream a WAV through fileSource → createTranscriber, paced at
// real time as a live source would be (`realtimeFactor: 1`), and print
// interims (one rewritten line in a terminal, as they come) and finals with
// their times.
//
//   node demo.mjs [file]
//
// With no API key it starts the local emulator in-process (its tone engine
// hears the DTMF keys of examples/audio/dtmf-demo.wav). With
// STT_STREAM_API_KEY (or LLM_STATS_API_KEY) set, it talks to the real gateway
// and streams a short English recording instead.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTranscriber, fileSource } from '@stt-stream/node';
import { startEmulator } from '@stt-stream/emulator';

const apiKey = process.env.STT_STREAM_API_KEY || process.env.LLM_STATS_API_KEY || undefined;
const audio = (name) => fileURLToPath(new URL(`../audio/${name}`, import.meta.url));
// A path you give is relative to where you ran the command (`pnpm --filter … demo` runs this in
// examples/node and says where it was started in INIT_CWD).
const file = process.argv[2] ? resolve(process.env.INIT_CWD || process.cwd(), process.argv[2]) : audio(apiKey ? 'speech-en.wav' : 'dtmf-demo.wav');
const tty = process.stdout.isTTY === true;

let emulator;
let url = process.env.STT_STREAM_URL || undefined;
if (!apiKey && !url) {
  emulator = await startEmulator();
  url = emulator.url;
  console.log(`No STT_STREAM_API_KEY set: using the local emulator at ${url}`);
} else if (apiKey) {
  console.log(`Using the gateway${url ? ` at ${url}` : ''}`);
}
console.log(`Streaming ${file} at real time\n`);

const transcriber = createTranscriber({
  model: process.env.STT_STREAM_MODEL || (apiKey ? 'whisper-1' : 'dtmf'),
  apiKey,
  url,
  // Audio goes out no faster than it plays, so the interims arrive as they would live.
  realtimeFactor: 1,
});
transcriber.events.on('reconnecting', ({ attempt, cause }) => console.error(`(reconnecting, attempt ${attempt}: ${cause.code})`));
transcriber.events.on('error', (err) => console.error(`(warning: ${err.message})`));

const stamp = (s) => s.toFixed(2).padStart(6);
const finals = [];
let exitCode = 0;
try {
  for await (const ev of fileSource(file).pipeThrough(transcriber)) {
    if (ev.type === 'interim' && tty) {
      process.stdout.write(`\r\x1b[2K\x1b[2m${stamp(ev.start)}  ${ev.text}\x1b[0m`);
    } else if (ev.type === 'final') {
      finals.push(ev.text);
      process.stdout.write(`${tty ? '\r\x1b[2K' : ''}[${stamp(ev.start)} → ${stamp(ev.end)}]  ${ev.text}\n`);
    } else if (ev.type === 'gap') {
      console.log(`(audio from ${stamp(ev.start)} to ${stamp(ev.end)} was lost: ${ev.reason})`);
    }
  }
  console.log(`\nTranscript: ${finals.join(' ')}`);
  if (emulator && !finals.some((text) => text.trim())) {
    console.log('(Nothing was recognised: the local emulator hears only DTMF tones, not speech. Set STT_STREAM_API_KEY to transcribe speech with the hosted gateway.)');
  }
} catch (err) {
  exitCode = 1;
  console.error(`\nFailed: ${err.message}${err.code ? ` (${err.code})` : ''}`);
  if (err.code === 'unauthenticated') console.error('Check STT_STREAM_API_KEY, or unset it to use the local emulator.');
} finally {
  await emulator?.close();
}
process.exitCode = exitCode;
