// The first-hour checks that need no server, on @stt-stream/core as installed
// from its tarball, run on Node, Bun and Deno by scripts/check-installed.mjs:
// a misspelt option and a missing key. Prints one JSON line, the same on
// every runtime.
import { SttError, createTranscriber, createWebSocketTransport, transcribe } from '@stt-stream/core';

const seen = (err) => (err instanceof SttError ? { class: err.name, code: err.code, message: err.message } : { class: err?.name, message: err?.message });
const out = {};

out.unknownBatch = seen(await transcribe(new Uint8Array(8), { model: 'whisper-1', baseURL: 'http://127.0.0.1:8080' }).catch((e) => e));
try {
  createWebSocketTransport(undefined, { header: false });
} catch (err) {
  out.unknownTransport = seen(err);
}
out.noKeyBatch = seen(await transcribe(new Uint8Array(8), { model: 'whisper-1' }).catch((e) => e));

// The stream with no key and no url: the real standard-WebSocket transport, counting what it is asked to open.
const ws = createWebSocketTransport();
let connects = 0;
const transport = { ...ws, connect: (...args) => (connects++, ws.connect(...args)) };
const frames = new ReadableStream({
  start(c) {
    c.enqueue({ data: new Int16Array(16000), sampleRate: 16000, channels: 1 });
    c.close();
  },
});
out.noKeyStream = seen(await frames.pipeThrough(createTranscriber({ model: 'whisper-1', transport })).pipeTo(new WritableStream()).catch((e) => e));
out.connects = connects;
console.log(JSON.stringify(out));
