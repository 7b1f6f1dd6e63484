// Row 2 (one run, one subject, fresh process): N seconds of 16 kHz mono s16
// sent as 100 ms frames as fast as the subject lets it, to a server in
// another process. Prints one JSON line.
//
//   BENCH_URLS='{…}' node --expose-gc bulk-client.mjs <ours|raw|raw-unbounded|deepgram|assemblyai> <ws|wss> <seconds>
//
// For experiments (bench/ANALYSIS.md): BENCH_BULK_FRAME sets the samples per
// frame written (default 1600); BENCH_FRAME_MS sets ours' `frameMs`.
import { hooks, openSession, patchWs } from './lib/subjects.mjs';

const [kind, scheme, secondsArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 3600);
const urls = JSON.parse(process.env.BENCH_URLS);
const RATE = 16000;
const FRAME = Number(process.env.BENCH_BULK_FRAME ?? 1600); // 100 ms unless overridden
const HWM = 64 * 1024; // the transcriber's default highWaterMarkBytes, for the raw baseline too
const frames = Math.round((seconds * RATE) / FRAME);

patchWs();

// Ten seconds of noise, reused: the bytes differ frame to frame, memory stays flat.
const audio = new Int16Array(10 * RATE);
let seed = 12345;
for (let i = 0; i < audio.length; i++) {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  audio[i] = (seed >>> 16) - 32768;
}
// Each frame is a fresh buffer, as a file or socket read would give, for every
// subject alike (re-sending views of one small cache-hot buffer would flatter
// whoever copies least).
const frameAt = (k) => {
  const off = (k * FRAME) % audio.length;
  return audio.slice(off, off + FRAME);
};

/** Resumes a raw client from ws's send callbacks once the socket is below the high-water mark. */
function drainWaiter(ws) {
  let waiter = null;
  return {
    onSent() {
      if (waiter && ws.bufferedAmount < HWM) {
        const w = waiter;
        waiter = null;
        w();
      }
    },
    wait: () => new Promise((r) => (waiter = r)),
  };
}

const gc = globalThis.gc ?? (() => undefined);
const mem = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

// The silent engine never sends a final, so the replay window fills after 30 s;
// `windowWaitMs: 0` lets the oldest sent audio go at once instead of waiting
// 5 s (once) for a final that cannot come. BENCH_WINDOW_WAIT_MS overrides it.
const oursOptions = { windowWaitMs: Number(process.env.BENCH_WINDOW_WAIT_MS ?? 0), ...(process.env.BENCH_FRAME_MS ? { frameMs: Number(process.env.BENCH_FRAME_MS) } : {}) };
const session = await openSession(kind === 'raw-unbounded' || kind === 'raw-writable' ? 'raw' : kind === 'ours-writer' ? 'ours' : kind, urls, scheme === 'wss', oursOptions);
// The raw and peer subjects are connected before the clock starts. A transcriber
// connects on its first write, so ours writes its first frame before the clock
// too and waits for `session.started`: the clock then times streaming alone for
// every subject (ours sends one frame fewer in the window, 1 in 36,000 an hour).
let first = 0;
if (session.transcriber) {
  const w = session.transcriber.writable.getWriter();
  await w.write({ data: frameAt(0), sampleRate: RATE, channels: 1 });
  w.releaseLock();
  await session.opened;
  first = 1;
}
gc();
const memBefore = mem();
const rssBefore = process.memoryUsage.rss();
let peakRss = rssBefore;
let peakStatsBuffered = 0;
let peakRetained = 0;
const sampleRss = () => {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
};
// Gauges of ours, read in its send loops every 128 frames too (a loop that never
// yields starves the timer; `stats` costs a few µs, so not every frame); the
// socket buffer of every subject is also read after each send (`hooks`); RSS (a
// /proc read) only on the timer.
const sample = () => {
  if (session.transcriber) {
    const s = session.transcriber.stats;
    if (s.socketBufferedBytes > peakStatsBuffered) peakStatsBuffered = s.socketBufferedBytes;
    if (s.retainedBytes > peakRetained) peakRetained = s.retainedBytes;
  }
};
const timer = setInterval(() => {
  sampleRss();
  sample();
}, 20);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
if (kind === 'ours') {
  let k = first;
  const source = new ReadableStream({
    pull(controller) {
      if (k === frames) return controller.close();
      if ((k & 127) === 0) sample();
      controller.enqueue({ data: frameAt(k++), sampleRate: RATE, channels: 1 });
    },
  });
  const writable = session.transcriber.writable;
  await source.pipeTo(writable); // closes the writable: the transcriber sends `end`
  await session.done;
} else if (kind === 'ours-writer') {
  // The same transcriber fed through its writer (no ReadableStream source, no pipeTo).
  const writer = session.transcriber.writable.getWriter();
  for (let k = first; k < frames; k++) {
    if (writer.desiredSize <= 0) await writer.ready;
    if ((k & 127) === 0) sample();
    writer.write({ data: frameAt(k), sampleRate: RATE, channels: 1 }).catch(() => undefined);
  }
  await writer.close();
  await session.done;
} else if (kind === 'raw-writable') {
  // Raw ws behind a WritableStream fed by a writer, as ours-writer is: what the
  // Web Streams API costs by itself, whatever the client does behind it.
  const ws = session.ws;
  const drain = drainWaiter(ws);
  const writable = new WritableStream({
    write(data) {
      ws.send(data, drain.onSent);
      if (ws.bufferedAmount >= HWM) return drain.wait();
    },
  });
  const writer = writable.getWriter();
  for (let k = 0; k < frames; k++) {
    if (writer.desiredSize <= 0) await writer.ready;
    writer.write(frameAt(k)).catch(() => undefined);
  }
  await writer.close();
  await session.end();
} else if (kind === 'raw') {
  // A careful raw client: the same high-water mark, resumed from ws's send callbacks.
  const ws = session.ws;
  const drain = drainWaiter(ws);
  for (let k = 0; k < frames; k++) {
    if (ws.bufferedAmount >= HWM) {
      sample();
      await drain.wait();
    }
    ws.send(frameAt(k), drain.onSent);
  }
  await session.end();
} else {
  // What the peers' SDKs offer (and a naive raw client does): send, no back-pressure.
  // The loop yields every 10 frames, as a file read stream would between chunks.
  for (let k = 0; k < frames; k++) {
    session.send(frameAt(k));
    if (k % 10 === 9) {
      sample();
      await new Promise((r) => setImmediate(r));
    }
  }
  sample();
  await session.end();
}
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
clearInterval(timer);
sample();
sampleRss();
gc();
await new Promise((r) => setTimeout(r, 50));
gc();
const memAfter = mem();
console.log(
  JSON.stringify({
    kind,
    scheme,
    seconds,
    wall,
    xRealtime: seconds / wall,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakSocketBuffered: hooks.peakBuffered,
    peakStatsBuffered,
    peakRetained,
    peakRssDelta: peakRss - rssBefore,
    peakRss,
    retainedAfter: memAfter - memBefore,
  }),
);
process.exit(0);
