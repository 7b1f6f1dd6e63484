import { describe, expect, it } from 'vitest';
import type { VoiceActivityDetector } from './detector.ts';
import { frameSamples } from '../session/framing.ts';
import { ENERGY_VAD_DEFAULTS, createEnergyVad } from './energy-vad.ts';
import { mulberry32 } from '../prng.ts';


/** Gaussian-ish white noise (sum of 4 uniforms) at `rmsDb` dB against full scale. */
function whiteNoise(n: number, rmsDb: number, seed = 1): Float64Array {
  const r = mulberry32(seed);
  const scale = 32768 * 10 ** (rmsDb / 20) * Math.sqrt(3); // 4 uniforms in [-0.5, 0.5): variance 1/3
  return Float64Array.from({ length: n }, () => (r() + r() + r() + r() - 2) * scale);
}

/** Brown noise (leaky integral of white noise), normalised to `rmsDb`. */
function brownNoise(n: number, rmsDb: number, seed = 2): Float64Array {
  const w = whiteNoise(n, 0, seed);
  let y = 0;
  const out = w.map((x) => (y = 0.995 * y + x));
  const rms = Math.sqrt(out.reduce((a, x) => a + x * x, 0) / n);
  const k = (32768 * 10 ** (rmsDb / 20)) / rms;
  return out.map((x) => x * k);
}

/**
 * A speech-like burst: a vowel (the harmonics of a 120 Hz voice shaped by three
 * formants, 700, 1800 and 2700 Hz) whose loudness rises and falls four times a
 * second, as syllables do; `rmsDb` is its RMS over the whole burst, in dB
 * against full scale.
 */
function speechBurst(n: number, rate: number, rmsDb: number): Float64Array {
  const formant = (f: number, at: number, width: number) => 1 / (1 + ((f - at) / width) ** 2);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / rate;
    let v = 0;
    for (let k = 1; 120 * k < Math.min(3500, rate / 2 - 100); k++) {
      const f = 120 * k;
      v += (formant(f, 700, 150) + 0.6 * formant(f, 1800, 250) + 0.25 * formant(f, 2700, 300)) * Math.sin(2 * Math.PI * f * t);
    }
    out[i] = (0.15 + 0.85 * Math.sin(Math.PI * 4 * t) ** 2) * v;
  }
  const rms = Math.sqrt(out.reduce((a, x) => a + x * x, 0) / n);
  const k = (32768 * 10 ** (rmsDb / 20)) / rms;
  return out.map((x) => x * k);
}

const tone = (n: number, rate: number, hz: number, rmsDb: number) =>
  Float64Array.from({ length: n }, (_, i) => 32768 * 10 ** (rmsDb / 20) * Math.SQRT2 * Math.sin((2 * Math.PI * hz * i) / rate));

function toInt16(...parts: Float64Array[]): Int16Array {
  const n = Math.max(...parts.map((p) => p.length));
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const p of parts) v += p[i] ?? 0;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}

const concat = (...parts: Float64Array[]) => {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** The detector's probability for each whole chunk of `samples`, fed in one reused buffer as a caller would. */
function run(vad: VoiceActivityDetector, samples: Int16Array, rate: number): number[] {
  const n = frameSamples(rate, vad.frameMs);
  const chunk = new Int16Array(n);
  const out: number[] = [];
  for (let at = 0; at + n <= samples.length; at += n) {
    chunk.set(samples.subarray(at, at + n));
    out.push(vad.process(chunk, rate));
  }
  return out;
}

/** Share of `probs[from, to)` at or above 0.5. */
const share = (probs: number[], from: number, to: number) => probs.slice(from, to).filter((p) => p >= 0.5).length / (to - from);

describe('createEnergyVad', () => {
  it('createEnergyVad - is named, 20 ms by default, and calls digital silence silence', () => {
    const vad = createEnergyVad();
    expect(vad.name).toBe('energy');
    expect(vad.frameMs).toBe(20);
    expect(ENERGY_VAD_DEFAULTS).toEqual({ frameMs: 20, marginDb: 6, minLevelDb: -60 });
    expect(run(vad, new Int16Array(16000), 16000).every((p) => p === 0)).toBe(true);
  });

  for (const rate of [8000, 16000, 48000]) {
    it(`createEnergyVad - steady noise at any level is not speech (${rate} Hz)`, () => {
      for (const db of [-70, -50, -30, -15]) {
        for (const noise of [whiteNoise(rate * 5, db), brownNoise(rate * 5, db)]) {
          const probs = run(createEnergyVad(), toInt16(noise), rate);
          // After the first half second (the floor settles), at most 1 % of chunks reach 0.5.
          expect(share(probs, 25, probs.length)).toBeLessThanOrEqual(0.01);
        }
      }
    });

    it(`createEnergyVad - hears speech-like bursts in white noise at 10 and 4 dB SNR, and not the noise between them (${rate} Hz)`, () => {
      const s = rate; // samples per second
      const signal = concat(new Float64Array(2 * s), speechBurst(s, rate, -26), new Float64Array(2 * s), speechBurst(s, rate, -32), new Float64Array(2 * s));
      // The same noise density below 4 kHz at every rate: -36 dB over 0 to 4 kHz.
      const probs = run(createEnergyVad(), toInt16(signal, whiteNoise(signal.length, -36 + 10 * Math.log10(rate / 8000))), rate);
      const per = 50; // chunks a second
      expect(share(probs, 2 * per, 3 * per)).toBeGreaterThanOrEqual(0.75); // 10 dB: all but the dips between syllables
      expect(share(probs, 5 * per, 6 * per)).toBeGreaterThanOrEqual(0.5); // 4 dB
      expect(share(probs, per, 2 * per)).toBe(0);
      expect(share(probs, 3 * per + 10, 5 * per)).toBe(0);
      expect(share(probs, 6 * per + 10, 8 * per)).toBe(0);
    });
  }

  it('createEnergyVad - hears a tone 20 dB above the noise from its first chunk, and takes it for noise once held a second', () => {
    const rate = 16000;
    const noise = whiteNoise(5 * rate, -50);
    const signal = toInt16(noise, concat(new Float64Array(2 * rate), tone(2 * rate, rate, 941, -30)));
    const probs = run(createEnergyVad(), signal, rate);
    expect(probs[99]).toBeLessThan(0.5);
    expect(probs.slice(100, 125).every((p) => p === 1)).toBe(true);
    expect(probs.slice(150, 200).every((p) => p === 0)).toBe(true);
  });

  it('createEnergyVad - hears speech under brown noise 10 dB louder than it', () => {
    const rate = 16000;
    const signal = concat(new Float64Array(2 * rate), speechBurst(rate, rate, -26), new Float64Array(rate));
    // The rumble swamps the voice band (200 Hz to 1 kHz); the upper band still hears the second formant.
    const probs = run(createEnergyVad(), toInt16(signal, brownNoise(signal.length, -16)), rate);
    expect(share(probs, 100, 150)).toBeGreaterThanOrEqual(0.5);
    expect(share(probs, 25, 100)).toBe(0);
    expect(share(probs, 160, 200)).toBe(0);
  });

  it('createEnergyVad - takes noise that starts after digital silence, or gets louder, for noise within a second', () => {
    const rate = 16000;
    const afterZeros = toInt16(concat(new Float64Array(rate), whiteNoise(4 * rate, -40)));
    const p1 = run(createEnergyVad(), afterZeros, rate);
    expect(p1[55]).toBeGreaterThanOrEqual(0.5); // the noise starts: louder than anything before
    expect(share(p1, 100, p1.length)).toBe(0); // a second later it is the floor
    const step = toInt16(concat(whiteNoise(2 * rate, -60, 3), whiteNoise(4 * rate, -40, 4)));
    const p2 = run(createEnergyVad(), step, rate);
    expect(share(p2, 150, p2.length)).toBe(0);
  });

  it('createEnergyVad - hears speech that starts with the stream', () => {
    const rate = 16000;
    const probs = run(createEnergyVad(), toInt16(speechBurst(2 * rate, rate, -26), whiteNoise(2 * rate, -40)), rate);
    // The floor starts at the first chunk's level and falls in the first dip between syllables.
    expect(share(probs, 0, 100)).toBeGreaterThanOrEqual(0.6);
  });

  it('createEnergyVad - decides alike at 8, 16, 22.05, 44.1 and 48 kHz', () => {
    const decisions = [8000, 16000, 22050, 44100, 48000].map((rate) => {
      const signal = concat(new Float64Array(rate), speechBurst(rate, rate, -26), new Float64Array(rate));
      const noise = whiteNoise(signal.length, -40 + 10 * Math.log10(rate / 8000));
      return run(createEnergyVad(), toInt16(signal, noise), rate).map((p) => (p >= 0.5 ? 1 : 0));
    });
    const [ref] = decisions;
    for (const d of decisions.slice(1)) {
      expect(d.length).toBe(ref!.length);
      // The same chunks, but for a few at the edges of syllables (of 150).
      expect(d.filter((x, i) => x !== ref![i]).length).toBeLessThanOrEqual(8);
    }
  });

  it('createEnergyVad - returns a finite probability in [0, 1] for any input', () => {
    const rate = 16000;
    const extremes = [
      new Int16Array(320).fill(-32768),
      new Int16Array(320).fill(32767),
      Int16Array.from({ length: 320 }, (_, i) => (i % 2 ? 32767 : -32768)),
      Int16Array.from({ length: 320 }, (_, i) => (i % 40 < 20 ? 32767 : -32768)),
      new Int16Array(320),
    ];
    const vad = createEnergyVad();
    for (let round = 0; round < 20; round++) {
      for (const chunk of extremes) {
        const p = vad.process(chunk, rate);
        expect(Number.isFinite(p) && p >= 0 && p <= 1).toBe(true);
      }
    }
    // A chunk shorter than the analysis factor (48 kHz averages 6 samples) carries over.
    expect(createEnergyVad().process(new Int16Array(3), 48000)).toBe(0);
  });

  it('createEnergyVad - reset forgets everything: the same input gives the same output as a new detector', () => {
    const rate = 16000;
    const signal = toInt16(concat(new Float64Array(rate), speechBurst(rate, rate, -26)), whiteNoise(2 * rate, -40));
    const fresh = run(createEnergyVad(), signal, rate);
    const used = createEnergyVad();
    run(used, toInt16(whiteNoise(3 * rate, -20, 9)), rate); // a loud floor
    used.reset();
    expect(run(used, signal, rate)).toEqual(fresh);
    // A new sample rate starts afresh as well.
    const switched = createEnergyVad();
    run(switched, toInt16(whiteNoise(8000, -20, 9)), 8000);
    expect(run(switched, signal, rate)).toEqual(fresh);
  });

  it('createEnergyVad - a higher marginDb takes louder speech', () => {
    const rate = 16000;
    const signal = toInt16(concat(new Float64Array(2 * rate), speechBurst(rate, rate, -34)), whiteNoise(3 * rate, -40));
    const low = share(run(createEnergyVad({ marginDb: 3 }), signal, rate), 100, 150);
    const high = share(run(createEnergyVad({ marginDb: 15 }), signal, rate), 100, 150);
    expect(low).toBeGreaterThan(high);
    expect(share(run(createEnergyVad({ minLevelDb: -10 }), signal, rate), 100, 150)).toBe(0);
  });

  it('createEnergyVad - rejects bad options and sample rates, naming them', () => {
    expect(() => createEnergyVad({ frameMs: 5 })).toThrow(new RangeError('Invalid option `frameMs`: must be from 10 to 30, got 5'));
    expect(() => createEnergyVad({ marginDb: '6' as never })).toThrow(new TypeError('Invalid option `marginDb`: expected a number, got string'));
    expect(() => createEnergyVad(null as never)).toThrow(new TypeError('Invalid energy VAD options: expected an object, got null'));
    expect(() => createEnergyVad().process(new Int16Array(320), 4000)).toThrow(
      new RangeError('Invalid `sampleRate`: must be an integer from 8000 to 48000 Hz, got 4000'),
    );
    expect(() => createEnergyVad({ frameMs: 10 }).process(new Int16Array(160), 16000.5)).toThrow(RangeError);
  });
});
