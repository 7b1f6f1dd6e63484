/**
 * DTMF key detection for one channel: a Goertzel filter bank on a fixed hop
 * grid, key runs, and onset/offset times refined to a fraction of a hop.
 *
 * How it hears (and why):
 *
 * - Every hop (5 ms) of samples, eight Goertzel filters give the complex
 *   correlation of the hop with each DTMF frequency, phase-referenced to the
 *   stream's first sample, so that the sum over consecutive hops is the exact
 *   DFT of the longer span. A window is the last six hops (30 ms): long
 *   enough to tell 697 Hz from 770 Hz, short enough for 40 ms keys and gaps.
 * - A window holds a key when the key's two frequencies explain at least half
 *   of the window's energy (so: the tone covers at least half of the window),
 *   the two are within 10 dB of each other, and each beats the runner-up of
 *   its group by 8 dB. The test is relative, so it does not care about the
 *   level (−30 to 0 dBFS) and shrugs off white noise 20 dB down.
 * - Consecutive windows with one key are a run (up to two windows may drop
 *   out); a run spanning at least 30 ms of windows is a word. A 40 ms key
 *   always is one, a key of under 25 ms never is.
 * - For a steady tone, the magnitude of a window's DFT grows linearly with
 *   how much of the window the tone covers. So each window on the rising
 *   (falling) edge measures the onset (offset) directly: onset = window end −
 *   window length × magnitude / full magnitude. Averaging those gives times
 *   to well under a millisecond, independent of the hop grid.
 *
 * Everything runs on blocks counted from the stream's first sample, so the
 * output depends on the samples alone, never on how they were split.
 *
 * @module
 */
import { DTMF_COLUMNS, DTMF_KEYPAD, DTMF_ROWS, type DtmfKey } from './dtmf.ts';

/** Hop length in seconds (rounded to whole samples). */
const HOP_SECONDS = 0.005;
/** Hops per analysis window. */
const WINDOW_HOPS = 6;
/** Windows either side of a run's first/last window that see its edge. */
const RAMP = WINDOW_HOPS / 2;
/** Shortest run, in seconds of windows, that is a word. */
const MIN_WORD_SECONDS = 0.03;
/** Windows without the key a run survives. */
const MAX_MISSES = 2;
/** Hops of history kept. */
const RING = 32;
/** Quietest window that can hold a key: mean power of −60 dBFS (int16 units). */
const FLOOR_POWER = 32768 * 32768 * 1e-6;
/** Share of a window's energy the key's two frequencies must explain. */
const MIN_EXPLAINED = 0.5;
/** Largest power ratio between row and column tone (10 dB). */
const MAX_TWIST = 10;
/** Least power ratio between the best and second-best row (column): 8 dB. */
const MIN_DOMINANCE = 6.3;
/** Edge windows used for the refinement: fraction of full magnitude. */
const EDGE_LOW = 0.1;
const EDGE_HIGH = 0.9;

const FREQUENCIES: readonly number[] = [...DTMF_ROWS, ...DTMF_COLUMNS];

/**
 * What the detector reports, in samples of the stream (fractional).
 *
 * @example Print what the detector hears
 * ```ts
 * for (const ev of detector.analyse(hop, 0, 1)) {
 *   if (ev.type === 'offset') console.log(ev.key, ev.start / 16000, ev.end / 16000);
 * }
 * ```
 */
export type DetectorEvent =
  /** A key has sounded long enough to be a word; it may still be sounding. */
  | { type: 'onset'; key: DtmfKey; start: number }
  /** The key reported by the last `onset` has stopped at `end`. */
  | { type: 'offset'; key: DtmfKey; start: number; end: number };

interface Run {
  key: DtmfKey;
  row: number;
  column: number;
  first: number;
  last: number;
  misses: number;
  peak: number;
  confirmed: boolean;
  start: number;
}

/**
 * Detects DTMF keys in one channel, hop by hop.
 *
 * @example Feed one hop at a time
 * ```ts
 * const detector = new DtmfDetector(16000);
 * const hop = new Int16Array(detector.hop);
 * for (const ev of detector.analyse(hop, 0, 1)) console.log(ev.type, ev.key);
 * ```
 */
export class DtmfDetector {
  /** Samples per hop. */
  readonly hop: number;
  /** Samples per analysis window. */
  readonly window: number;
  /** Hops analysed so far. */
  private hops = 0;
  private readonly re = new Float64Array(RING * 8);
  private readonly im = new Float64Array(RING * 8);
  private readonly energy = new Float64Array(RING);
  private readonly coef = new Float64Array(8);
  private readonly tail = new Float64Array(32);
  private readonly s1 = new Float64Array(8);
  private readonly s2 = new Float64Array(8);
  private readonly power = new Float64Array(8);
  private readonly minRunWindows: number;
  private run: Run | null = null;
  private ending: Run[] = [];

  /**
   * @param sampleRate samples per second: an integer, at least 4000 (the highest DTMF frequency must be under Nyquist)
   */
  constructor(readonly sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate < 4000) {
      throw new RangeError(`Cannot detect DTMF: sampleRate must be an integer of at least 4000, got ${sampleRate}`);
    }
    this.hop = Math.round(sampleRate * HOP_SECONDS);
    this.window = this.hop * WINDOW_HOPS;
    this.minRunWindows = Math.ceil((MIN_WORD_SECONDS * sampleRate) / this.hop - 1e-9);
    for (let k = 0; k < 8; k++) {
      const w = (2 * Math.PI * (FREQUENCIES[k] as number)) / sampleRate;
      this.coef[k] = 2 * Math.cos(w);
      this.tail[k * 4] = Math.cos(w * (this.hop - 1));
      this.tail[k * 4 + 1] = Math.sin(w * (this.hop - 1));
      this.tail[k * 4 + 2] = Math.cos(w * this.hop);
      this.tail[k * 4 + 3] = Math.sin(w * this.hop);
    }
  }

  /** Samples analysed so far (a whole number of hops). */
  get position(): number {
    return this.hops * this.hop;
  }

  /**
   * Analyses one hop: `hop` samples read from `data` at `offset`, `offset +
   * stride`, … (a stride of the channel count reads one channel of
   * interleaved audio).
   */
  analyse(data: ArrayLike<number>, offset: number, stride: number): DetectorEvent[] {
    const index = this.hops;
    this.goertzel(data, offset, stride, index);
    this.hops++;
    const events: DetectorEvent[] = [];

    for (let i = 0; i < this.ending.length; ) {
      const run = this.ending[i] as Run;
      if (index >= run.last + RAMP) {
        events.push(this.finish(run));
        this.ending.splice(i, 1);
      } else i++;
    }

    const found = this.classify(index);
    let run = this.run;
    if (run && found && found.key === run.key) {
      run.last = index;
      run.misses = 0;
      run.peak = Math.max(run.peak, this.magnitude(index, run.row, run.column));
    } else if (run && !found && run.misses < MAX_MISSES) {
      run.misses++;
    } else {
      if (run && run.confirmed) this.ending.push(run);
      run = this.run = null;
      if (found) {
        run = this.run = {
          ...found,
          first: index,
          last: index,
          misses: 0,
          peak: this.magnitude(index, found.row, found.column),
          confirmed: false,
          start: 0,
        };
      }
    }
    if (run && !run.confirmed && run.last - run.first + 1 >= this.minRunWindows) {
      run.confirmed = true;
      run.start = this.refineOnset(run, index);
      events.push({ type: 'onset', key: run.key, start: run.start });
    }
    return events;
  }

  /**
   * Ends the keys that have stopped sounding but whose falling edge is not
   * fully analysed yet, from what has been analysed (used to finalize now).
   * A key still sounding is left alone.
   */
  settle(): DetectorEvent[] {
    const events = this.ending.map((run) => this.finish(run));
    this.ending = [];
    return events;
  }

  /**
   * The approximate onset (in samples) of a key that is sounding but is not
   * yet a word, or `Infinity` when there is none.
   */
  pendingOnset(): number {
    const run = this.run;
    if (!run || run.confirmed) return Infinity;
    return (run.first + 1) * this.hop - (this.window + this.hop) / 2;
  }

  /**
   * Where the word reported by the last `onset` is known to sound until, while
   * its `offset` has not come yet; `null` when there is no such word.
   */
  provisionalEnd(): number | null {
    const run = this.ending[this.ending.length - 1] ?? (this.run?.confirmed ? this.run : null);
    if (!run) return null;
    return Math.max(run.start, (run.last + 1) * this.hop - (this.window - this.hop) / 2);
  }

  private finish(run: Run): DetectorEvent {
    return { type: 'offset', key: run.key, start: run.start, end: this.refineOffset(run) };
  }

  private goertzel(data: ArrayLike<number>, offset: number, stride: number, index: number): void {
    const c = this.coef;
    const c0 = c[0] as number, c1 = c[1] as number, c2 = c[2] as number, c3 = c[3] as number;
    const c4 = c[4] as number, c5 = c[5] as number, c6 = c[6] as number, c7 = c[7] as number;
    let a0 = 0, b0 = 0, a1 = 0, b1 = 0, a2 = 0, b2 = 0, a3 = 0, b3 = 0;
    let a4 = 0, b4 = 0, a5 = 0, b5 = 0, a6 = 0, b6 = 0, a7 = 0, b7 = 0;
    let e = 0;
    const n = this.hop;
    for (let i = 0, j = offset; i < n; i++, j += stride) {
      const x = data[j] as number;
      e += x * x;
      let s = x + c0 * a0 - b0; b0 = a0; a0 = s;
      s = x + c1 * a1 - b1; b1 = a1; a1 = s;
      s = x + c2 * a2 - b2; b2 = a2; a2 = s;
      s = x + c3 * a3 - b3; b3 = a3; a3 = s;
      s = x + c4 * a4 - b4; b4 = a4; a4 = s;
      s = x + c5 * a5 - b5; b5 = a5; a5 = s;
      s = x + c6 * a6 - b6; b6 = a6; a6 = s;
      s = x + c7 * a7 - b7; b7 = a7; a7 = s;
    }
    const s1 = this.s1, s2 = this.s2;
    s1[0] = a0; s1[1] = a1; s1[2] = a2; s1[3] = a3; s1[4] = a4; s1[5] = a5; s1[6] = a6; s1[7] = a7;
    s2[0] = b0; s2[1] = b1; s2[2] = b2; s2[3] = b3; s2[4] = b4; s2[5] = b5; s2[6] = b6; s2[7] = b7;
    const slot = index % RING;
    const start = index * this.hop;
    const t = this.tail;
    for (let k = 0; k < 8; k++) {
      const f = FREQUENCIES[k] as number;
      // Sum over the hop of x[n]·e^(−jωn), n from the hop's start:
      // e^(−jω(H−1))·s[H−1] − e^(−jωH)·s[H−2].
      const p = s1[k] as number, q = s2[k] as number;
      const yr = (t[k * 4] as number) * p - (t[k * 4 + 2] as number) * q;
      const yi = -(t[k * 4 + 1] as number) * p + (t[k * 4 + 3] as number) * q;
      // Then × e^(−jω·start): the phase from the stream's first sample, taken
      // modulo one period with integer arithmetic so that it never drifts.
      const phase = (2 * Math.PI * ((f * start) % this.sampleRate)) / this.sampleRate;
      const cp = Math.cos(phase), sp = Math.sin(phase);
      this.re[slot * 8 + k] = cp * yr + sp * yi;
      this.im[slot * 8 + k] = cp * yi - sp * yr;
    }
    this.energy[slot] = e;
  }

  /** |DFT| of the window ending with hop `index` at frequency `k`. */
  private bin(index: number, k: number): number {
    let re = 0, im = 0;
    for (let h = Math.max(0, index - WINDOW_HOPS + 1); h <= index; h++) {
      const slot = (h % RING) * 8 + k;
      re += this.re[slot] as number;
      im += this.im[slot] as number;
    }
    return Math.hypot(re, im);
  }

  private magnitude(index: number, row: number, column: number): number {
    return this.bin(index, row) + this.bin(index, column + 4);
  }

  private classify(index: number): { key: DtmfKey; row: number; column: number } | null {
    let energy = 0;
    for (let h = Math.max(0, index - WINDOW_HOPS + 1); h <= index; h++) energy += this.energy[h % RING] as number;
    const n = this.window;
    if (energy < n * FLOOR_POWER) return null;
    const power = this.power;
    for (let k = 0; k < 8; k++) power[k] = this.bin(index, k) ** 2;
    const row = best(power, 0), column = best(power, 4);
    const pr = power[row.index] as number, pc = power[4 + column.index] as number;
    if ((2 * (pr + pc)) / n < MIN_EXPLAINED * energy) return null;
    if (pr > MAX_TWIST * pc || pc > MAX_TWIST * pr) return null;
    if (pr < MIN_DOMINANCE * row.second || pc < MIN_DOMINANCE * column.second) return null;
    const key = (DTMF_KEYPAD[row.index] as readonly DtmfKey[])[column.index] as DtmfKey;
    return { key, row: row.index, column: column.index };
  }

  private refineOnset(run: Run, now: number): number {
    const estimates: number[] = [];
    for (let w = Math.max(0, run.first - RAMP); w <= Math.min(now, run.first + RAMP); w++) {
      const r = this.magnitude(w, run.row, run.column) / run.peak;
      if (r >= EDGE_LOW && r <= EDGE_HIGH) estimates.push((w + 1) * this.hop - this.window * r);
    }
    const start = estimates.length > 0 ? mean(estimates) : (run.first + 1) * this.hop - (this.window + this.hop) / 2;
    return Math.max(0, start);
  }

  private refineOffset(run: Run): number {
    const estimates: number[] = [];
    const now = this.hops - 1;
    for (let w = Math.max(0, run.last - RAMP); w <= Math.min(now, run.last + RAMP); w++) {
      const r = this.magnitude(w, run.row, run.column) / run.peak;
      if (r >= EDGE_LOW && r <= EDGE_HIGH) estimates.push((w + 1) * this.hop - this.window * (1 - r));
    }
    const end = estimates.length > 0 ? mean(estimates) : (run.last + 1) * this.hop - (this.window - this.hop) / 2;
    return Math.max(run.start, end);
  }
}

function best(power: Float64Array, from: number): { index: number; second: number } {
  let index = 0, top = -1, second = 0;
  for (let i = 0; i < 4; i++) {
    const p = power[from + i] as number;
    if (p > top) {
      second = Math.max(second, top);
      top = p;
      index = i;
    } else if (p > second) second = p;
  }
  return { index, second };
}

function mean(values: number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
