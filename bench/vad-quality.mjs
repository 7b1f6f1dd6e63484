#!/usr/bin/env node
// Row 9: voice activity detection. Quality (frame-level recall and precision against known
// speech, with the gate's pre-roll and hangover applied, and the share of audio the gate
// would send) and CPU per second of audio, for the default detector (core's
// `createEnergyVad`), WebRTC's VAD in WebAssembly and Silero (ONNX). The material is built
// here (bench/lib/vad-material.mjs). Prints one JSON line (the last of stdout).
//
//   node bench/vad-quality.mjs [--rates 16000,8000] [--cpu-rates 16000,8000,48000] [--cpu-rounds 5] [--quick]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDir, buildSubjects } from './lib/build.mjs';
import { median } from './lib/util.mjs';
import { FRAME_MS, NOISES, SNRS, SPEECH_LEVEL_DB, TAIL_SILENCE, TRUTH_BRIDGE_MS, TRUTH_RANGE_DB, UNSTEADY, UTTERANCES, buildMaterial, edgeCases, mix, segments } from './lib/vad-material.mjs';
import { createSileroVad, createWebRtcVad, sileroAvailable } from './lib/vad-detectors.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const quick = args.includes('--quick');
const RATES = opt('--rates', '16000,8000').split(',').map(Number);
const CPU_RATES = opt('--cpu-rates', '16000,8000,48000').split(',').map(Number);
const CPU_ROUNDS = Number(opt('--cpu-rounds', quick ? 1 : 5));
const log = (...a) => console.error('[vad]', ...a);

if (!existsSync(`${buildDir}vad.mjs`)) await buildSubjects();
const { createEnergyVad, SpeechGate, SPEECH_GATE_DEFAULTS, ENERGY_VAD_DEFAULTS, VoiceActivity } = await import(`${buildDir}vad.mjs`);

const root = fileURLToPath(new URL('..', import.meta.url));
const dtmfWav = { wav: `${root}examples/audio/dtmf-demo.wav`, json: JSON.parse(readFileSync(`${root}examples/audio/dtmf-demo.json`, 'utf8')) };

/** The detectors compared, each made afresh per signal (a new stream). */
const DETECTORS = [
  { name: 'energy', make: async () => createEnergyVad() },
  ...[0, 1, 2, 3].map((mode) => ({ name: `webrtc-${mode}`, make: () => createWebRtcVad({ mode, frameMs: 30 }) })),
  ...(sileroAvailable
    ? [
        { name: 'silero-v5', make: () => createSileroVad({ version: 'v5', runtime: 'node' }) },
        { name: 'silero-v6', make: () => createSileroVad({ version: 'v6', runtime: 'node' }) },
      ]
    : []),
];
if (!sileroAvailable) log('Silero not measured: its packages are not installed (bench/lib/vad-detectors.mjs says how)');
/** The pre-roll × hangover grid run for the default detector (ms). */
const GATE_GRID = { preRollMs: [100, 150, 200, 300], hangoverMs: [200, 300, 400, 500] };

/** Probability of each of the detector's chunks over `samples`, fed as a stream would feed it. */
async function probabilities(det, samples, rate) {
  const n = Math.max(1, Math.round((rate * det.frameMs) / 1000));
  const count = Math.floor(samples.length / n);
  const probs = new Float32Array(count);
  const chunk = new Int16Array(n);
  for (let c = 0; c < count; c++) {
    chunk.set(samples.subarray(c * n, (c + 1) * n));
    const p = det.process(chunk, rate);
    probs[c] = det.async ? await p : p;
  }
  return { probs, n };
}

/**
 * Per 10 ms frame: whether the gate would send it (a frame is sent when its middle lies
 * between a `speech_started` and its `speech_ended`), and the raw decision (its chunk's
 * probability ≥ the threshold, no gate).
 */
function decisions({ probs, n }, rate, frames, gateOptions = {}) {
  const gate = new SpeechGate({ sampleRate: rate, ...gateOptions });
  const spans = [];
  let open = -1;
  for (let c = 0; c < probs.length; c++) {
    const ev = gate.update(probs[c], c * n, n);
    if (ev === 'speech_started') open = gate.eventPosition;
    if (ev === 'speech_ended') spans.push([open, gate.eventPosition]);
  }
  if (gate.finish(probs.length * n)) spans.push([open, gate.eventPosition]);
  const f = Math.round((rate * FRAME_MS) / 1000);
  const sent = new Uint8Array(frames);
  for (const [a, b] of spans) for (let i = Math.max(0, Math.ceil((a - f / 2) / f)); i < frames && i * f + f / 2 < b; i++) sent[i] = 1;
  const raw = new Uint8Array(frames);
  for (let i = 0; i < frames; i++) {
    const c = Math.floor((i * f + f / 2) / n);
    raw[i] = c < probs.length && probs[c] >= gate.threshold ? 1 : 0;
  }
  return { sent, raw, opens: spans.length };
}

/** Confusion counts of `pred` against `truth`, and the truth segments not wholly covered. */
function score(pred, truth) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    if (pred[i] && truth[i]) tp++;
    else if (pred[i]) fp++;
    else if (truth[i]) fn++;
  }
  const segs = segments(truth);
  const clipped = segs.filter(([a, b]) => pred.subarray(a, b).some((x) => !x)).length;
  return { tp, fp, fn, frames: truth.length, segments: segs.length, clipped };
}

const add = (a, b) => (a ? Object.fromEntries(Object.keys(b).map((k) => [k, a[k] + b[k]])) : { ...b });
const summary = (c) => ({ ...c, recall: c.tp / (c.tp + c.fn), precision: c.tp / (c.tp + c.fp), sent: (c.tp + c.fp) / c.frames });
const evaluate = (prob, rate, truth, gateOptions) => {
  const dec = decisions(prob, rate, truth.length, gateOptions);
  return { gated: summary(score(dec.sent, truth)), raw: summary(score(dec.raw, truth)), opens: dec.opens };
};

// ---- quality ----
const allRates = [...new Set([...RATES, ...CPU_RATES])];
log(`building material at ${allRates.join(', ')} Hz (espeak-ng, sox)`);
const material = buildMaterial(allRates, dtmfWav);
const quality = {};
for (const rate of RATES) {
  const m = material[rate];
  const signals = [
    ['clean', null, Infinity],
    ...NOISES.flatMap((color) => SNRS.map((snr) => [color, m.noise[color], snr])),
    ...UNSTEADY.map((kind) => [kind, m.noise[kind], 10]),
  ];
  const edges = edgeCases(m, rate);
  const dtmf = [['clean', null, Infinity], ['white', m.noise.white, 10]];
  for (const d of DETECTORS) {
    const row = ((quality[rate] ??= {})[d.name] = { speech: {}, edge: {}, dtmf: {} });
    for (const [noise, samples, snr] of signals) {
      const prob = await probabilities(await d.make(), mix(m.clean, m.truth, samples, snr, rate).samples, rate);
      row.speech[`${noise} ${snr}`] = { noise, snr, ...evaluate(prob, rate, m.truth) };
      if (d.name === 'energy' && NOISES.includes(noise)) {
        // The gate grid, on the default detector's probabilities.
        for (const pre of GATE_GRID.preRollMs) {
          for (const hang of GATE_GRID.hangoverMs) {
            const key = `${pre}/${hang}`;
            const g = ((row.gateGrid ??= {})[key] ??= {});
            g[snr] = add(g[snr], score(decisions(prob, rate, m.truth.length, { preRollMs: pre, hangoverMs: hang }).sent, m.truth));
          }
        }
      }
    }
    for (const [name, { samples, truth }] of Object.entries(edges)) row.edge[name] = evaluate(await probabilities(await d.make(), samples, rate), rate, truth);
    for (const [noise, samples, snr] of dtmf) {
      const { samples: mixed } = mix(m.dtmf.clean, m.dtmf.truth, samples?.subarray(0, m.dtmf.clean.length), snr, rate);
      row.dtmf[`${noise} ${snr}`] = { noise, snr, ...evaluate(await probabilities(await d.make(), mixed, rate), rate, m.dtmf.truth) };
    }
    // Pooled over the three steady noises at each SNR (and clean).
    row.pooled = {};
    for (const snr of [Infinity, ...SNRS]) {
      let g = null;
      let r = null;
      for (const v of Object.values(row.speech)) {
        if (v.snr !== snr || !(v.noise === 'clean' || NOISES.includes(v.noise))) continue;
        g = add(g, v.gated);
        r = add(r, v.raw);
      }
      row.pooled[snr] = { gated: summary(g), raw: summary(r) };
    }
    if (row.gateGrid) for (const g of Object.values(row.gateGrid)) for (const snr of Object.keys(g)) g[snr] = summary(g[snr]);
    const p10 = row.pooled[10].gated;
    log(`${rate} Hz ${d.name}: 10 dB recall ${p10.recall.toFixed(3)} precision ${p10.precision.toFixed(3)} sent ${p10.sent.toFixed(3)}`);
  }
}

// ---- CPU ----
// Each subject processes the white-noise 10 dB mix in its own chunks, `reps` times, timed by
// process.cpuUsage() (user + system, every thread); rounds interleave the subjects. Baseline:
// the plain copy of the same samples, 100 ms frames `TypedArray.set` into one buffer.
const cpu = {};
for (const rate of CPU_RATES) {
  const m = material[rate];
  const { samples } = mix(m.clean, m.truth, m.noise.white, 10, rate);
  const seconds = samples.length / rate;
  const frame = Math.round(rate / 10);
  const frames100 = [];
  for (let i = 0; i + frame <= samples.length; i += frame) frames100.push(samples.subarray(i, i + frame));
  const sink = new Int16Array(frame);
  const silero = sileroAvailable && (rate === 8000 || rate === 16000); // Silero takes 8 and 16 kHz only
  const subjects = {
    copy: async () => {
      for (const f of frames100) sink.set(f);
    },
    energy: await chunked(() => createEnergyVad(), samples, rate),
    'energy + gate (VoiceActivity, 100 ms frames)': voiceActivity(frames100, rate),
    'webrtc-3': await chunked(() => createWebRtcVad({ mode: 3, frameMs: 30 }), samples, rate),
    'webrtc-3 (10 ms)': await chunked(() => createWebRtcVad({ mode: 3, frameMs: 10 }), samples, rate),
    ...(silero && {
      'silero-v5 (onnxruntime-node)': await chunked(() => createSileroVad({ version: 'v5', runtime: 'node' }), samples, rate),
      'silero-v5 (onnxruntime-web)': await chunked(() => createSileroVad({ version: 'v5', runtime: 'web' }), samples, rate),
    }),
  };
  // Warm-up (0.5 s of passes, so the JIT has settled), then enough repetitions for about 0.3 s of CPU each.
  const reps = {};
  for (const [name, fn] of Object.entries(subjects)) {
    const t0 = performance.now();
    let passes = 0;
    while (performance.now() - t0 < 500 || passes < 3) {
      await fn();
      passes++;
    }
    const t = performance.now();
    await fn();
    reps[name] = Math.max(1, Math.min(5000, Math.ceil(300 / Math.max(0.01, performance.now() - t))));
  }
  const runs = Object.fromEntries(Object.keys(subjects).map((k) => [k, []]));
  for (let r = 0; r < CPU_ROUNDS; r++) {
    for (const [name, fn] of Object.entries(subjects)) {
      const c0 = process.cpuUsage();
      for (let k = 0; k < reps[name]; k++) await fn();
      const c = process.cpuUsage(c0);
      runs[name].push((c.user + c.system) / (reps[name] * seconds)); // µs of CPU per second of audio
    }
  }
  cpu[rate] = {};
  for (const [name, list] of Object.entries(runs)) {
    cpu[rate][name] = { usPerSecond: median(list), vsCopy: median(list.map((v, i) => v / runs.copy[i])), reps: reps[name], all: list };
    log(`${rate} Hz CPU ${name}: ${median(list).toFixed(1)} µs per s of audio`);
  }
}

/** A subject that runs a detector over `samples` in its own chunks (a fresh state each pass). */
async function chunked(make, samples, rate) {
  const det = await make();
  const n = Math.round((rate * det.frameMs) / 1000);
  const views = [];
  for (let i = 0; i + n <= samples.length; i += n) views.push(samples.subarray(i, i + n));
  return det.async
    ? async () => {
        det.reset();
        for (const v of views) await det.process(v, rate);
      }
    : async () => {
        det.reset();
        for (const v of views) det.process(v, rate);
      };
}

/** What the session will run: the default detector and gate behind VoiceActivity, fed 100 ms wire frames. */
function voiceActivity(frames, rate) {
  const va = new VoiceActivity({ sampleRate: rate, onEvent: () => {} });
  return async () => {
    va.reset();
    let pos = 0;
    for (const f of frames) {
      va.push(f, pos);
      pos += f.length;
    }
    va.finish();
  };
}

console.log(
  JSON.stringify({
    settings: {
      rates: RATES,
      cpuRates: CPU_RATES,
      cpuRounds: CPU_ROUNDS,
      gate: SPEECH_GATE_DEFAULTS,
      energy: ENERGY_VAD_DEFAULTS,
      frameMs: FRAME_MS,
      truthRangeDb: TRUTH_RANGE_DB,
      truthBridgeMs: TRUTH_BRIDGE_MS,
      speechLevelDb: SPEECH_LEVEL_DB,
      utterances: UTTERANCES,
      tailSilence: TAIL_SILENCE,
      speechSeconds: Object.fromEntries(RATES.map((r) => [r, (material[r].truth.reduce((a, b) => a + b, 0) * FRAME_MS) / 1000])),
      totalSeconds: Object.fromEntries(RATES.map((r) => [r, material[r].clean.length / r])),
      dtmfSpeechSeconds: Object.fromEntries(RATES.map((r) => [r, (material[r].dtmf.truth.reduce((a, b) => a + b, 0) * FRAME_MS) / 1000])),
      dtmfSeconds: Object.fromEntries(RATES.map((r) => [r, material[r].dtmf.clean.length / r])),
    },
    quality,
    cpu,
  }),
);
