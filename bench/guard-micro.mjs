// The CPU guard in one process (bench/RESULTS.md, "CPU guard"): N transcribers
// over a transport that answers in-process (no sockets: `session.started`, a
// final for every second received, `session.ended` after `end`), written
// round-robin after a warm-up; prints this process's CPU per frame written,
// in µs. The instrument for a few per cent, which end-to-end rows cannot
// resolve on a shared machine. Alternate the builds, several runs each:
//
//   for i in 1 2 3 4 5 6; do for c in client.mjs client-ab68ba8.mjs; do
//     echo "$c $(BENCH_CLIENT=$PWD/bench/.build/$c [PIPE=1] [RATE=8000 FRAME_MS=20] node bench/guard-micro.mjs)"; done; done
//
// BENCH_CLIENT: the bundle (bench/.build/client.mjs, today's; client-<sha>.mjs from --before).
// PIPE=1: frames go through a TransformStream piped into the writer (as g711Decoder), else straight to the writer.
// N (200), ROUNDS (600 frames a session measured), RATE (16000), FRAME_MS (100), NOCONFIRM=1: no finals.
// AUDIO=call: row 7b's two-party call (µ-law, decoded per frame; RATE=8000), a party per session, instead of
// white noise. VAD=1: `voiceActivity: true` (only speech sent); VAD=events: `{ sendOnlySpeech: false }`.
import { mulberry32 } from '@stt-stream/emulator';
import { buildCall } from './lib/call-material.mjs';

const { createTranscriber, decodeMulaw } = await import(process.env.BENCH_CLIENT ?? new URL('./.build/client.mjs', import.meta.url).href);
const N = Number(process.env.N ?? 200), ROUNDS = Number(process.env.ROUNDS ?? 600), RATE = Number(process.env.RATE ?? 16000), FRAME_MS = Number(process.env.FRAME_MS ?? 100);
const CONFIRM = process.env.NOCONFIRM !== '1';
const S = (RATE * FRAME_MS) / 1000;
const transport = {
  name: 'fake', supportsHeaders: true,
  async connect(req, h) {
    let bytes = 0, confirmed = 0;
    setTimeout(() => h.message(JSON.stringify({ type: 'session.started', session_id: 's', model: 'm', sample_rate: RATE, channels: 1, encoding: 'pcm_s16le' })), 0);
    return {
      protocol: '', bufferedAmount: 0,
      send(d) {
        if (typeof d === 'string') { const m = JSON.parse(d); if (m.type === 'end') setTimeout(() => { h.message(JSON.stringify({ type: 'session.ended', duration: bytes / (2 * RATE) })); h.close(1000, ''); }, 0); return; }
        bytes += d.byteLength;
        const sec = bytes / (2 * RATE);
        if (CONFIRM && sec - confirmed >= 1) { const s = confirmed; confirmed = Math.floor(sec); queueMicrotask(() => h.message(JSON.stringify({ type: 'transcript', is_final: true, text: 'x', start: s, end: confirmed, confidence: 1, channel: 0 }))); }
      },
      close() { setTimeout(() => h.close(1000, ''), 0); }, terminate() { h.close(1006, ''); },
    };
  },
};
const random = mulberry32(1);
const noise = Int16Array.from({ length: RATE * 10 }, () => Math.round((random() - 0.5) * 32767));
const call = process.env.AUDIO === 'call' ? buildCall(new URL('./.build/call/', import.meta.url).pathname) : null;
if (call && RATE !== 8000) throw new Error('AUDIO=call is 8 kHz µ-law: set RATE=8000');
const VAD = process.env.VAD === '1' ? { voiceActivity: true } : process.env.VAD === 'events' ? { voiceActivity: { sendOnlySpeech: false } } : {};
/** Session `i`'s frame `k`: the call's party (alternating by session), or noise. */
const frameOf = (i, k) => {
  if (!call) {
    const at = ((i * 7 + k) * S) % (noise.length - S);
    return noise.slice(at, at + S);
  }
  const track = i & 1 ? call.b : call.a;
  const at = (((i * 155 + k) * S) % (track.length - S));
  return decodeMulaw(track.subarray(at, at + S));
};
const ts = Array.from({ length: N }, () => {
  const t = createTranscriber({ url: 'ws://127.0.0.1:1/v1/stt/stream', apiKey: 'k', model: 'm', transport, sampleRate: RATE, channels: 1, overflow: 'drop-oldest', ...VAD });
  let w;
  if (process.env.PIPE === '1') {
    // As g711Decoder: a TransformStream stage piped into the transcriber.
    const stage = new TransformStream({ transform(chunk, c) { c.enqueue(chunk); } });
    stage.readable.pipeTo(t.writable).catch(() => {});
    w = stage.writable.getWriter();
  } else w = t.writable.getWriter();
  t.readable.pipeTo(new WritableStream()).catch(() => {}); return { t, w };
});
const tick = () => new Promise((r) => setImmediate(r));
async function run(from, to) { for (let k = from; k < to; k++) { for (let i = 0; i < N; i++) ts[i].w.write({ data: frameOf(i, k), sampleRate: RATE, channels: 1 }).catch(() => {}); await tick(); } }
await run(0, 200);
const c0 = process.cpuUsage();
await run(200, 200 + ROUNDS);
const c = process.cpuUsage(c0);
console.log(((c.user + c.system) / (ROUNDS * N)).toFixed(3));
process.exit(0);
