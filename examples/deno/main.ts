/**
 * Stream a WAV file to the STT gateway (or the local emulator) with Deno's own
 * WebSocket, and print the finals with their times.
 *
 *   deno run --allow-net --allow-read --allow-env main.ts [file.wav]
 *
 * With STT_STREAM_API_KEY (or LLM_STATS_API_KEY) set it talks to the gateway
 * and streams a short English recording; without, it starts the emulator in
 * this process, whose tone engine hears the DTMF keys of dtmf-demo.wav.
 *
 * @module
 */
import { WavDecoder, createTranscriber, type PCMFrame } from '@stt-stream/core';

const apiKey = Deno.env.get('STT_STREAM_API_KEY') || Deno.env.get('LLM_STATS_API_KEY') || undefined;
const audio = (name: string) => new URL(`../audio/${name}`, import.meta.url);
// A path you give is relative to where you ran the command: `pnpm --filter … start` runs this
// in the example's folder and says where it was started in INIT_CWD (as `deno task` and npm do).
const startedIn = Deno.env.get('INIT_CWD') || Deno.cwd();
const fromStart = (path: string) => (/^([A-Za-z]:)?[\\/]/.test(path) ? path : `${startedIn.replace(/[\\/]+$/, '')}/${path}`);
const given = Deno.args.at(0);
const file = given !== undefined ? fromStart(given) : audio(apiKey ? 'speech-en.wav' : 'dtmf-demo.wav');

let url = Deno.env.get('STT_STREAM_URL') || undefined;
let emulator: { url: string; close(): Promise<void> } | undefined;
if (!apiKey && !url) {
  // The emulator is a Node program; Deno runs it through its Node compatibility.
  const { startEmulator } = await import('@stt-stream/emulator');
  emulator = await startEmulator();
  url = emulator.url;
  console.log(`No STT_STREAM_API_KEY set: using the local emulator at ${url}`);
}
console.log(`Streaming ${file instanceof URL ? file.pathname : file} (Deno ${Deno.version.deno})\n`);

/** The file's bytes, decoded to PCM frames as they are read. */
function wavFrames(source: ReadableStream<Uint8Array>): ReadableStream<PCMFrame> {
  const decoder = new WavDecoder();
  return source.pipeThrough(
    new TransformStream<Uint8Array, PCMFrame>({
      transform(chunk, controller) {
        for (const frame of decoder.push(chunk)) controller.enqueue(frame);
      },
      flush(controller) {
        for (const frame of decoder.end()) controller.enqueue(frame);
      },
    }),
  );
}

// No `transport` option: core's default, the runtime's standard WebSocket
// (Deno's sends the Authorization header).
const transcriber = createTranscriber({ model: Deno.env.get('STT_STREAM_MODEL') || (apiKey ? 'whisper-1' : 'dtmf'), apiKey, url });
transcriber.events.on('reconnecting', ({ attempt, cause }) => console.error(`(reconnecting, attempt ${attempt}: ${cause.code})`));

const stamp = (s: number) => s.toFixed(2).padStart(6);
let exitCode = 0;
try {
  const input = await Deno.open(file);
  for await (const ev of wavFrames(input.readable).pipeThrough(transcriber)) {
    if (ev.type === 'final') console.log(`[${stamp(ev.start)} → ${stamp(ev.end)}]  ${ev.text}`);
    else if (ev.type === 'gap') console.log(`(audio from ${stamp(ev.start)} to ${stamp(ev.end)} was lost: ${ev.reason})`);
  }
} catch (err) {
  exitCode = 1;
  const e = err as Error & { code?: string };
  console.error(`Failed: ${e.message}${e.code ? ` (${e.code})` : ''}`);
} finally {
  await emulator?.close();
}
Deno.exit(exitCode);
