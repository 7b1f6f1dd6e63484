// Row 1: the core audio pipeline, in one process, each subject interleaved
// with its baseline, median of several rounds, CPU time of this process.
//
//   node pipeline.mjs [--rounds 5] [--seconds 60]
// Prints one JSON line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import LibSampleRate from '@alexanderolsen/libsamplerate-js';
import { ReplayBuffer, Resampler, WireConverter } from './.build/client.mjs';
import { buildDir } from './lib/build.mjs';
import { median } from './lib/util.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
const ROUNDS = opt('--rounds', 5);
const SECONDS = opt('--seconds', 60);

function cpuTime(fn) {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

/**
 * Runs each of `fns` once per round, in turn (interleaved), after a warm-up
 * that also sets how many times each runs per timing (at least ~40 ms of CPU,
 * so that the clock's granularity does not matter); returns median seconds
 * per run.
 */
function interleave(fns, rounds = ROUNDS) {
  const times = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  const reps = {};
  for (const [k, fn] of Object.entries(fns)) {
    fn(); // warm-up
    reps[k] = Math.max(1, Math.ceil(0.04 / Math.max(1e-6, cpuTime(fn))));
  }
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn] of Object.entries(fns)) {
      const n = reps[k];
      times[k].push(cpuTime(() => {
        for (let i = 0; i < n; i++) fn();
      }) / n);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, t]) => [k, median(t)]));
}

function noise(n, seed = 1, scale = 0.5) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    out[i] = ((seed / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}
const toInt16 = (f) => Int16Array.from(f, (x) => Math.round(x * 32767));
const blocks = (data, size) => {
  const out = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, Math.min(data.length, i + size)));
  return out;
};


/**
 * What the transcriber does with each written frame: `WireConverter.convert`
 * (validate, repair, down-mix, resample, convert), copy into its replay
 * blocks (in parts of at most a second), and cut the 100 ms wire frames that
 * are complete as views of the blocks (what it hands the socket); at the end
 * of the stream the partial frame goes too. The buffer keeps the default
 * 30 s window (a long stream that no final confirms) and hands older blocks
 * back to the shared pool as it goes, as the transcriber's does.
 */
const FRAME = 1600;
// One buffer for every round, as one long stream has; its blocks (sized as
// the transcriber's: 5 frames, 16 KB, or four of the first write when that
// is larger) come back from the pool warm.
const ring = new ReplayBuffer(1, { blockSamples: 5 * FRAME, writesPerBlock: 4, align: FRAME });
function transcriberPath(input, sampleRate, channels) {
  const p = new WireConverter({ sampleRate: 16000, channels: 1 });
  let sent = ring.end;
  let sink = 0;
  const take = (wire) => {
    // In parts of at most a second, as the transcriber admits them.
    for (let at = 0; at < wire.length; at += 16000) ring.append(wire.length <= 16000 ? wire : wire.subarray(at, at + 16000));
    for (; sent + FRAME <= ring.end; sent += FRAME) sink += ring.read(sent, sent + FRAME).length;
    ring.dropBefore(ring.end - 16000 * 30);
    if (ring.releasable) ring.release(sent);
  };
  for (const b of input) take(p.convert({ data: b, sampleRate, channels }));
  take(p.convertTail());
  return sink + (ring.end - sent);
}

const result = { rounds: ROUNDS, seconds: SECONDS };
// The transcriber loads the resampler on demand, before its first frame off the wire rate
// (`WireConverter.ready`); load it once here, outside the timings.
await new WireConverter({ sampleRate: 16000, channels: 1 }).ready({ data: new Float32Array(0), sampleRate: 48000, channels: 2 });

// --- 1a. passthrough: 16 kHz s16 mono, 4096-sample input blocks, to 100 ms frames (the transcriber's path)
{
  const pcm = toInt16(noise(16000 * SECONDS));
  const input = blocks(pcm, 4096);
  const dst = new Int16Array(pcm.length);
  let sink = 0;
  const t = interleave({
    // The baseline: each input block copied once into a preallocated buffer.
    copy() {
      let off = 0;
      for (const b of input) {
        dst.set(b, off);
        off += b.length;
      }
      sink += dst[off - 1];
    },
    transcriber() {
      sink += transcriberPath(input, 16000, 1);
    },
  });
  result.passthrough = {
    copyXRealtime: SECONDS / t.copy,
    transcriberXRealtime: SECONDS / t.transcriber,
    transcriberRatioVsCopy: t.copy / t.transcriber,
    sink,
  };
}

// --- 1b. 48 kHz f32 stereo → 16 kHz s16 mono (repair check, down-mix, resample, convert; ring and frame views)
{
  const stereo = noise(48000 * 2 * SECONDS, 7);
  const copyDst = new Float32Array(stereo.length);
  const runs = {};
  for (const frames of [4800, 128]) {
    const input = blocks(stereo, frames * 2);
    let sink = 0;
    const t = interleave({
      copy() {
        let off = 0;
        for (const b of input) {
          copyDst.set(b, off);
          off += b.length;
        }
        sink += copyDst[off - 1];
      },
      transcriber() {
        sink += transcriberPath(input, 48000, 2);
      },
    });
    runs[`block${frames}`] = {
      transcriberXRealtime: SECONDS / t.transcriber,
      copyXRealtime: SECONDS / t.copy,
      sink,
    };
  }
  result.convert48kStereo = runs;
}

// --- 1c. resampler speed: ours vs libsamplerate (WASM), mono, 100 ms blocks
const SRC = LibSampleRate.ConverterType;
const peers = { 'libsamplerate SINC_FASTEST': SRC.SRC_SINC_FASTEST, 'libsamplerate SINC_MEDIUM': SRC.SRC_SINC_MEDIUM_QUALITY, 'libsamplerate SINC_BEST': SRC.SRC_SINC_BEST_QUALITY };
async function makeSrc(type, inRate, outRate) {
  return LibSampleRate.create(1, inRate, outRate, { converterType: type });
}
result.resamplerSpeed = {};
for (const inRate of [48000, 44100]) {
  const secs = Math.min(SECONDS, 20);
  const mono = noise(inRate * secs, 3);
  const input = blocks(mono, inRate / 10);
  const srcs = {};
  for (const [name, type] of Object.entries(peers)) srcs[name] = await makeSrc(type, inRate, 16000);
  let sink = 0;
  const fns = {
    ours() {
      const r = new Resampler({ inRate, outRate: 16000, channels: 1 });
      for (const b of input) sink += r.process(b).length;
      sink += r.flush().length;
    },
  };
  for (const [name, src] of Object.entries(srcs)) {
    fns[name] = () => {
      for (const b of input) sink += src.full(b).length;
    };
  }
  const t = interleave(fns, Math.max(3, ROUNDS - 2));
  const row = {};
  for (const [k, v] of Object.entries(t)) row[k] = { xRealtime: secs / v, oursSpeedup: v / t.ours };
  result.resamplerSpeed[`${inRate}to16000`] = row;
  for (const s of Object.values(srcs)) s.destroy();
}

// --- 1d. resampler quality, 48 kHz → 16 kHz mono
/** A tone with 100 ms raised-cosine fades, so its on- and offset splash no energy into the band. */
function sine(rate, f, seconds, amp = 0.5) {
  const n = Math.round(rate * seconds);
  const fade = Math.round(rate * 0.1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const edge = Math.min(i, n - 1 - i);
    const w = edge >= fade ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / fade);
    out[i] = amp * w * Math.sin((2 * Math.PI * f * i) / rate);
  }
  return out;
}
function amplitudeAt(y, rate, f) {
  let a = 0;
  let b = 0;
  for (let i = 0; i < y.length; i++) {
    const w = (2 * Math.PI * f * i) / rate;
    a += y[i] * Math.cos(w);
    b += y[i] * Math.sin(w);
  }
  return (2 / y.length) * Math.hypot(a, b);
}
function rmsAmp(y) {
  let s = 0;
  for (const v of y) s += v * v;
  return Math.sqrt((2 * s) / y.length);
}
// Measured over the steady middle: 0.15 s in from each end (past the fades and any filter ringing).
const middle = (y, skip = 2400) => y.subarray(skip, Math.max(skip, Math.min(y.length, 9600) - skip));
async function resampleWith(name, x) {
  if (name === 'ours') {
    const r = new Resampler({ inRate: 48000, outRate: 16000, channels: 1 });
    const parts = [];
    for (const b of blocks(x, 4800)) parts.push(r.process(b));
    parts.push(r.flush());
    return concat(parts);
  }
  const src = await makeSrc(peers[name], 48000, 16000);
  const parts = [];
  for (const b of blocks(x, 4800)) parts.push(src.full(b).slice());
  // Push silence through to get the tail the filter held back.
  parts.push(src.full(new Float32Array(4800)).slice());
  src.destroy();
  return concat(parts);
}
function concat(parts) {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const db = (x) => 20 * Math.log10(x);

const quality = {};
const soxOk = (() => {
  try {
    execFileSync('sox', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
// A speech-band test signal: 24 tones at random frequencies 60–5000 Hz, random phases.
const testSignal = (() => {
  const n = 48000 * 5;
  const x = new Float32Array(n);
  let seed = 99;
  const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  for (let k = 0; k < 24; k++) {
    const f = 60 + rnd() * 4940;
    const ph = rnd() * 2 * Math.PI;
    for (let i = 0; i < n; i++) x[i] += Math.sin((2 * Math.PI * f * i) / 48000 + ph) / 24;
  }
  return x;
})();
let soxRef = null;
if (soxOk) {
  const dir = `${buildDir}sox/`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}in.wav`, wavF32(testSignal, 48000));
  execFileSync('sox', [`${dir}in.wav`, '-e', 'floating-point', '-b', '32', `${dir}out.wav`, 'rate', '-v', '16000']);
  soxRef = readWavF32(readFileSync(`${dir}out.wav`));
}
for (const name of ['ours', ...Object.keys(peers)]) {
  // Passband: gain at 0.1–5.76 kHz (our documented flat band), 30 tones.
  const gains = [];
  for (let i = 0; i < 30; i++) {
    const f = 100 + (i * (5760 - 100)) / 29;
    const y = middle(await resampleWith(name, sine(48000, f, 0.6)));
    gains.push(db(amplitudeAt(y, 16000, f) / 0.5));
  }
  // -3 dB point: scan 6–8 kHz in 25 Hz steps.
  let f3 = NaN;
  for (let f = 6000; f <= 8000; f += 25) {
    const y = middle(await resampleWith(name, sine(48000, f, 0.6)));
    if (db(amplitudeAt(y, 16000, f) / 0.5) < -3) {
      f3 = f;
      break;
    }
  }
  // Stopband: every alias product of tones 8.96–23.9 kHz (150 Hz steps), worst case.
  let worst = Infinity;
  let worstF = 0;
  let worstNear = Infinity;
  for (let f = 8000; f <= 23900; f += 150) {
    const y = middle(await resampleWith(name, sine(48000, f, 0.6)));
    const att = -db(rmsAmp(y) / 0.5);
    if (f >= 8960 && att < worst) {
      worst = att;
      worstF = f;
    }
    if (f < 8960 && att < worstNear) worstNear = att;
  }
  const row = {
    passbandRippleDb: Math.max(...gains) - Math.min(...gains),
    minus3dBHz: f3,
    stopbandAttenuationDb: worst,
    stopbandWorstHz: worstF,
    attenuation8to896kHzDb: worstNear,
  };
  if (soxRef) {
    const y = await resampleWith(name, testSignal);
    row.snrVsSoxDb = snr(y, soxRef);
  }
  quality[name] = row;
}
result.resamplerQuality = quality;
result.sox = soxOk;

/** SNR of `y` against `ref` over the middle, at the best integer lag within ±64 samples. */
function snr(y, ref) {
  let best = { snr: -Infinity, lag: 0 };
  const n = Math.min(y.length, ref.length) - 2000;
  for (let lag = -64; lag <= 64; lag++) {
    let sig = 0;
    let err = 0;
    for (let i = 1000; i < n; i++) {
      const r = ref[i];
      const v = y[i + lag] ?? 0;
      sig += r * r;
      err += (v - r) * (v - r);
    }
    const s = 10 * Math.log10(sig / err);
    if (s > best.snr) best = { snr: s, lag };
  }
  return best;
}

function wavF32(samples, rate) {
  // fmt chunk of 18 bytes (cbSize 0), as non-PCM WAV wants.
  const buf = Buffer.alloc(46 + 12 + samples.length * 4);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(buf.length - 8, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(18, 16);
  buf.writeUInt16LE(3, 20); // IEEE float
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 4, 28);
  buf.writeUInt16LE(4, 32);
  buf.writeUInt16LE(32, 34);
  buf.writeUInt16LE(0, 36);
  buf.write('fact', 38);
  buf.writeUInt32LE(4, 42);
  buf.writeUInt32LE(samples.length, 46);
  buf.write('data', 50);
  buf.writeUInt32LE(samples.length * 4, 54);
  Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).copy(buf, 58);
  return buf;
}
function readWavF32(buf) {
  let p = 12;
  while (p < buf.length) {
    const id = buf.toString('ascii', p, p + 4);
    const size = buf.readUInt32LE(p + 4);
    if (id === 'data') {
      const out = new Float32Array(size / 4);
      for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(p + 8 + i * 4);
      return out;
    }
    p += 8 + size + (size & 1);
  }
  throw new Error('no data chunk');
}

console.log(JSON.stringify(result));
