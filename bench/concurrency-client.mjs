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
// Besides CPU it reports, for the window, CPU per thread (main against V8's
// and libuv's workers), minor page faults and garbage collections by kind,
// and V8's new-space size at its end.
//
//   BENCH_URLS='{…}' [BENCH_WARMUP_S=10] node concurrency-client.mjs <null|ours|ours-confirmed|raw|raw-writable|raw-writable-retaining|raw-writable-confirmed|raw-transform-confirmed|deepgram|assemblyai> <ws|wss> <sessions> <seconds> [frameMs]
import { hooks, openSession, patchWs } from './lib/subjects.mjs';
import { openAll, paced, percentile } from './lib/util.mjs';
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

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

// BENCH_WARMUP_S: seconds of paced sending before the measured window (JIT
// and heap settle; a live call runs for minutes, not the window's seconds).
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 0);
const frameCount = Math.round(((SECONDS + WARMUP_S) * 1000) / FRAME_MS);
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
await new Promise((r) => setTimeout(r, Math.max(0, t0 + WARMUP_S * 1000 - performance.now())));
measuring = true;
const profiler = process.env.BENCH_CPU_PROF ? await startProfile() : process.env.BENCH_HEAP_PROF ? await startHeapProfile() : null;
const gcs = countGcs();
const threads0 = threadTimes();
const faults0 = process.resourceUsage().minorPageFault;
const cpu0 = process.cpuUsage();
const elu0 = performance.eventLoopUtilization();
const w0 = performance.now();
await done;
// Let the last frames reach the wire before the window closes.
await new Promise((r) => setTimeout(r, 150));
const cpu = process.cpuUsage(cpu0);
const threads = threadTimes(threads0);
const gc = gcs.stop();
const minorFaults = process.resourceUsage().minorPageFault - faults0;
const elu = performance.eventLoopUtilization(elu0);
const window = (performance.now() - w0) / 1000;
// The young generation's size now: it grows with what survives scavenges and
// stays grown, so it is part of peak RSS (row 3s).
const newSpaceBytes = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size;
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
    userSeconds: cpu.user / 1e6,
    systemSeconds: cpu.system / 1e6,
    // Time the main thread spent running (not waiting in the event loop), over the same window.
    mainThreadActiveSeconds: elu.active / 1e3,
    p50LatenessMs: percentile(lateness, 50),
    p99LatenessMs: percentile(lateness, 99),
    maxLatenessMs: percentile(lateness, 100),
    peakRss,
    newSpaceBytes,
    threads,
    minorFaults,
    gc,
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

/**
 * CPU seconds per thread name since `since` (Linux /proc; {} elsewhere): the
 * main thread, V8's workers (concurrent GC, compiler), libuv's pool.
 */
function threadTimes(since) {
  const out = {};
  try {
    const tick = 100; // USER_HZ
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(process.pid) ? 'main' : name.replace(/[0-9]+$/, '');
      out[key] = (out[key] ?? 0) + (Number(f[11]) + Number(f[12])) / tick;
    }
  } catch {
    return {};
  }
  if (since) for (const k of Object.keys(out)) out[k] = Math.round((out[k] - (since[k] ?? 0)) * 100) / 100;
  return out;
}

/**
 * Garbage collections from now until `stop()`: how many mark-compacts and
 * scavenges, and their main-thread milliseconds. On Node 20 (V8 11.3) a
 * process can settle into doing a mark-compact at every young-generation
 * fill; that regime, not the client's own work, then decides its CPU. This
 * shows which regime a run was in (bench/ANALYSIS.md, row 3).
 */
function countGcs() {
  const out = { major: 0, minor: 0, majorMs: 0, minorMs: 0 };
  const take = (entries) => {
    for (const e of entries) {
      const kind = e.detail?.kind ?? e.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) {
        out.major++;
        out.majorMs += e.duration;
      } else if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) {
        out.minor++;
        out.minorMs += e.duration;
      }
    }
  };
  const observer = new PerformanceObserver((list) => take(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      take(observer.takeRecords());
      observer.disconnect();
      out.majorMs = Math.round(out.majorMs * 10) / 10;
      out.minorMs = Math.round(out.minorMs * 10) / 10;
      return out;
    },
  };
}
