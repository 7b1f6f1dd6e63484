// Chaos: many concurrent sessions through random (seeded) faults; every
// session's finals must equal the fault-free run's. The seed decides each
// session's faults (`CHAOS_SEED=<printed seed>` replays them).
import { dtmfSamples, mulberry32, startEmulator, type FaultPlan } from '@stt-stream/emulator';
import { createTranscriber, type TranscriptEvent } from '@stt-stream/node';
import { expect, it } from 'vitest';
import { collect, finalsOf, framesOf } from './helpers.ts';

const SESSIONS = 20;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);

/**
 * One PRNG per session, seeded from `SEED` and the session's index: session `s` draws its
 * faults from its own sequence, in the order of its own connections, whatever the order in
 * which the sessions' connections reach the emulator.
 */
function sessionRandoms(seed: number, sessions: number): (() => number)[] {
  const seeds = mulberry32(seed);
  return Array.from({ length: sessions }, () => mulberry32(Math.floor(seeds() * 2 ** 32)));
}

/** A random fault for a connection, or none. */
function randomPlan(rand: () => number): FaultPlan | undefined {
  const r = rand();
  const bytes = Math.floor(32_000 + rand() * 400_000);
  if (r < 0.25) return { drop: { afterBytes: bytes } };
  if (r < 0.5) {
    const codes = [1001, 1011, 1012, 1013, 4010, 4029, 4502];
    const code = codes[Math.floor(rand() * codes.length)]!;
    return { close: { code, afterBytes: bytes, ...(code === 4029 ? { retryAfter: 0.1 } : {}) } };
  }
  if (r < 0.6) return { refuse: { status: [429, 502, 503][Math.floor(rand() * 3)]!, ...(rand() < 0.5 ? { retryAfter: 0.1 } : {}) } };
  if (r < 0.7) return { stall: { forMs: Math.floor(100 + rand() * 400), afterBytes: bytes } };
  if (r < 0.8) return { delayMs: Math.floor(rand() * 80), drop: { afterBytes: bytes } };
  return undefined;
}

const summary = (events: TranscriptEvent[]) =>
  finalsOf(events).map((f) => ({
    text: f.text,
    words: (f.words ?? []).map((w) => `${w.word}@${w.start.toFixed(3)}-${w.end.toFixed(3)}`),
  }));

function expectSame(actual: TranscriptEvent[], expected: TranscriptEvent[], label: string) {
  expect(actual.filter((e) => e.type === 'gap'), `${label}: no gap`).toEqual([]);
  const a = finalsOf(actual);
  const b = finalsOf(expected);
  expect(a.map((f) => f.text), `${label}: final texts`).toEqual(b.map((f) => f.text));
  const wa = a.flatMap((f) => f.words ?? []);
  const wb = b.flatMap((f) => f.words ?? []);
  wa.forEach((w, i) => {
    expect(Math.abs(w.start - wb[i]!.start), `${label}: word ${i} start`).toBeLessThan(0.02);
    expect(Math.abs(w.end - wb[i]!.end), `${label}: word ${i} end`).toBeLessThan(0.02);
  });
}

it(`chaos: ${SESSIONS} concurrent 30 s sessions through random faults keep whole transcripts (seed printed on failure)`, async () => {
  // Each session gets its own key string, so transcripts differ between sessions.
  const keys = '0123456789*#ABCD';
  const fixtures = Array.from({ length: SESSIONS }, (_, s) => {
    const groups: string[] = [];
    for (let g = 0; g < 28; g++) {
      let group = '';
      const len = 2 + ((s + g) % 4);
      for (let k = 0; k < len; k++) group += keys[(s * 7 + g * 3 + k * 5) % keys.length];
      groups.push(group);
    }
    return dtmfSamples(groups.join(' '), { tailMs: 600 });
  });
  expect(fixtures.every((f) => f.duration >= 30)).toBe(true);

  // Faults drawn per connection from the session's own PRNG, at most 3 per session.
  const randoms = sessionRandoms(SEED, SESSIONS);
  const plans: string[][] = Array.from({ length: SESSIONS }, () => []);
  const emulator = await startEmulator({
    faults: (ctx) => {
      const s = Number(ctx.url.searchParams.get('session') ?? -1);
      const rand = randoms[s];
      const drawn = plans[s];
      if (rand === undefined || drawn === undefined || drawn.length >= 3) return undefined;
      const plan = randomPlan(rand);
      if (plan) drawn.push(JSON.stringify(plan));
      return plan;
    },
  });
  const reference = await startEmulator();
  try {
    const run = (url: string, s: number) =>
      collect(
        framesOf(fixtures[s]!.samples, 16000, 1, () => 1600).pipeThrough(
          createTranscriber({ model: 'dtmf', url: `${url}?session=${s}`, reconnect: { retries: 10, minDelayMs: 20, maxDelayMs: 300 } }),
        ),
      );
    const expected = await Promise.all(fixtures.map((_, s) => run(reference.url, s)));
    const started = Date.now();
    const actual = await Promise.all(fixtures.map((_, s) => run(emulator.url, s)));
    const elapsed = Date.now() - started;
    try {
      for (let s = 0; s < SESSIONS; s++) {
        // The fault-free run is itself the transcript of the keys.
        expect(finalsOf(expected[s]!).flatMap((f) => f.words ?? []).map((w) => w.word)).toEqual(fixtures[s]!.tones.map((t) => t.word));
        expectSame(actual[s]!, expected[s]!, `session ${s}`);
      }
      // Faults did happen, and the audio went faster than real time.
      expect(plans.flat().length).toBeGreaterThanOrEqual(SESSIONS);
      expect(elapsed).toBeLessThan(30_000);
    } catch (err) {
      console.error(`chaos failed with CHAOS_SEED=${SEED}; faults by session:\n${plans.map((p, s) => `  ${s}: ${p.join(' ') || 'none'}`).join('\n')}`);
      console.error(JSON.stringify(summary(actual[0]!)).slice(0, 200));
      throw err;
    }
  } finally {
    await emulator.close();
    await reference.close();
  }
}, 120_000);
