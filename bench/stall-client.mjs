// Row 4 (fresh process): real-time input (100 ms frames) into the transcriber
// while the server stops reading for `forMs` (the emulator's `stall` fault,
// from the URL's `fault` parameter). Samples the transcriber's buffers and
// this process's memory every 500 ms. Prints one JSON line.
//
//   BENCH_URLS='{…}' node --expose-gc stall-client.mjs <ws|wss> <afterMs> <forMs> <tailMs> [bytesPerSecond]
import { createTranscriber, createWsTransport, withFault } from './lib/stall-deps.mjs';

const [scheme, afterArg, forArg, tailArg] = process.argv.slice(2);
const afterMs = Number(afterArg);
const forMs = Number(forArg);
const tailMs = Number(tailArg);
const urls = JSON.parse(process.env.BENCH_URLS);
const FRAME = 1600;

const plan = { key: `stall-${process.pid}-${Date.now()}`, times: 1, stall: { forMs, afterMs } };
const url = withFault(urls.emulator[scheme], plan);
const transcriber = createTranscriber({ url, model: 'bench', transport: createWsTransport() });
const events = [];
for (const name of ['open', 'reconnecting', 'reconnected', 'close']) {
  transcriber.events.on(name, (info) => events.push({ t: Math.round(performance.now() - t0), name, detail: info?.cause?.code ?? info?.code ?? info?.replayedSeconds }));
}
const readDone = transcriber.readable.pipeTo(new WritableStream()).catch((e) => e);
const writer = transcriber.writable.getWriter();

globalThis.gc?.();
const t0 = performance.now();
const samples = [];
const base = { rss: process.memoryUsage.rss(), ...process.memoryUsage() };
const sample = () => {
  const s = transcriber.stats;
  const m = process.memoryUsage();
  samples.push({
    t: Math.round(performance.now() - t0),
    retainedBytes: s.retainedBytes,
    socketBufferedBytes: s.socketBufferedBytes,
    state: s.state,
    connections: s.connections,
    rss: m.rss,
    heapAndBuffers: m.heapUsed + m.external,
  });
};
const timer = setInterval(sample, 500);

const total = afterMs + forMs + tailMs;
const frames = Math.round(total / 100);
let seed = 5;
for (let k = 0; k < frames; k++) {
  const frame = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    frame[i] = (seed >>> 16) - 32768;
  }
  // Real time: the next frame exists 100 ms after this one, whether or not the write is done.
  const wait = t0 + (k + 1) * 100 - performance.now();
  const w = writer.write({ data: frame, sampleRate: 16000, channels: 1 });
  w.catch(() => undefined);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
sample();
clearInterval(timer);
await writer.close().catch(() => undefined);
const err = await readDone;
const max = (key) => Math.max(...samples.map((s) => s[key]));
console.log(
  JSON.stringify({
    scheme,
    plan,
    windowBytes: 30 * 16000 * 2,
    maxRetainedBytes: max('retainedBytes'),
    maxSocketBufferedBytes: max('socketBufferedBytes'),
    rssGrowth: max('rss') - base.rss,
    heapAndBuffersGrowth: max('heapAndBuffers') - (base.heapUsed + base.external),
    events,
    endError: err ? String(err.message ?? err) : null,
    samples,
  }),
);
process.exit(0);
