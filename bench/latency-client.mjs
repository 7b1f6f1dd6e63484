// Row 8 (one run, fresh process): latency of finals as the SDK measures it
// (`metrics` event, `latencyMs`), beside two measures taken outside the SDK,
// for N sessions of ours sending 100 ms frames at real-time pace for S
// seconds against the emulator whose engine confirms every second and
// stamps each transcript with `server_time` (its `Date.now()` at send):
//
// - wire: on `ws` itself (its `send` and its `message` event, patched here;
//   the SDK does not know of it), the time from the send of the frame that
//   holds a final's last sample to the arrival of that final: the quantity
//   the SDK claims to measure, measured independently;
// - return leg (server timestamps): arrival minus `server_time`, which
//   leaves out the way up and the server's work; client and server share
//   this machine's clock. The SDK's figure can never be below it.
//
// Each final is paired with its own figures (the SDK's `metrics` event fires
// inside the `ws` message event that delivered the final).
//
//   BENCH_URLS='{…}' node latency-client.mjs <sessions> <seconds>
import WebSocket from 'ws';
import { percentile } from './lib/util.mjs';

const { createTranscriber, createWsTransport } = await import(process.env.BENCH_CLIENT ?? './.build/client.mjs');

const [nArg, secondsArg] = process.argv.slice(2);
const N = Number(nArg);
const SECONDS = Number(secondsArg);
const FRAME_MS = 100;
const RATE = 16000;
const FRAME = (RATE * FRAME_MS) / 1000;
const urls = JSON.parse(process.env.BENCH_URLS);
const url = urls.latency?.ws;
if (!url) throw new Error('BENCH_URLS has no `latency` emulator (bench/lib/server.mjs starts it)');

// --- outside the SDK: ws's send and receive ----------------------------------
/** Per socket: [samples sent up to, Date.now() of that send] for every binary send. */
const sends = new WeakMap();
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function latencySend(data, ...rest) {
  if (typeof data !== 'string') {
    const log = sends.get(this) ?? sends.set(this, { samples: 0, at: [] }).get(this);
    log.samples += data.byteLength / 2;
    log.at.push([log.samples, Date.now()]);
  }
  return send.call(this, data, ...rest);
};
/** The figures of the final being delivered right now (read by the `metrics` listener inside the same event). */
let current = null;
let stamped = 0;
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function latencyEmit(name, data, isBinary) {
  if (name !== 'message' || isBinary) return emit.apply(this, arguments);
  const now = Date.now();
  const msg = JSON.parse(String(data));
  if (msg.type === 'transcript' && msg.is_final) {
    stamped += typeof msg.server_time === 'number' ? 1 : 0;
    const end = Math.round(msg.end * RATE);
    const log = sends.get(this)?.at ?? [];
    const hit = log.find(([upTo]) => upTo >= end); // sends are in order; a linear scan is fine for a bench
    current = { end: msg.end, wire: hit ? now - hit[1] : null, returnLeg: now - msg.server_time };
  }
  try {
    return emit.apply(this, arguments);
  } finally {
    current = null;
  }
};

// --- the sessions -------------------------------------------------------------
const finals = []; // { sdk, wire, returnLeg }
let unpaired = 0;
const sessions = new Array(N);
let next = 0;
const worker = async () => {
  while (next < N) {
    const i = next++;
    const transcriber = createTranscriber({ url, model: 'bench', transport: createWsTransport(), frameMs: FRAME_MS });
    transcriber.events.on('metrics', ({ latencyMs, final }) => {
      if (!current || current.end !== final.end || latencyMs === null) {
        unpaired++;
        return;
      }
      finals.push({ sdk: latencyMs, wire: current.wire, returnLeg: current.returnLeg });
    });
    const done = transcriber.readable.pipeTo(new WritableStream());
    const opened = new Promise((resolve) => transcriber.events.once('open', resolve));
    const writer = transcriber.writable.getWriter();
    // Connect (on the first write) and wait for session.started: no handshake inside the window.
    await writer.write({ data: new Int16Array(FRAME), sampleRate: RATE, channels: 1 });
    await opened;
    sessions[i] = { transcriber, writer, done };
  }
};
await Promise.all(Array.from({ length: Math.min(25, N) }, worker));

const frameCount = Math.round((SECONDS * 1000) / FRAME_MS);
const t0 = performance.now() + 200;
await new Promise((resolveAll) => {
  let finished = 0;
  for (let i = 0; i < N; i++) {
    const offset = (i / N) * FRAME_MS; // sessions spread over one frame period
    let k = 0;
    const tick = () => {
      sessions[i].writer.write({ data: new Int16Array(FRAME), sampleRate: RATE, channels: 1 }).catch(() => undefined);
      if (++k === frameCount) {
        if (++finished === N) resolveAll();
        return;
      }
      setTimeout(tick, Math.max(0, t0 + offset + k * FRAME_MS - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 + offset - performance.now()));
  }
});
const ended = await Promise.allSettled(sessions.map(async (s) => {
  await s.writer.close();
  await s.done;
}));

const col = (key) => finals.map((f) => f[key]).filter((x) => x !== null);
const diffs = finals.filter((f) => f.wire !== null).map((f) => Math.abs(f.sdk - f.wire));
const summary = (xs) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), max: percentile(xs, 100) });
// The SDK's own summary, over all sessions' `stats.latency` (the median of their p50s, the worst max).
const stats = sessions.map((s) => s.transcriber.stats.latency);
console.log(
  JSON.stringify({
    sessions: N,
    seconds: SECONDS,
    finals: finals.length,
    stampedFinals: stamped,
    unpaired,
    sdk: summary(col('sdk')),
    wire: summary(col('wire')),
    returnLeg: summary(col('returnLeg')),
    // Per final: |SDK − wire| (both in whole ms from Date.now()).
    sdkVsWire: { ...summary(diffs), within1ms: diffs.filter((d) => d <= 1).length / Math.max(1, diffs.length) },
    // Finals whose SDK figure is below the return leg alone (impossible but for clock rounding: at most 1 ms).
    sdkBelowReturnLeg: finals.filter((f) => f.sdk < f.returnLeg - 1).length,
    statsLatency: { count: stats.reduce((a, s) => a + s.count, 0), medianP50: percentile(stats.map((s) => s.p50).filter((x) => x !== null), 50), max: Math.max(...stats.map((s) => s.max ?? 0)) },
    endFailures: ended.filter((r) => r.status === 'rejected').length,
  }),
);
process.exit(0);
