// Row 3 (one run, one subject, fresh process): N sessions, each sending
// frames of F ms (100 by default; 20 is telephony's 50 writes a second) at
// real-time pace for S seconds. Ours sends one message per frame
// (`frameMs: F`), as the other subjects do. Reports this process's CPU
// over the paced window, lateness of frames on the wire (ws's send callback,
// i.e. handed to the kernel, against the frame's due time), peak RSS.
// The `null` subject runs the same timers and frames and sends nothing: its
// CPU is the harness cost that run.mjs subtracts.
//
// BENCH_CPU_PROF=file.cpuprofile profiles the paced window only (not the
// connects before it), for bench/lib/prof-summary.mjs.
// BENCH_HEAP_PROF=file.heapprofile samples the allocations of the paced
// window (collected ones included), for bench/lib/heap-summary.mjs.
//
//   BENCH_URLS='{…}' node concurrency-client.mjs <null|ours|ours-confirmed|raw|raw-writable|deepgram|assemblyai> <ws|wss> <sessions> <seconds> [frameMs]
import { hooks, openSession, patchWs } from './lib/subjects.mjs';
import { openAll, paced, percentile } from './lib/util.mjs';

const [kind, scheme, nArg, secondsArg, frameMsArg] = process.argv.slice(2);
const N = Number(nArg);
const SECONDS = Number(secondsArg);
const FRAME_MS = Number(frameMsArg ?? 100);
const FRAME = (16000 * FRAME_MS) / 1000; // samples of 16 kHz mono
const urls = JSON.parse(process.env.BENCH_URLS);

patchWs();

// Lateness: each frame carries its due time (performance.now(), float64) in its
// first 8 bytes, which every subject passes through untouched.
const lateness = [];
let measuring = false;
hooks.onFlushed = (bytes) => {
  if (!measuring || bytes.byteLength < 8) return;
  const due = new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0, true);
  lateness.push(performance.now() - due);
};

// Open the sessions, a few at a time.
const sessions =
  kind === 'null'
    ? []
    : await openAll(N, async () => {
        const session = await openSession(kind, urls, scheme === 'wss', FRAME_MS === 100 ? {} : { frameMs: FRAME_MS });
        // Ours connects on its first frame (and waits for session.started, as the
        // other subjects' openSession does): prime it, so no handshake is inside the window.
        if (kind.startsWith('ours')) {
          await session.write(new Int16Array(FRAME));
          await session.opened;
        }
        return session;
      });

let peakRss = process.memoryUsage.rss();
const rssTimer = setInterval(() => {
  const r = process.memoryUsage.rss();
  if (r > peakRss) peakRss = r;
}, 250);

const frameCount = Math.round((SECONDS * 1000) / FRAME_MS);
let sent = 0;
let noise = 1;
const { t0, done } = paced(N, FRAME_MS, frameCount, (i, k, due) => {
  const frame = new Int16Array(FRAME);
  noise = (noise * 1664525 + 1013904223) >>> 0;
  frame[10] = noise >>> 16;
  new DataView(frame.buffer).setFloat64(0, due, true);
  if (kind !== 'null') sessions[i].send(frame);
  sent++;
});
await new Promise((r) => setTimeout(r, Math.max(0, t0 - performance.now())));
measuring = true;
const profiler = process.env.BENCH_CPU_PROF ? await startProfile() : process.env.BENCH_HEAP_PROF ? await startHeapProfile() : null;
const cpu0 = process.cpuUsage();
const elu0 = performance.eventLoopUtilization();
const w0 = performance.now();
await done;
// Let the last frames reach the wire before the window closes.
await new Promise((r) => setTimeout(r, 150));
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0);
const window = (performance.now() - w0) / 1000;
measuring = false;
clearInterval(rssTimer);
if (profiler) await profiler.stop(process.env.BENCH_CPU_PROF ?? process.env.BENCH_HEAP_PROF);

const ended = await Promise.allSettled(sessions.filter(Boolean).map((s) => s.end()));
const failures = ended.filter((r) => r.status === 'rejected').length;
console.log(
  JSON.stringify({
    kind,
    scheme,
    sessions: N,
    seconds: SECONDS,
    frameMs: FRAME_MS,
    window,
    framesSent: sent,
    framesOnWire: lateness.length,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    // Time the main thread spent running (not waiting in the event loop), over the same window.
    mainThreadActiveSeconds: elu.active / 1e3,
    p50LatenessMs: percentile(lateness, 50),
    p99LatenessMs: percentile(lateness, 99),
    maxLatenessMs: percentile(lateness, 100),
    peakRss,
    endFailures: failures,
  }),
);
process.exit(0);

/** An inspector session on this process. */
async function inspector() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
  return { session, post };
}

/** A CPU profile of this process from now until `stop(file)`. */
async function startProfile() {
  const { writeFileSync } = await import('node:fs');
  const { session, post } = await inspector();
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** A sampled allocation profile (every 4 KiB allocated, garbage included) from now until `stop(file)`. */
async function startHeapProfile() {
  const { writeFileSync } = await import('node:fs');
  const { session, post } = await inspector();
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: process.env.BENCH_HEAP_LIVE !== '1', includeObjectsCollectedByMinorGC: !process.env.BENCH_HEAP_LIVE });
  return {
    async stop(file) {
      const { profile } = await post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
