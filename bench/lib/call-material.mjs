// Row 7's two-party call, built at bench time: a support call between a caller (A)
// and an agent (B), each party its own track, from espeak-ng speech (two voices)
// laid out as a conversation: turns that alternate, one or two sentences each with
// a pause between them, some turns starting before the other party has finished
// (overlap), others after a pause, and short acknowledgements ("okay", "right")
// from the listener inside long turns. Each track gets its own pink noise 20 dB
// below its speech (a phone line and a room), then G.711 µ-law, 8 kHz, as a
// media-stream server receives it. Known speech per 10 ms comes from the clean
// tracks as in row 9 (bench/lib/vad-material.mjs). Deterministic (fixed seed).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '@stt-stream/emulator';
import { FRAME_MS, mix, readWav, truthFrames } from './vad-material.mjs';

export const RATE = 8000;
const VOICES = { A: { voice: 'en-us+m3', wpm: 170 }, B: { voice: 'en-gb+f3', wpm: 165 } };
const SNR_DB = 20;
/** The conversation: [party, sentences…]. Parties alternate. */
const TURNS = [
  ['B', 'Thank you for calling the help desk, this is Anna speaking.', 'How can I help you today?'],
  ['A', 'Hi Anna. I ordered a new router two weeks ago and it still has not arrived.', 'The website says it was shipped, but nothing since then.'],
  ['B', 'I am sorry to hear that. Let me look it up for you.', 'Could you give me the order number, please?'],
  ['A', 'Yes, I have the confirmation email open in front of me.', 'It is four seven two, nine nine one, eight five.'],
  ['B', 'Thank you. I can see the parcel left our warehouse on the third.', 'It looks like the courier has been holding it at the depot since Friday.'],
  ['A', 'At the depot? Nobody told me anything about that.', 'I was at home all week, so they could have delivered it.'],
  ['B', 'I understand, that is frustrating.', 'The note says the address label was damaged, so they could not read the street name.'],
  ['A', 'Oh, I see. So what happens now, do I have to go and pick it up?', 'I would rather not, the depot is on the other side of town and I do not have a car.'],
  ['B', 'No, you do not. I can confirm your address with you now and send them a corrected label.', 'They usually deliver within two working days after that.'],
  ['A', 'Great. It is twelve Station Road, Millbrook, and the postcode is M K four, two B Q.'],
  ['B', 'Twelve Station Road, Millbrook, M K four, two B Q. Is that right?'],
  ['A', 'Yes, that is right.', 'And could you send me a text when it is on its way?'],
  ['B', 'Of course. You will get a text message with the tracking link and a one hour delivery window.', 'Is there anything else I can help you with today?'],
  ['A', 'No, that was all. Thank you very much for your help.', 'You have been really patient with me.'],
  ['B', 'You are welcome. Have a lovely afternoon, goodbye.'],
];
const ACKS = ['okay', 'right', 'mm hmm', 'I see', 'yes'];

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error?.code === 'ENOENT') throw new Error(`row 7's call needs \`${cmd}\` (Debian: apt-get install espeak-ng sox)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
};

const trim = (s) => {
  let a = 0;
  let b = s.length;
  while (a < b && Math.abs(s[a]) <= 1) a++;
  while (b > a && Math.abs(s[b - 1]) <= 1) b--;
  return s.subarray(a, b);
};

/** G.711 µ-law encoding of one PCM16 sample (the inverse of core's decodeMulaw). */
export function mulawEncode(sample) {
  const BIAS = 0x84;
  let sign = 0;
  let s = sample;
  if (s < 0) {
    sign = 0x80;
    s = -s;
  }
  if (s > 32635) s = 32635;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/**
 * Builds the call (or reads it from `dir`, where it is kept between runs):
 * { a, b: Uint8Array µ-law tracks; seconds; stats: talk, overlap and silence shares from known speech }.
 */
export function buildCall(dir) {
  const file = join(dir, 'call-8k.json');
  if (existsSync(file)) {
    const meta = JSON.parse(readFileSync(file, 'utf8'));
    return { ...meta, a: new Uint8Array(readFileSync(join(dir, 'call-a.ulaw'))), b: new Uint8Array(readFileSync(join(dir, 'call-b.ulaw'))) };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'stt-call-bench-'));
  try {
    let n = 0;
    const speak = (party, text) => {
      const raw = join(tmp, `s${n}.wav`);
      const at = join(tmp, `s${n++}-8k.wav`);
      run('espeak-ng', ['-v', VOICES[party].voice, '-s', String(VOICES[party].wpm), '-w', raw, text]);
      run('sox', ['-R', '-D', raw, '-r', String(RATE), '-b', '16', at]);
      return Float64Array.from(trim(readWav(at).samples));
    };
    const random = mulberry32(7);
    const placed = { A: [], B: [] }; // [start sample, samples]
    let at = Math.round(0.6 * RATE);
    let previousEnd = at;
    let overlaps = 0;
    for (const [party, ...sentences] of TURNS) {
      // The next turn starts after a pause (0.15 to 0.8 s) or, one time in three, 0.2 to 0.6 s before the other party has finished.
      const overlap = placed.A.length + placed.B.length > 0 && random() < 1 / 3;
      if (overlap) overlaps++;
      at = previousEnd + Math.round((overlap ? -(0.2 + 0.4 * random()) : 0.15 + 0.65 * random()) * RATE);
      const turnStart = at;
      for (const [i, text] of sentences.entries()) {
        if (i > 0) at += Math.round((0.3 + 0.4 * random()) * RATE);
        const s = speak(party, text);
        placed[party].push([at, s]);
        at += s.length;
      }
      // The listener acknowledges once inside a turn longer than 4 s, about in its middle.
      if (at - turnStart > 4 * RATE) {
        const other = party === 'A' ? 'B' : 'A';
        const ack = speak(other, ACKS[Math.floor(random() * ACKS.length)]);
        placed[other].push([turnStart + Math.round((at - turnStart) * (0.4 + 0.2 * random())), ack]);
      }
      previousEnd = at;
    }
    const length = previousEnd + Math.round(1.2 * RATE); // a pause before the call loops round
    const tracks = {};
    const truths = {};
    for (const party of ['A', 'B']) {
      const clean = new Float64Array(length);
      for (const [start, s] of placed[party]) for (let k = 0; k < s.length; k++) clean[start + k] += s[k];
      // Speech at -26 dBFS over its known frames (row 9's level); noise 20 dB below it.
      const truth = truthFrames(clean, RATE);
      const frame = (RATE * FRAME_MS) / 1000;
      let e = 0;
      let count = 0;
      for (let f = 0; f < truth.length; f++) if (truth[f]) for (let i = f * frame; i < (f + 1) * frame; i++, count++) e += clean[i] ** 2;
      const gain = (32768 * 10 ** (-26 / 20)) / Math.sqrt(e / count);
      for (let i = 0; i < length; i++) clean[i] *= gain;
      const noiseFile = join(tmp, `pink-${party}.wav`);
      run('sox', ['-R', '-n', '-r', String(RATE), '-b', '16', '-c', '1', noiseFile, 'synth', String(length / RATE + 0.1), 'pinknoise']);
      const raw = readWav(noiseFile).samples.subarray(0, length);
      const p = raw.reduce((x, v) => x + v * v, 0) / raw.length;
      const noise = Float64Array.from(raw, (x) => x / Math.sqrt(p));
      // Different noise per party: B's is A's reversed.
      if (party === 'B') noise.reverse();
      const pcm = mix(clean, truth, noise, SNR_DB, RATE).samples;
      tracks[party] = Uint8Array.from(pcm, mulawEncode);
      truths[party] = truth;
    }
    const frames = Math.min(truths.A.length, truths.B.length);
    let a = 0;
    let b = 0;
    let both = 0;
    let neither = 0;
    for (let f = 0; f < frames; f++) {
      a += truths.A[f];
      b += truths.B[f];
      both += truths.A[f] & truths.B[f];
      neither += !truths.A[f] && !truths.B[f] ? 1 : 0;
    }
    // What a gate that knew every speech frame would send, with the default pre-roll (200 ms) and hangover (400 ms).
    const padded = (truth) => {
      const on = new Uint8Array(truth.length);
      for (let f = 0; f < truth.length; f++) {
        if (truth[f]) on.fill(1, Math.max(0, f - 200 / FRAME_MS), Math.min(truth.length, f + 400 / FRAME_MS + 1));
      }
      return on.reduce((x, v) => x + v, 0) / on.length;
    };
    const meta = {
      seconds: length / RATE,
      snrDb: SNR_DB,
      voices: VOICES,
      turns: TURNS.length,
      overlappingTurns: overlaps,
      stats: { talkA: a / frames, talkB: b / frames, both: both / frames, neither: neither / frames, paddedA: padded(truths.A), paddedB: padded(truths.B) },
    };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'call-a.ulaw'), tracks.A);
    writeFileSync(join(dir, 'call-b.ulaw'), tracks.B);
    writeFileSync(file, JSON.stringify(meta));
    return { ...meta, a: tracks.A, b: tracks.B };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const c = buildCall(process.argv[2] ?? join(tmpdir(), 'stt-call-material'));
  console.log(JSON.stringify({ seconds: c.seconds, turns: c.turns, overlappingTurns: c.overlappingTurns, stats: c.stats }));
}
