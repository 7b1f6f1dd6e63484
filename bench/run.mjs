#!/usr/bin/env node
// `pnpm bench`: every row of issue 8, each as ratios against a baseline run in
// the same process or the same run (interleaved, median of several), the
// server always in another process. Writes bench/RESULTS.md and
// bench/out/results.json. Never part of the test command.
//
//   node bench/run.mjs [--only pipeline,vad,bulk,concurrency,steady,stall,weight,telephony,calls,latency,speechend] [--quick]
//     [--reps N] [--bulk-seconds S] [--sessions 200,500] [--conc-seconds S] [--stall-ms MS]
//     [--calls N]   (telephony; default 200, or the first of --sessions when that is given)
//     [--latency-sessions N]   (latency: sessions of ours against the confirming engine; default as --calls; for --conc-seconds S)
//     [--speechend-sessions N] [--speechend-delay MS] [--speechend-frame-ms 100,20]   (speechend: sessions per
//                           configuration, default 50; the emulator's delayMs fault, default 200; source frames)
//     (calls: --calls two-party calls, --conc-seconds S after --conc-warmup, --conc-reps rounds; needs espeak-ng and sox)
//     [--frame-ms 100,20]   (concurrency: frame lengths, one table each; 20 ms is telephony's 50 writes a second)
//     [--conc-subjects raw,ours,…] [--conc-schemes ws,wss]   (concurrency: a subset of the subjects; null always runs)
//     [--conc-warmup S]   (concurrency: seconds of paced sending before each measured window; default 10)
//     [--steady-warmup S] [--steady-reps N]   (steady: the confirming and retaining subjects of row 3 at the first
//                           --sessions count after S s of paced sending, default 60, when every process's young
//                           generation has grown to its size in a long-running service; N rounds, default 1)
//     [--vad-rates 16000,8000]   (vad: the rates of the quality tables; needs espeak-ng and sox)
//     [--steady-subjects ours-confirmed,ours,…]   (steady: a subset of its subjects; null always runs)
//     [--before COMMIT|none]   (rows 3s and 7: each of ours' subjects also runs as built from the packages at COMMIT,
//                           interleaved with today's, for the CPU guard; default ab68ba8, the code before the
//                           session core was split from its wrapper; none: today's only)
//     [--tel-subjects ours,ours-direct,…]   (telephony: a subset of row 7's one-party subjects; null and raw always run)
//     [--out DIR]   (write results.json and RESULTS.md into DIR instead of bench/out and bench/, e.g. for a quick look)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { buildBefore, buildSubjects, benchDir, buildDir } from './lib/build.mjs';
import { buildCall } from './lib/call-material.mjs';
import { makeCert } from './lib/cert.mjs';
import { machineInfo, median, runNode, startNode } from './lib/util.mjs';
import { loadavg } from 'node:os';
import { writeResults } from './lib/report.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const quick = args.includes('--quick');
const ALL_ROWS = 'pipeline,vad,bulk,concurrency,steady,stall,weight,telephony,calls,latency,speechend';
const only = new Set(opt('--only', ALL_ROWS).split(','));
const fullRun = ALL_ROWS.split(',').every((r) => only.has(r));
const REPS = Number(opt('--reps', quick ? 1 : 3));
const BULK_SECONDS = Number(opt('--bulk-seconds', quick ? 300 : 3600));
const SESSIONS = opt('--sessions', quick ? '50' : '200,500').split(',').map(Number);
const CONC_SECONDS = Number(opt('--conc-seconds', quick ? 5 : 20));
const CONC_REPS = Number(opt('--conc-reps', quick ? 1 : 2));
// Paced sending before each concurrency window, so that JIT and heap have settled (a live call runs for minutes).
const CONC_WARMUP = Number(opt('--conc-warmup', quick ? 2 : 10));
const STEADY_WARMUP = Number(opt('--steady-warmup', quick ? 5 : 60));
const STEADY_REPS = Number(opt('--steady-reps', 1));
const CALLS = Number(opt('--calls', args.includes('--sessions') ? SESSIONS[0] : quick ? 50 : 200));
const STALL_MS = Number(opt('--stall-ms', quick ? 5000 : 30000));
const LATENCY_SESSIONS = Number(opt('--latency-sessions', CALLS));
const FRAME_MS = opt('--frame-ms', '100,20').split(',').map(Number);
const CONC_SUBJECTS = opt('--conc-subjects', null)?.split(',');
const CONC_SCHEMES = opt('--conc-schemes', 'ws,wss').split(',');
const VAD_RATES = opt('--vad-rates', '16000,8000');
const OUT_DIR = opt('--out', null);
const STEADY_SUBJECTS = opt('--steady-subjects', null)?.split(',');
const TEL_SUBJECTS = opt('--tel-subjects', null)?.split(',');
const BEFORE = opt('--before', 'ab68ba8');
const SPEECHEND_SESSIONS = Number(opt('--speechend-sessions', quick ? 10 : 50));
const SPEECHEND_DELAY = Number(opt('--speechend-delay', 200));
const SPEECHEND_FRAMES = opt('--speechend-frame-ms', '100,20').split(',').map(Number);
const CONC_KEYS = ['loadavg', 'cpuSeconds', 'p50LatenessMs', 'p99LatenessMs', 'maxLatenessMs', 'peakRss', 'newSpaceBytes', 'window', 'framesOnWire', 'endFailures'];
const log = (...a) => console.error('[bench]', ...a);

/** Rows 3 and 3s: `reps` rounds of every chosen [kind, scheme] at `n` sessions, each in its own process, summarised. */
async function concurrencyRuns(row, chosen, n, frameMs, reps, warmupSeconds) {
  const runs = {};
  for (let r = 0; r < reps; r++) {
    for (const [kind, scheme] of chosen) {
      log(`${row}: ${n} sessions ${kind} ${scheme}, ${frameMs} ms frames, after ${warmupSeconds} s (${r + 1}/${reps}), load ${loadavg()[0].toFixed(2)}`);
      const res = await tryRun('concurrency-client.mjs', [baseKind(kind), scheme, n, CONC_SECONDS, frameMs], { env: { ...env, ...clientEnv(kind), BENCH_WARMUP_S: String(warmupSeconds) }, timeoutMs: 300_000 + warmupSeconds * 1000 });
      (runs[`${kind} ${scheme}`] ??= []).push(res);
    }
  }
  return summarize(runs, CONC_KEYS);
}

/**
 * One subject's run; a run that fails (a crash, a timeout) is logged and recorded as failed (NaN
 * figures, left out of the medians), so that one bad process does not lose the rest of the row.
 */
async function tryRun(script, args, options) {
  try {
    const res = await runNode(script, args, options);
    res.loadavg = loadavg()[0];
    return res;
  } catch (err) {
    log(`FAILED: ${err.message.split('\n').slice(0, 6).join(' | ')}`);
    return { failed: err.message.slice(0, 2000), cpuSeconds: NaN, loadavg: loadavg()[0] };
  }
}

/** `ours@before`: ours as built at the --before commit. */
const baseKind = (kind) => kind.replace(/@before$/, '');
const clientEnv = (kind) => (kind.endsWith('@before') ? { BENCH_CLIENT: beforeClient } : {});
/** Each of ours' subjects followed by its build at the --before commit (interleaved in every round). */
const withBefore = (kinds) => kinds.flatMap((k) => (beforeClient && k.startsWith('ours') ? [k, `${k}@before`] : [k]));

mkdirSync(`${benchDir}out`, { recursive: true });
if (OUT_DIR) mkdirSync(OUT_DIR, { recursive: true });
const resultsFile = OUT_DIR ? `${OUT_DIR}/results.json` : `${benchDir}out/results.json`;
let results = {};
try {
  results = JSON.parse(readFileSync(resultsFile, 'utf8')); // rows not rerun keep their last numbers
} catch {
  /* first run */
}
const machine = machineInfo();
// The machine line describes the last full run; a partial run is noted beside it.
if (fullRun || !results.machine) results.machine = machine;
else results.lastPartialRun = { rows: [...only], ...machine };
if (fullRun || !results.settings) results.settings = { quick, reps: REPS, bulkSeconds: BULK_SECONDS, sessions: SESSIONS, concSeconds: CONC_SECONDS, concReps: CONC_REPS, concWarmupSeconds: CONC_WARMUP, stallMs: STALL_MS, calls: CALLS, frameMs: FRAME_MS };
log(`machine: ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadavgAtStart.join(' ')}`);

await buildSubjects();
let beforeClient = null;
let beforeSha = null;
if (BEFORE !== 'none' && ['steady', 'telephony'].some((r) => only.has(r))) {
  try {
    beforeClient = await buildBefore(BEFORE);
    beforeSha = beforeClient.match(/client-([0-9a-f]+)\.mjs$/)[1];
    log(`before: ${BEFORE} built as ${beforeClient}`);
  } catch (err) {
    log(`before: cannot build ${BEFORE} (${err.message.split('\n')[0]}); rows 3s and 7 run today's build only`);
  }
}
const tls = makeCert();
const env = { NODE_EXTRA_CA_CERTS: tls.cert };

if (only.has('pipeline')) {
  log('row 1: core pipeline and resampler');
  results.pipeline = await runNode('pipeline.mjs', ['--rounds', quick ? 3 : 7, '--seconds', quick ? 20 : 60], { timeoutMs: 600_000 });
}

if (only.has('vad')) {
  // Row 9: voice activity detection, quality and CPU (one process, no server; bench/vad-quality.mjs).
  log('row 9: voice activity detection');
  results.vad = await runNode('vad-quality.mjs', ['--rates', VAD_RATES, '--cpu-rounds', quick ? 1 : 5], { timeoutMs: 900_000 });
}

let server = null;
const needServer = ['bulk', 'concurrency', 'steady', 'stall', 'telephony', 'calls', 'latency', 'speechend'].some((r) => only.has(r));
if (needServer) {
  server = await startNode('lib/server.mjs', ['--cert', tls.cert, '--key', tls.key]);
  env.BENCH_URLS = JSON.stringify(server.info);
  log(`server pid ${server.info.pid}: ${server.info.emulator.ws}, ${server.info.emulator.wss}`);
}

try {
  if (only.has('bulk')) {
    const subjects = [
      ['raw', 'ws'], ['ours', 'ws'], ['raw-writable', 'ws'], ['raw-unbounded', 'ws'], ['deepgram', 'ws'],
      ['raw', 'wss'], ['ours', 'wss'], ['raw-writable', 'wss'], ['raw-unbounded', 'wss'], ['deepgram', 'wss'], ['assemblyai', 'wss'],
    ];
    const runs = {};
    for (let r = 0; r < REPS; r++) {
      for (const [kind, scheme] of subjects) {
        log(`row 2: bulk ${kind} ${scheme} (${r + 1}/${REPS})`);
        const res = await runNode('bulk-client.mjs', [kind, scheme, BULK_SECONDS], { nodeArgs: ['--expose-gc'], env, timeoutMs: 900_000 });
        (runs[`${kind} ${scheme}`] ??= []).push(res);
      }
    }
    results.bulk = summarize(runs, ['xRealtime', 'wall', 'cpuSeconds', 'peakSocketBuffered', 'peakStatsBuffered', 'peakRetained', 'peakRssDelta', 'retainedAfter']);
  }

  if (only.has('concurrency')) {
    const subjects = [
      ['null', 'ws'], ['raw', 'ws'], ['ours', 'ws'], ['ours-confirmed', 'ws'], ['raw-writable', 'ws'], ['raw-writable-retaining', 'ws'], ['raw-writable-confirmed', 'ws'], ['raw-transform-confirmed', 'ws'], ['deepgram', 'ws'],
      ['raw', 'wss'], ['ours', 'wss'], ['ours-confirmed', 'wss'], ['raw-writable', 'wss'], ['raw-writable-retaining', 'wss'], ['raw-writable-confirmed', 'wss'], ['raw-transform-confirmed', 'wss'], ['assemblyai', 'wss'],
    ];
    const chosen = subjects.filter(([kind, scheme]) => kind === 'null' || ((!CONC_SUBJECTS || CONC_SUBJECTS.includes(kind)) && CONC_SCHEMES.includes(scheme)));
    for (const frameMs of FRAME_MS) {
      // 100 ms frames stay `results.concurrency` (row 3); other lengths are `results.concurrencyByFrame[ms]`.
      const table = {};
      if (frameMs === 100) results.concurrency = table;
      else (results.concurrencyByFrame ??= {})[frameMs] = table;
      for (const n of SESSIONS) table[n] = await concurrencyRuns('row 3', chosen, n, frameMs, CONC_REPS, CONC_WARMUP);
    }
    // A partial run keeps the machine line of the last full run, but its concurrency tables are this run's.
    Object.assign(results.settings, { concSeconds: CONC_SECONDS, concReps: CONC_REPS, concWarmupSeconds: CONC_WARMUP });
  }

  if (only.has('steady')) {
    // Row 3s: row 3's confirming and retaining subjects after a long warm-up, when every process has
    // grown its young generation as a long-running service has (why: bench/ANALYSIS.md, row 3s).
    const n = SESSIONS[0];
    const kinds = withBefore(['ours-confirmed', 'raw-transform-confirmed', 'raw-writable-confirmed', 'ours', 'raw-writable-retaining'].filter((k) => !STEADY_SUBJECTS || STEADY_SUBJECTS.includes(k)));
    const chosen = [['null', 'ws'], ...CONC_SCHEMES.flatMap((scheme) => kinds.map((kind) => [kind, scheme]))];
    results.steady = { sessions: n, warmupSeconds: STEADY_WARMUP, rowThreeWarmupSeconds: CONC_WARMUP, seconds: CONC_SECONDS, reps: STEADY_REPS, before: beforeSha, loadavgAtStart: loadavg().map((x) => +x.toFixed(2)), byFrame: {} };
    for (const frameMs of FRAME_MS) {
      results.steady.byFrame[frameMs] = { [n]: await concurrencyRuns('row 3s', chosen, n, frameMs, STEADY_REPS, STEADY_WARMUP) };
      save();
    }
  }

  if (only.has('telephony')) {
    // Row 7: phone calls, 20 ms µ-law packets, through g711Decoder and the transcriber (or decodeMulaw straight into it) against raw ws (same audio as PCM16).
    const runs = {};
    const kinds = ['null', 'raw', ...withBefore(['ours', 'ours-20ms', 'ours-direct', 'ours-direct-20ms'].filter((k) => !TEL_SUBJECTS || TEL_SUBJECTS.includes(k)))];
    const loadAtStart = loadavg().map((x) => +x.toFixed(2));
    for (let r = 0; r < CONC_REPS; r++) {
      for (const kind of kinds) {
        log(`row 7: ${CALLS} calls ${kind} (${r + 1}/${CONC_REPS}), load ${loadavg()[0].toFixed(2)}`);
        const res = await tryRun('telephony-client.mjs', [baseKind(kind), CALLS, CONC_SECONDS], { env: { ...env, ...clientEnv(kind), BENCH_WARMUP_S: String(CONC_WARMUP) }, timeoutMs: 300_000 + CONC_WARMUP * 1000 });
        (runs[kind] ??= []).push(res);
      }
    }
    results.telephony = { calls: CALLS, seconds: CONC_SECONDS, warmupSeconds: CONC_WARMUP, before: beforeSha, loadavgAtStart: loadAtStart, subjects: summarize(runs, ['cpuSeconds', 'peakRss', 'messagesOnWire', 'endFailures', 'loadavg']) };
    save();
  }

  if (only.has('calls')) {
    // Row 7, two-party calls: one stereo session or one mono session per party, with and without voice activity, beside Deepgram's SDK sending the whole call.
    const dir = `${buildDir}call/`;
    const call = buildCall(dir);
    log(`row 7 calls: ${call.seconds.toFixed(1)} s conversation, talk A ${(call.stats.talkA * 100).toFixed(0)} %, B ${(call.stats.talkB * 100).toFixed(0)} %, both ${(call.stats.both * 100).toFixed(0)} %, neither ${(call.stats.neither * 100).toFixed(0)} %`);
    const runs = {};
    const loadAtStart = loadavg().map((x) => +x.toFixed(2));
    for (let r = 0; r < CONC_REPS; r++) {
      for (const kind of ['null', 'deepgram', 'ours-stereo', 'ours-stereo-vad', 'ours-mono', 'ours-mono-vad']) {
        log(`row 7 calls: ${CALLS} two-party calls ${kind} (${r + 1}/${CONC_REPS}), load ${loadavg()[0].toFixed(2)}`);
        const res = await tryRun('call-client.mjs', [kind, CALLS, CONC_SECONDS], { env: { ...env, BENCH_CALL_DIR: dir, BENCH_WARMUP_S: String(CONC_WARMUP) }, timeoutMs: 300_000 + CONC_WARMUP * 1000 });
        (runs[kind] ??= []).push(res);
      }
    }
    const { a, b, ...material } = call;
    results.calls = { calls: CALLS, seconds: CONC_SECONDS, warmupSeconds: CONC_WARMUP, loadavgAtStart: loadAtStart, material, subjects: summarize(runs, ['cpuSeconds', 'audioBytesPerCall', 'pcmBytesPerCall', 'textMessagesPerCall', 'messagesInWindow', 'sentSecondsPerCall', 'skippedSecondsPerCall', 'peakRss', 'endFailures', 'loadavg']) };
    save();
  }

  if (only.has('speechend')) {
    // Row 8, end of speech: utterance end → its final, with and without voice activity and finalizeOnSpeechEnd, against the slow-answer fault.
    const configs = [
      ...['tone', 'slow'].flatMap((engine) => ['all', 'vad', 'vad-finalize'].map((mode) => [mode, engine, SPEECHEND_FRAMES[0]])),
      ...SPEECHEND_FRAMES.slice(1).flatMap((ms) => ['tone', 'slow'].flatMap((engine) => ['all', 'vad-finalize'].map((mode) => [mode, engine, ms]))),
    ];
    const runs = {};
    const loadAtStart = loadavg().map((x) => +x.toFixed(2));
    for (let r = 0; r < CONC_REPS; r++) {
      for (const [mode, engine, ms] of configs) {
        log(`row 8 end of speech: ${SPEECHEND_SESSIONS} sessions ${mode} ${engine} ${ms} ms, delayMs ${SPEECHEND_DELAY} (${r + 1}/${CONC_REPS}), load ${loadavg()[0].toFixed(2)}`);
        const res = await tryRun('speech-end-client.mjs', [mode, engine, SPEECHEND_SESSIONS, SPEECHEND_DELAY, ms], { env, timeoutMs: 300_000 });
        if (!res.failed) (runs[`${mode} ${engine} ${ms}`] ??= []).push(res);
      }
    }
    results.speechEnd = { sessions: SPEECHEND_SESSIONS, delayMs: SPEECHEND_DELAY, endpointSeconds: server.info.toneSlowEndpoint.endpointSeconds, loadavgAtStart: loadAtStart, runs };
    save();
  }

  if (only.has('latency')) {
    // Row 8: latency of finals as the SDK measures it, beside the wire and the server's timestamps.
    log(`row 8: latency, ${LATENCY_SESSIONS} sessions × ${CONC_SECONDS} s against the confirming engine`);
    results.latency = await runNode('latency-client.mjs', [LATENCY_SESSIONS, CONC_SECONDS], { env, timeoutMs: 300_000 });
  }

  if (only.has('stall')) {
    log(`row 4: stall ${STALL_MS} ms`);
    results.stall = {};
    for (const scheme of ['ws', 'wss']) {
      results.stall[scheme] = await runNode('stall-client.mjs', [scheme, 2000, STALL_MS, 8000], { nodeArgs: ['--expose-gc'], env, timeoutMs: STALL_MS + 120_000 });
    }
  }
} finally {
  await server?.stop();
}

if (only.has('weight')) {
  log('row 6: weight');
  results.weight = await runNode('weight.mjs', [], { timeoutMs: 300_000 });
}

save();
const resultsMd = OUT_DIR ? `${OUT_DIR}/RESULTS.md` : `${benchDir}RESULTS.md`;
writeResults(results, resultsMd);
log(`wrote ${resultsMd} and ${resultsFile}`);

/** Writes results.json as it stands (after every long row, so a later failure keeps what was measured). */
function save() {
  writeFileSync(resultsFile, JSON.stringify(results, null, 1));
}

function summarize(runs, keys) {
  const out = {};
  for (const [name, list] of Object.entries(runs)) {
    out[name] = { runs: list.length, all: list };
    for (const k of keys) out[name][k] = median(list.map((x) => x[k]).filter((x) => x !== null && x !== undefined));
  }
  return out;
}
