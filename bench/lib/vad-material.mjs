// Row 9's test material, built at bench time: speech from espeak-ng (several voices and
// rates) with silences of known lengths between the utterances, noise from sox (white,
// pink, brown), mixed at known SNRs; the DTMF fixture of the emulator. Known speech comes
// from the clean signal itself (see `truthFrames`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '@stt-stream/emulator';

/**
 * 8 utterances (a short support call), each with its voice, speaking rate (words a minute), the
 * silence before it (s) and its level against the others (dB: talkers and their distance to the
 * microphone differ; the SNR is set on the mean).
 */
export const UTTERANCES = [
  { voice: 'en-us', wpm: 160, silenceBefore: 0.8, gainDb: 0, text: 'Hello, thanks for calling. How can I help you today?' },
  { voice: 'en-gb+f3', wpm: 175, silenceBefore: 0.5, gainDb: -4, text: 'I would like to check the status of my order from last week.' },
  { voice: 'en-gb-scotland', wpm: 140, silenceBefore: 1.5, gainDb: 3, text: 'Sure. Can you read me the order number, please?' },
  { voice: 'en-us+m3', wpm: 200, silenceBefore: 0.3, gainDb: -6, text: 'It starts with four seven two, then nine nine one.' },
  { voice: 'en-029+f2', wpm: 150, silenceBefore: 2.5, gainDb: 1, text: 'Thank you. I can see it left our warehouse on Friday.' },
  { voice: 'en-gb-x-rp', wpm: 220, silenceBefore: 0.7, gainDb: -2, text: 'So it should arrive tomorrow, or the day after?' },
  { voice: 'en-us+f4', wpm: 130, silenceBefore: 4.0, gainDb: -5, text: 'Yes. You will get a text message with the tracking link.' },
  { voice: 'en+m7', wpm: 185, silenceBefore: 1.0, gainDb: 2, text: 'Perfect, that is all I needed. Have a good afternoon.' },
];
export const TAIL_SILENCE = 1.5;
export const NOISES = ['white', 'pink', 'brown'];
/** Noises that are not steady, mixed at 10 dB only. */
export const UNSTEADY = ['typing', 'music'];
const MELODY = ['C4', 'E4', 'G4', 'C5', 'A4', 'F4', 'D4', 'G4'];
export const SNRS = [20, 10, 5];
/** Active speech level of the clean signal (dBFS, RMS over its speech frames against full scale): a usual microphone level, with headroom for the noise. */
export const SPEECH_LEVEL_DB = -26;
/** Truth: a 10 ms frame is speech where the clean signal is within this many dB of its loudest frame … */
export const TRUTH_RANGE_DB = 50;
/** … and gaps shorter than this between speech frames are speech too (a stop closure, a comma). */
export const TRUTH_BRIDGE_MS = 200;
export const FRAME_MS = 10;

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error?.code === 'ENOENT') throw new Error(`row 9 needs \`${cmd}\` (Debian: apt-get install espeak-ng sox)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
};

/** 16-bit PCM mono samples of a WAV file (the first `data` chunk). */
export function readWav(path) {
  const buf = readFileSync(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path}: not a WAV file`);
  let at = 12;
  let format = null;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') format = { channels: buf.readUInt16LE(at + 10), sampleRate: buf.readUInt32LE(at + 12), bits: buf.readUInt16LE(at + 22) };
    if (id === 'data') {
      if (!format || format.channels !== 1 || format.bits !== 16) throw new Error(`${path}: expected 16-bit mono, got ${JSON.stringify(format)}`);
      const data = buf.subarray(at + 8, at + 8 + size);
      const samples = new Int16Array(data.length >> 1);
      for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
      return { samples, sampleRate: format.sampleRate };
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}


/** Drops leading and trailing digital silence (espeak-ng's own, so that the silences between utterances are the stated ones). */
function trim(samples) {
  let a = 0;
  let b = samples.length;
  while (a < b && Math.abs(samples[a]) <= 1) a++;
  while (b > a && Math.abs(samples[b - 1]) <= 1) b--;
  return samples.subarray(a, b);
}

/** Level of each 10 ms frame, dB against full scale (−200 for digital silence). */
export function frameLevels(samples, sampleRate) {
  const n = Math.round((sampleRate * FRAME_MS) / 1000);
  const frames = Math.floor(samples.length / n);
  const out = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let e = 0;
    for (let i = f * n; i < (f + 1) * n; i++) e += samples[i] * samples[i];
    out[f] = e > 0 ? 10 * Math.log10(e / n / 32768 ** 2) : -200;
  }
  return out;
}

/** Known speech per 10 ms frame (Uint8Array) from a clean signal: see TRUTH_RANGE_DB and TRUTH_BRIDGE_MS. */
export function truthFrames(clean, sampleRate) {
  const levels = frameLevels(clean, sampleRate);
  const top = Math.max(...levels);
  return bridge(Uint8Array.from(levels, (l) => (l >= top - TRUTH_RANGE_DB ? 1 : 0)), TRUTH_BRIDGE_MS / FRAME_MS);
}

/** Fills runs of 0 shorter than `maxGap` frames between two 1s. */
export function bridge(mask, maxGap) {
  let last = -1;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i]) continue;
    if (last >= 0 && i - last - 1 > 0 && i - last - 1 < maxGap) mask.fill(1, last + 1, i);
    last = i;
  }
  return mask;
}

/** Speech segments [start, end) in frames of a mask. */
export function segments(mask) {
  const out = [];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] && (i === 0 || !mask[i - 1])) out.push([i, i]);
    if (mask[i]) out[out.length - 1][1] = i + 1;
  }
  return out;
}

/** Mean power of `s` over the 10 ms frames (of `n` samples) where `mask` is 1, or over all of it without a mask. */
const power = (s, mask, n) => {
  if (!mask) return s.reduce((a, x) => a + x * x, 0) / s.length;
  let e = 0;
  let count = 0;
  for (let f = 0; f < mask.length; f++) {
    if (!mask[f]) continue;
    for (let i = f * n; i < (f + 1) * n; i++) e += s[i] * s[i];
    count += n;
  }
  return e / count;
};

/**
 * Builds everything at each of `rates`: { clean, truth, noise: { white, pink, brown }, dtmf: { clean, truth } }
 * per rate, plus a description of the material.
 */
export function buildMaterial(rates, dtmfWav) {
  const dir = mkdtempSync(join(tmpdir(), 'stt-vad-bench-'));
  try {
    const byRate = {};
    for (const rate of rates) {
      const parts = UTTERANCES.map((u, i) => {
        const raw = join(dir, `u${i}.wav`);
        const at = join(dir, `u${i}-${rate}.wav`);
        run('espeak-ng', ['-v', u.voice, '-s', String(u.wpm), '-w', raw, u.text]);
        run('sox', ['-R', '-D', raw, '-r', String(rate), '-b', '16', at]);
        return trim(readWav(at).samples);
      });
      const length = parts.reduce((n, p, i) => n + Math.round(UTTERANCES[i].silenceBefore * rate) + p.length, 0) + Math.round(TAIL_SILENCE * rate);
      // Truth from the utterances as espeak-ng made them (each within 50 dB of the loudest
      // frame of all), then each at its level.
      const unity = new Float64Array(length);
      const clean = new Float64Array(length);
      const utterances = [];
      let at = 0;
      parts.forEach((p, i) => {
        at += Math.round(UTTERANCES[i].silenceBefore * rate);
        const g = 10 ** (UTTERANCES[i].gainDb / 20);
        for (let k = 0; k < p.length; k++) {
          unity[at + k] = p[k];
          clean[at + k] = p[k] * g;
        }
        utterances.push([at / rate, (at + p.length) / rate]);
        at += p.length;
      });
      const n = Math.round((rate * FRAME_MS) / 1000);
      const truth = truthFrames(unity, rate);
      const gain = Math.sqrt((32768 * 10 ** (SPEECH_LEVEL_DB / 20)) ** 2 / power(clean, truth, n));
      for (let i = 0; i < clean.length; i++) clean[i] *= gain;
      const noise = {};
      for (const color of NOISES) {
        const file = join(dir, `${color}-${rate}.wav`);
        run('sox', ['-R', '-n', '-r', String(rate), '-b', '16', '-c', '1', file, 'synth', String(length / rate + 0.1), `${color}noise`]);
        const s = readWav(file).samples.subarray(0, length);
        const p = power(s, null, 1);
        noise[color] = Float64Array.from(s, (x) => x / Math.sqrt(p)); // unit power
      }
      // Noise that is not steady: key presses (8 ms clicks of sox's white noise, 80 to 300 ms
      // apart, as typing) and music (a plucked melody from sox, looped).
      const click = join(dir, `click-${rate}.wav`);
      run('sox', ['-R', '-n', '-r', String(rate), '-b', '16', '-c', '1', click, 'synth', '0.008', 'whitenoise', 'fade', 'l', '0', '0.008', '0.008']);
      const clickSamples = readWav(click).samples;
      const typing = new Float64Array(length);
      const random = mulberry32(27);
      for (let t = 0; t < length; t += Math.round((0.08 + 0.22 * random()) * rate)) for (let k = 0; k < clickSamples.length && t + k < length; k++) typing[t + k] = clickSamples[k];
      const notes = MELODY.map((note, i) => {
        const f = join(dir, `note${i}-${rate}.wav`);
        run('sox', ['-R', '-n', '-r', String(rate), '-b', '16', '-c', '1', f, 'synth', '0.3', 'pluck', note]);
        return f;
      });
      const melodyFile = join(dir, `melody-${rate}.wav`);
      run('sox', ['-R', ...notes, melodyFile]);
      const melody = readWav(melodyFile).samples;
      const music = Float64Array.from({ length }, (_, i) => melody[i % melody.length]);
      for (const [name, s] of [['typing', typing], ['music', music]]) {
        const p = power(s, null, 1);
        noise[name] = s.map((x) => x / Math.sqrt(p));
      }
      // The DTMF fixture: its tones are what the emulator's tone engine hears as words.
      const dtmfAt = join(dir, `dtmf-${rate}.wav`);
      run('sox', ['-R', '-D', dtmfWav.wav, '-r', String(rate), '-b', '16', dtmfAt]);
      const dtmfClean = Float64Array.from(readWav(dtmfAt).samples);
      const dtmfTruth = new Uint8Array(Math.floor(dtmfClean.length / n));
      for (const u of dtmfWav.json.utterances) dtmfTruth.fill(1, Math.round((u.start * 1000) / FRAME_MS), Math.round((u.end * 1000) / FRAME_MS));
      byRate[rate] = { clean, truth, utterances, noise, dtmf: { clean: dtmfClean, truth: dtmfTruth } };
    }
    return byRate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `clean` + `noise` (unit power) at `snrDb` below the speech's power over `truth`, rounded and clipped to Int16. */
export function mix(clean, truth, noise, snrDb, sampleRate) {
  const n = Math.round((sampleRate * FRAME_MS) / 1000);
  const g = noise ? Math.sqrt(power(clean, truth, n) / 10 ** (snrDb / 10)) : 0;
  const out = new Int16Array(clean.length);
  let clipped = 0;
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(clean[i] + (noise ? g * noise[i] : 0));
    if (v > 32767 || v < -32768) clipped++;
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return { samples: out, clipped };
}

/**
 * The edge cases of a live stream, each with its truth: pink noise at 10 dB SNR that starts
 * after 3 s of digital silence (a microphone's first buffers); pink noise that steps up 20 dB
 * halfway (30 dB SNR, then 10); the speech from its very first sample (the leading silence
 * cut), pink noise at 10 dB.
 */
export function edgeCases(m, rate) {
  const n = Math.round((rate * FRAME_MS) / 1000);
  const g = (snr) => Math.sqrt(power(m.clean, m.truth, n) / 10 ** (snr / 10));
  const length = m.clean.length;
  const build = (len, at) => {
    const out = new Int16Array(len);
    for (let i = 0; i < len; i++) {
      const v = Math.round(at(i));
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return out;
  };
  const pink = m.noise.pink;
  const half = Math.floor(length / 2);
  const cut = Math.round(UTTERANCES[0].silenceBefore * rate);
  return {
    'noise after digital silence': { samples: build(length, (i) => m.clean[i] + (i < 3 * rate ? 0 : g(10) * pink[i])), truth: m.truth },
    'noise steps up 20 dB': { samples: build(length, (i) => m.clean[i] + (i < half ? g(30) : g(10)) * pink[i]), truth: m.truth },
    'speech from the first sample': {
      samples: build(length - cut, (i) => m.clean[i + cut] + g(10) * pink[i + cut]),
      truth: m.truth.subarray(Math.round(cut / n)),
    },
  };
}
