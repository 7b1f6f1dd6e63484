import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfWav, startEmulator, type Emulator } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli, runInTerminal } from '../test/run-cli.ts';

// `listen --vad`: the built bin (packages/node/dist/cli.js) run as a real
// process, its microphone a real recorder subprocess (sox playing a file),
// against the real emulator; the tests read what a user reads, and what the
// emulator received.

let dir: string;
let emulator: Emulator;
const path = (name: string) => join(dir, name);
/** Two utterances in 7.6 s: 2 s of silence, `one two`, 3 s, `three four`, 2 s. */
const call = dtmfWav('12 34', { leadMs: 2000, breakMs: 3000, tailMs: 2000 });

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stt-cli-vad-'));
  emulator = await startEmulator();
  writeFileSync(path('call.wav'), call.wav);
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

const recorder = () => `sox ${path('call.wav')} -t s16 -r 16000 -c 1 -`;

/** The `--stats` block's rows, label → value, from stderr. */
function statsRows(stderr: string): Record<string, string> {
  const lines = stderr.split('\n');
  const at = lines.indexOf('stt-stream: stats');
  expect(at).toBeGreaterThan(-1);
  const rows = lines.slice(at + 1).filter((l) => l.startsWith('  '));
  return Object.fromEntries(rows.map((row) => [row.slice(2, 22).trim(), row.slice(22)]));
}

describe('stt-stream listen --vad', () => {
  it('the same transcript as without it, only the speech sent (what the emulator received), and --stats says how much', async () => {
    const all = await runCli(['listen', '--stats', '--url', emulator.httpUrl, '--recorder-command', recorder()]);
    const allHeard = emulator.stats.perConnection.at(-1)!.audioSeconds;
    const vad = await runCli(['listen', '--vad', '--stats', '--url', emulator.httpUrl, '--recorder-command', recorder()]);
    const vadHeard = emulator.stats.perConnection.at(-1)!.audioSeconds;

    expect(all).toMatchObject({ code: 0, stdout: 'one two\nthree four\n' });
    expect(vad).toMatchObject({ code: 0, stdout: 'one two\nthree four\n' });
    expect(vad.stderr.split('\n')[0]).toBe('stt-stream: listening… (sending only speech; Ctrl-C to stop)');
    // Without it the emulator hears the whole file; with it, the two utterances with their pre-roll and hangover.
    expect(allHeard).toBeCloseTo(call.duration, 2);
    expect(vadHeard).toBeLessThan(0.35 * call.duration);
    const spoken = call.utterances.reduce((s, u) => s + (u.at(-1)!.end - u[0]!.start), 0);
    expect(vadHeard).toBeGreaterThan(spoken);

    // --stats: the two rows only with --vad; what was sent is what the emulator heard, the rest skipped.
    const rows = statsRows(vad.stderr);
    expect(Object.keys(rows)).toEqual([
      'finals', 'latency p50', 'latency p95', 'latency max', 'first interim p50', 'connections', 'reconnects', 'replayed', 'gaps', 'audio sent', 'silence skipped',
    ]);
    expect(rows['audio sent']).toBe(`${vadHeard.toFixed(2)} s`);
    const skipped = /^(\d+\.\d\d) s \((\d+) %\)$/.exec(rows['silence skipped']!);
    expect(skipped).not.toBeNull();
    expect(Number(skipped![1]) + vadHeard).toBeCloseTo(call.duration, 1);
    expect(Number(skipped![2])).toBe(Math.round((100 * Number(skipped![1])) / call.duration));
    expect(Object.keys(statsRows(all.stderr))).not.toContain('audio sent');
    expect(rows.gaps).toBe('0.00 s');
  });

  it('in a terminal: "● speaking…" while the detector hears speech, cleared where it ends; the finals as without it', async () => {
    const r = await runInTerminal(`${process.execPath} ${CLI} listen --vad --url ${emulator.httpUrl} --recorder-command '${recorder()}'`);
    expect(r.code).toBe(0);
    const screen = r.stdout;
    // One marker per utterance, each cleared (the line wiped) when its speech ends or its final replaces it.
    const markers = [...screen.matchAll(/\x1b\[2K● ([^\r\n\x1b]*)/g)].map((m) => m[1]);
    expect(markers.filter((m) => m === 'speaking…')).toHaveLength(2);
    for (const m of screen.split('● ').slice(1)) expect(m).toMatch(/^[^\r\n]*\r\x1b\[2K/);
    // The transcript, each final on a line of its own, and nothing left on the live line at the end.
    expect(screen).toContain('one two\r\n');
    expect(screen.endsWith('three four\r\n')).toBe(true);
    expect(screen.indexOf('one two\r\n')).toBeLessThan(screen.indexOf('three four\r\n'));
  });

  it('--help lists --vad', async () => {
    const r = await runCli(['listen', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--vad +voice activity detection here: send only speech/);
  });
});
