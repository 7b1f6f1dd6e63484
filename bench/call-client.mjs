// Row 7, two-party calls (one run, one subject, fresh process): N concurrent
// calls, each delivering a 20 ms packet of 8 kHz µ-law per party (160 bytes
// each) at real-time pace, as a media-stream server receives both tracks of a
// call. The audio is the conversation of bench/lib/call-material.mjs (each
// call starts at its own point of it and loops round). Subjects:
//
// - `ours-stereo`: each pair of packets decoded (`decodeMulaw`), interleaved
//   and written into one transcriber with `channels: 2`;
// - `ours-mono`: one transcriber per party, each party's packet decoded and
//   written into its own;
// - `-vad`: the same with `voiceActivity: true` (only speech is sent; in
//   stereo, silence is skipped only where both parties are silent);
// - `deepgram`: Deepgram's SDK sending the whole call as stereo µ-law, the two
//   tracks interleaved byte by byte (`encoding: mulaw, channels: 2,
//   multichannel`), as Deepgram's own media-stream example does;
// - `null`: the same timers and packets, nothing sent (the harness).
//
// Ours runs against the emulator whose engine confirms every second it
// heard; Deepgram against the bench's Deepgram dialect. Reports this
// process's CPU over the window (after BENCH_WARMUP_S of paced packets), and
// for the whole call (warm-up included): audio bytes handed to the kernel
// (`ws`'s send callback, every subject through the same hook), text messages
// sent, and ours' `stats.sentSeconds` and `skippedSeconds`.
//
//   BENCH_URLS='{…}' BENCH_CALL_DIR=… [BENCH_WARMUP_S=10] [BENCH_VAD_OPTS='{"sendOnlySpeech":false}'] node call-client.mjs <null|ours-stereo|ours-stereo-vad|ours-mono|ours-mono-vad|deepgram> <calls> <seconds>
import { hooks, openDeepgram, patchWs } from './lib/subjects.mjs';
import { buildCall } from './lib/call-material.mjs';
import { measureWindow, openAll, paced, sampler } from './lib/util.mjs';

const { createTranscriber, createWsTransport, decodeMulaw } = await import(process.env.BENCH_CLIENT ?? './.build/client.mjs');

const [kind, nArg, secondsArg] = process.argv.slice(2);
const N = Number(nArg);
const SECONDS = Number(secondsArg);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 0);
const PACKET = 160;
const PACKET_MS = 20;
const urls = JSON.parse(process.env.BENCH_URLS);
const call = buildCall(process.env.BENCH_CALL_DIR);
const packetsInCall = Math.floor(call.a.length / PACKET);

patchWs();
let audioBytes = 0;
let textMessages = 0;
let messagesInWindow = 0;
let measuring = false;
hooks.onFlushed = (bytes) => {
  audioBytes += bytes.byteLength;
  if (measuring) messagesInWindow++;
};
hooks.onText = () => void textMessages++;

/** Packet `k` of party `track` for call `i`: calls start 3.1 s apart in the conversation, looping round. */
const packet = (track, i, k) => {
  const at = ((Math.round(i * 3.1 * 50) + k) % packetsInCall) * PACKET;
  return track.subarray(at, at + PACKET);
};

function ours(channels, voiceActivity) {
  const transcriber = createTranscriber({ url: urls.confirming.ws, model: 'bench', transport: createWsTransport(), sampleRate: 8000, channels, ...(voiceActivity ? { voiceActivity: process.env.BENCH_VAD_OPTS ? JSON.parse(process.env.BENCH_VAD_OPTS) : true } : {}) });
  const writer = transcriber.writable.getWriter();
  const done = transcriber.readable.pipeTo(new WritableStream());
  done.catch(() => undefined); // awaited in end(); a failed stream must not end the process before then
  const opened = new Promise((resolve) => transcriber.events.once('open', resolve));
  return { transcriber, writer, done, opened };
}

/** One call of `kind`: `send(a, b)` takes both parties' packets; `first` is the priming write (ours connects on it). */
async function openCall(i) {
  const vad = kind.endsWith('-vad');
  if (kind.startsWith('ours-stereo')) {
    const t = ours(2, vad);
    const frame = (a, b) => {
      const pa = decodeMulaw(a);
      const pb = decodeMulaw(b);
      const data = new Int16Array(2 * PACKET);
      for (let j = 0; j < PACKET; j++) {
        data[2 * j] = pa[j];
        data[2 * j + 1] = pb[j];
      }
      return { data, sampleRate: 8000, channels: 2 };
    };
    await t.writer.write(frame(packet(call.a, i, 0), packet(call.b, i, 0)));
    await t.opened;
    return {
      transcribers: [t.transcriber],
      send: (a, b) => t.writer.write(frame(a, b)).catch(() => undefined),
      async end() {
        await t.writer.close();
        await t.done;
      },
    };
  }
  if (kind.startsWith('ours-mono')) {
    const parties = [ours(1, vad), ours(1, vad)];
    const frame = (p) => ({ data: decodeMulaw(p), sampleRate: 8000, channels: 1 });
    await Promise.all([parties[0].writer.write(frame(packet(call.a, i, 0))), parties[1].writer.write(frame(packet(call.b, i, 0)))]);
    await Promise.all(parties.map((p) => p.opened));
    return {
      transcribers: parties.map((p) => p.transcriber),
      send(a, b) {
        parties[0].writer.write(frame(a)).catch(() => undefined);
        parties[1].writer.write(frame(b)).catch(() => undefined);
      },
      end: () => Promise.all(parties.map(async (p) => {
        await p.writer.close();
        await p.done;
      })),
    };
  }
  if (kind === 'deepgram') {
    const { conn, end } = await openDeepgram(urls.deepgram.ws, { encoding: 'mulaw', sample_rate: 8000, channels: 2, multichannel: 'true' });
    const send = (a, b) => {
      const bytes = new Uint8Array(2 * PACKET);
      for (let j = 0; j < PACKET; j++) {
        bytes[2 * j] = a[j];
        bytes[2 * j + 1] = b[j];
      }
      conn.sendMedia(bytes);
    };
    send(packet(call.a, i, 0), packet(call.b, i, 0));
    return {
      transcribers: [],
      send,
      end,
    };
  }
  throw new Error(`unknown call subject ${kind}`);
}

const memory = sampler(250);
const calls = kind === 'null' ? [] : await openAll(N, openCall);

const packetCount = Math.round(((SECONDS + WARMUP_S) * 1000) / PACKET_MS);
const { t0, done } = paced(N, PACKET_MS, packetCount, (i, k) => {
  if (kind !== 'null') calls[i].send(packet(call.a, i, k + 1), packet(call.b, i, k + 1));
});
const { cpuSeconds, window } = await measureWindow({ t0, warmupS: WARMUP_S, done, onWindow: (on) => (measuring = on) });

const ended = await Promise.allSettled(calls.map((c) => c.end()));
const transcribers = calls.flatMap((c) => c.transcribers);
const sum = (key) => transcribers.reduce((a, t) => a + t.stats[key], 0);
// Every packet of the call (the priming one included), both parties, as PCM16: what a client sends without a detector.
const callSeconds = ((packetCount + 1) * PACKET_MS) / 1000;
console.log(
  JSON.stringify({
    kind,
    calls: N,
    seconds: SECONDS,
    warmupSeconds: WARMUP_S,
    window,
    callSeconds,
    pcmBytesPerCall: callSeconds * 8000 * 2 * 2,
    cpuSeconds,
    audioBytes,
    audioBytesPerCall: audioBytes / N,
    textMessagesPerCall: textMessages / N,
    messagesInWindow,
    sentSecondsPerCall: transcribers.length ? sum('sentSeconds') / N : null,
    skippedSecondsPerCall: transcribers.length ? sum('skippedSeconds') / N : null,
    sessions: transcribers.length,
    peakRss: memory.peaks.rss,
    material: { seconds: call.seconds, stats: call.stats },
    endFailures: ended.filter((r) => r.status === 'rejected').length,
  }),
);
process.exit(0);
