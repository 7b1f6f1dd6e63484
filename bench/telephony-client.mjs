// Row 7 (one run, one subject, fresh process): N concurrent phone calls, each
// delivering 20 ms packets of 8 kHz µ-law (160 bytes) at real-time pace for
// S seconds, as a media-stream server receives them. Reports this process's
// CPU over the paced window and peak RSS. The `null` subject runs the same
// timers and packets and sends nothing: its CPU is the harness cost that
// run.mjs subtracts. BENCH_WARMUP_S: seconds of paced packets before the
// window (JIT and heap settle), as row 3's.
//
//   BENCH_URLS='{…}' [BENCH_WARMUP_S=10] [BENCH_CLIENT=…] node telephony-client.mjs <null|raw|ours|ours-20ms|ours-direct|ours-direct-20ms> <calls> <seconds>
import { hooks, openCall, patchWs } from './lib/subjects.mjs';
import { measureWindow, openAll, paced } from './lib/util.mjs';

const [kind, nArg, secondsArg] = process.argv.slice(2);
const N = Number(nArg);
const SECONDS = Number(secondsArg);
const PACKET_MS = 20;
const PACKET = 160;
const urls = JSON.parse(process.env.BENCH_URLS);

patchWs();
let messagesOnWire = 0;
let measuring = false;
hooks.onFlushed = () => {
  if (measuring) messagesOnWire++;
};

// One second of µ-law noise per call offset; packets are views of it (content is irrelevant to the silent engines).
const audio = new Uint8Array(8000 * 2);
let seed = 7;
for (let i = 0; i < audio.length; i++) audio[i] = (seed = (seed * 1664525 + 1013904223) >>> 0) >>> 24;

const calls =
  kind === 'null'
    ? []
    : await openAll(N, async () => {
        const call = await openCall(kind, urls);
        // Ours connects on its first packet: prime it so the window holds only steady-state work.
        if (call.opened) {
          await call.write(audio.subarray(0, PACKET));
          await call.opened;
        }
        return call;
      });

let peakRss = process.memoryUsage.rss();
const rssTimer = setInterval(() => {
  const r = process.memoryUsage.rss();
  if (r > peakRss) peakRss = r;
}, 250);

const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 0);
const packetCount = Math.round(((SECONDS + WARMUP_S) * 1000) / PACKET_MS);
let sent = 0;
const { t0, done } = paced(N, PACKET_MS, packetCount, (i, k) => {
  const at = ((i * 37 + k) % 50) * PACKET;
  if (kind !== 'null') calls[i].send(audio.subarray(at, at + PACKET));
  sent++;
});
const { cpuSeconds, window } = await measureWindow({ t0, warmupS: WARMUP_S, done, onWindow: (on) => (measuring = on) });
clearInterval(rssTimer);

const ended = await Promise.allSettled(calls.filter(Boolean).map((c) => c.end()));
console.log(
  JSON.stringify({
    kind,
    calls: N,
    seconds: SECONDS,
    window,
    packetsSent: sent,
    messagesOnWire,
    cpuSeconds,
    peakRss,
    endFailures: ended.filter((r) => r.status === 'rejected').length,
  }),
);
process.exit(0);
