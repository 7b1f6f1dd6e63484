/**
 * Writes the demo fixtures under examples/audio/:
 *
 * - dtmf-demo.wav: 16 kHz mono PCM16, three utterances "1234 5678 #*0";
 * - dtmf-demo.json: what is in it (keys, and every word with its exact times),
 *   for examples and tests that want to check a transcript.
 *
 * Run: `pnpm --filter @stt-stream/emulator make-fixtures` (or `bun scripts/make-fixtures.ts`).
 * The output is deterministic: running it again gives the same bytes.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dtmfWav } from '../src/fixtures/dtmf-wav.ts';

const KEYS = '1234 5678 #*0';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const outDir = join(root, 'examples', 'audio');
mkdirSync(outDir, { recursive: true });

const fixture = dtmfWav(KEYS, { sampleRate: 16000, channels: 1, toneMs: 100, gapMs: 100, breakMs: 600, leadMs: 300, tailMs: 800, amplitude: 0.5 });
const wavPath = join(outDir, 'dtmf-demo.wav');
writeFileSync(wavPath, fixture.wav);
const description = {
  keys: KEYS,
  sampleRate: fixture.sampleRate,
  channels: fixture.channels,
  duration: fixture.duration,
  utterances: fixture.utterances.map((tones) => ({
    text: tones.map((t) => t.word).join(' '),
    start: tones[0]?.start,
    end: tones[tones.length - 1]?.end,
    words: tones.map((t) => ({ word: t.word, start: t.start, end: t.end })),
  })),
};
const jsonPath = join(outDir, 'dtmf-demo.json');
writeFileSync(jsonPath, `${JSON.stringify(description, null, 2)}\n`);
console.log(`wrote ${relative(root, wavPath)} (${fixture.duration} s, ${fixture.wav.length} bytes) and ${relative(root, jsonPath)}`);
