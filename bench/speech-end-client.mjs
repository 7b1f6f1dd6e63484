// Row 8, end of speech (one run, one configuration, fresh process): how long
// after the end of an utterance its final arrives. N sessions of ours each
// stream a DTMF fixture (the emulator's `dtmfSamples`: utterances of 2 to 5
// keys, 100 ms tones and gaps, 2 s between utterances, white noise 20 dB
// below the tones) as frames of F ms (100 by default) at real-time pace, against the tone
// engine (`tone`: it finalises 300 ms after the last word) or the same engine
// with 1 s endpointing (`slow`, bench/lib/server.mjs), every session with the
// emulator's slow-answer fault (`delayMs`: each server message held that
// long). Client modes: `all` (no detector: every sample sent), `vad`
// (`voiceActivity: true`: only speech sent), `vad-finalize` (and
// `finalizeOnSpeechEnd: true`).
//
// End of speech is the end of an utterance's last tone, known from the
// fixture. Stream position p (s) exists in the real world at O + p, O being
// when the session's paced writing started less one frame (a frame is written
// when its last sample exists). The latency of an utterance is the arrival
// of the first final that covers its last word (`end` within 50 ms of it),
// read from the transcriber's readable side, minus O + that end. Also: when
// the client's `speech_ended` for it arrived, and the gateway's answer time
// as `ws` sees it (each `finalize` sent → the next final on that socket).
//
//   BENCH_URLS='{…}' node speech-end-client.mjs <all|vad|vad-finalize> <tone|slow> <sessions> <delayMs> [frameMs]
import WebSocket from 'ws';
import { percentile } from './lib/util.mjs';

const { createTranscriber, createWsTransport } = await import(process.env.BENCH_CLIENT ?? './.build/client.mjs');
const { dtmfSamples, withFault } = await import('./.build/emulator.mjs');

const [mode, engine, nArg, delayArg, frameArg] = process.argv.slice(2);
const N = Number(nArg);
const DELAY_MS = Number(delayArg);
const RATE = 16000;
const FRAME_MS = Number(frameArg ?? 100);
const FRAME = (RATE * FRAME_MS) / 1000;
const urls = JSON.parse(process.env.BENCH_URLS);
const base = engine === 'tone' ? urls.tone.ws : urls.toneSlowEndpoint.ws;
const url = DELAY_MS > 0 ? withFault(base, { delayMs: DELAY_MS }) : base;
const voiceActivity = mode === 'all' ? undefined : mode === 'vad' ? true : { finalizeOnSpeechEnd: true };

// Utterances of 2 to 4 keys; each session has its own lead silence (300 to about 2,300 ms, in steps
// of 107 ms), so that sessions' ends do not coincide and an utterance ends anywhere within a frame,
// as speech does (tones are 100 ms long and 100 ms apart: with leads in whole frames every end
// would fall on a frame's end).
const KEYS = '147 2580 36 9#*1 52 7410 8963 #0';
const fixtures = new Map();
const fixture = (i) => {
  const lead = 300 + (i % 19) * 107;
  if (!fixtures.has(lead)) {
    const f = dtmfSamples(KEYS, { sampleRate: RATE, toneMs: 100, gapMs: 100, breakMs: 2000, leadMs: lead, tailMs: 2500, amplitude: 0.3, snrDb: 20, seed: 1 + lead });
    // The end of each utterance's last tone (s): utterances are runs of tones closer than the break.
    const ends = [];
    f.tones.forEach((t, k) => {
      const next = f.tones[k + 1];
      if (!next || next.start - t.end > 1) ends.push(t.end);
    });
    fixtures.set(lead, { samples: f.samples, ends });
  }
  return fixtures.get(lead);
};

// --- outside the SDK: finalize sends and finals on `ws` (the gateway's answer time) ---
const lastFinalize = new WeakMap();
const answers = [];
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function benchSend(data, ...rest) {
  if (typeof data === 'string' && data.includes('"finalize"')) lastFinalize.set(this, performance.now());
  return send.call(this, data, ...rest);
};
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function benchEmit(name, data, isBinary) {
  if (name === 'message' && !isBinary) {
    const at = lastFinalize.get(this);
    if (at !== undefined && String(data).includes('"is_final":true')) {
      answers.push(performance.now() - at);
      lastFinalize.delete(this);
    }
  }
  return emit.apply(this, arguments);
};

// --- the sessions ---
const sessions = [];
let next = 0;
const worker = async () => {
  while (next < N) {
    const i = next++;
    const f = fixture(i);
    // Ours with wire frames as long as the source's (`frameMs`, 100 by default), so nothing waits for a frame to fill.
    const transcriber = createTranscriber({ url, model: 'bench', transport: createWsTransport(), frameMs: FRAME_MS, ...(voiceActivity ? { voiceActivity } : {}) });
    const s = { transcriber, f, origin: 0, finals: [], speechEnded: [], writer: transcriber.writable.getWriter() };
    s.done = transcriber.readable.pipeTo(
      new WritableStream({
        write(ev) {
          if (ev.type === 'final') s.finals.push({ at: performance.now(), start: ev.start, end: ev.end, text: ev.text });
          else if (ev.type === 'speech_ended') s.speechEnded.push({ at: performance.now(), timestamp: ev.timestamp });
        },
      }),
    );
    s.done.catch(() => undefined); // awaited at the end; a failed stream must not end the process before then
    const opened = new Promise((resolve) => transcriber.events.once('open', resolve));
    // Connect (on the first write: the fixture's first frame, silence) and wait for session.started.
    await s.writer.write({ data: f.samples.subarray(0, FRAME), sampleRate: RATE, channels: 1 });
    await opened;
    sessions[i] = s;
  }
};
await Promise.all(Array.from({ length: Math.min(25, N) }, worker));

// Frame k ≥ 1 of session i is written at T + offset + (k − 1) × 100 ms, when its last sample exists.
const T = performance.now() + 200;
await new Promise((resolveAll) => {
  let finished = 0;
  sessions.forEach((s, i) => {
    const offset = (i / N) * FRAME_MS;
    const frames = Math.ceil(s.f.samples.length / FRAME);
    s.origin = T + offset - 2 * FRAME_MS; // stream position p (s) exists at origin + 1000 p
    let k = 1;
    const tick = () => {
      s.writer.write({ data: s.f.samples.subarray(k * FRAME, (k + 1) * FRAME), sampleRate: RATE, channels: 1 }).catch(() => undefined);
      if (++k >= frames) {
        if (++finished === N) resolveAll();
        return;
      }
      setTimeout(tick, Math.max(0, T + offset + (k - 1) * FRAME_MS - performance.now()));
    };
    setTimeout(tick, Math.max(0, T + offset - performance.now()));
  });
});
const ended = await Promise.allSettled(sessions.map(async (s) => {
  await s.writer.close();
  await s.done;
}));

const latencies = [];
const detector = [];
let missing = 0;
for (const s of sessions) {
  for (const end of s.f.ends) {
    const final = s.finals.find((x) => x.end >= end - 0.05 && x.start <= end);
    if (!final) {
      missing++;
      continue;
    }
    latencies.push(final.at - (s.origin + end * 1000));
    const se = s.speechEnded.find((x) => x.timestamp >= end - 0.05);
    if (se) detector.push(se.at - (s.origin + end * 1000));
  }
}
const summary = (xs) => ({ n: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95), max: percentile(xs, 100) });
const stats = sessions.map((s) => s.transcriber.stats);
console.log(
  JSON.stringify({
    mode,
    engine,
    sessions: N,
    delayMs: DELAY_MS,
    frameMs: FRAME_MS,
    utterances: sessions.reduce((a, s) => a + s.f.ends.length, 0),
    missing,
    latency: summary(latencies),
    speechEnded: summary(detector),
    answer: summary(answers),
    sentShare: stats.reduce((a, x) => a + x.sentSeconds, 0) / stats.reduce((a, x) => a + x.writtenSamples / RATE, 0),
    endFailures: ended.filter((r) => r.status === 'rejected').length,
  }),
);
process.exit(0);
