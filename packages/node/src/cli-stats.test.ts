import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfWav, startEmulator, type Emulator } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, runCli, startCli } from '../test/run-cli.ts';

// `--stats`: the built bin (packages/node/dist/cli.js) run as a real process
// against the real emulator; the tests read the block a user reads on stderr,
// counts exactly, timings within bounds (the emulator's slow-answer fault
// sets the floor of every latency).

const DELAY_MS = 150;
let dir: string;
let slow: Emulator;
let restarting: Emulator;
let stalling: Emulator;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stt-cli-stats-'));
  slow = await startEmulator({ faults: { delayMs: DELAY_MS } });
  // The first connection is closed with 1012 after a second of audio; the next ones work.
  restarting = await startEmulator({ faults: { times: 1, close: { code: 1012, afterBytes: 32000 } } });
  // Stops reading after a tenth of a second of audio (before the first key ends), for longer than any test: no final comes.
  stalling = await startEmulator({ faults: { stall: { afterBytes: 3200, forMs: 60_000 } } });
  writeFileSync(path('keys.wav'), dtmfWav('123 45').wav);
  // Keys only after 3 s of silence: however many bytes the stalling server takes in before it stops reading, it hears no key.
  writeFileSync(path('late-keys.wav'), dtmfWav('123 45', { leadMs: 3000 }).wav);
}, 60_000);

afterAll(async () => {
  await Promise.all([slow?.close(), restarting?.close(), stalling?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The `--stats` block's rows, label → value, from stderr (which must hold exactly one block). */
function statsRows(stderr: string): Record<string, string> {
  const lines = stderr.split('\n');
  expect(lines.filter((l) => l === 'stt-stream: stats')).toHaveLength(1);
  const at = lines.indexOf('stt-stream: stats');
  const rows = lines.slice(at + 1, at + 10);
  for (const row of rows) expect(row).toMatch(/^ {2}[a-z0-9 ]+? {2,}\S/);
  return Object.fromEntries(rows.map((row) => [row.slice(2, 22).trim(), row.slice(22)]));
}

/** A latency row's milliseconds. */
function millis(value: string | undefined): number {
  expect(value).toMatch(/^\d+ ms$/);
  return Number.parseInt(value!, 10);
}

describe('stt-stream --stats', () => {
  it('transcribe --stream --stats: finals, latency from the slow-answering server, one connection, after the transcript', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--stream', '--stats', '--url', slow.httpUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one two three four five\n');
    expect(r.stderr.startsWith('stt-stream: stats\n')).toBe(true);
    const rows = statsRows(r.stderr);
    expect(Object.keys(rows)).toEqual([
      'finals', 'latency p50', 'latency p95', 'latency max', 'first interim p50', 'connections', 'reconnects', 'replayed', 'gaps',
    ]);
    expect(rows.finals).toBe('2');
    const p50 = millis(rows['latency p50']);
    const p95 = millis(rows['latency p95']);
    const max = millis(rows['latency max']);
    expect(p50).toBeGreaterThanOrEqual(DELAY_MS);
    expect(p50).toBeLessThan(DELAY_MS + 1000);
    expect(p95).toBeGreaterThanOrEqual(p50);
    expect(max).toBe(p95); // two finals: the 95th percentile is the larger
    // transcribe asks for finals only.
    expect(rows['first interim p50']).toBe('n/a (no interims asked for)');
    expect(rows.connections).toBe('1');
    expect(rows.reconnects).toBe('0');
    expect(rows.replayed).toBe('0.00 s');
    expect(rows.gaps).toBe('0.00 s');
    expect(r.stderr.split('\n').slice(10)).toEqual(['']); // nothing after the block
  });

  it('transcribe --stream --stats through a server restart (1012): two connections, one reconnect, the replayed audio', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--stream', '--stats', '--url', restarting.httpUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one two three four five\n');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^stt-stream: connection lost \(service_restart: /);
    const replaying = /^stt-stream: reconnected, replaying (\d+\.\d) s of unconfirmed audio$/.exec(lines[1]!);
    expect(replaying).not.toBeNull();
    expect(lines[2]).toBe('stt-stream: stats');
    const rows = statsRows(r.stderr);
    expect(rows.finals).toBe('2');
    expect(rows.connections).toBe('2');
    expect(rows.reconnects).toBe('1');
    expect(rows.replayed).toMatch(/^\d+\.\d\d s$/);
    const replayed = Number.parseFloat(rows.replayed!);
    expect(replayed).toBeGreaterThan(0);
    // The reconnect line rounds the same figure to a tenth.
    expect(Math.abs(replayed - Number(replaying![1]))).toBeLessThanOrEqual(0.05);
    expect(rows.gaps).toBe('0.00 s');
    millis(rows['latency p50']);
  });

  it('transcribe --stats on a file the batch endpoint takes says there are no streaming figures; --stats --batch is a usage error', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--stats', '--url', slow.httpUrl]);
    expect(r).toEqual({
      code: 0,
      stdout: 'one two three four five\n',
      stderr: 'stt-stream: --stats: no streaming figures, the file went to the batch endpoint (add --stream to stream it)\n',
    });
    const both = await runCli(['transcribe', path('keys.wav'), '--stats', '--batch', '--url', slow.httpUrl]);
    expect(both).toEqual({
      code: 2,
      stdout: '',
      stderr: "stt-stream: --stats reports the streaming endpoint's figures: use it with --stream (or without --batch)\n",
    });
  });

  it('listen --stats, stopped with Ctrl-C: the block after the last finals, first interim included', async () => {
    // The recorder sends the keys, then stays open without sound, as a microphone in a quiet room.
    const child = startCli(['listen', '--stats', '--url', slow.httpUrl, '--recorder-command', `sox ${path('keys.wav')} -t s16 -r 16000 -c 1 -; exec sleep 30`]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d));
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && stdout !== 'one two three\nfour five\n'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(stdout).toBe('one two three\nfour five\n');
    expect(stderr).toBe('stt-stream: listening… (Ctrl-C to stop)\n'); // nothing before the end
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr.split('\n').slice(0, 2)).toEqual(['stt-stream: listening… (Ctrl-C to stop)', 'stt-stream: stats']);
    const rows = statsRows(stderr);
    expect(rows.finals).toBe('2');
    expect(millis(rows['latency p50'])).toBeGreaterThanOrEqual(DELAY_MS);
    const interim = millis(rows['first interim p50']);
    expect(interim).toBeGreaterThanOrEqual(DELAY_MS);
    expect(interim).toBeLessThan(DELAY_MS + 1000);
    expect(rows.connections).toBe('1');
    expect(rows.reconnects).toBe('0');
    expect(rows.replayed).toBe('0.00 s');
    expect(stderr.split('\n').slice(11)).toEqual(['']);
  });

  it('listen --stats, a second Ctrl-C while no final comes: the figures so far, then exit 130', async () => {
    const child = startCli(['listen', '--stats', '--url', stalling.httpUrl, '--recorder-command', `sox ${path('late-keys.wav')} -t s16 -r 16000 -c 1 -; exec sleep 30`]);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !stderr.includes('listening…'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000)); // past the tenth of a second the server reads
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull(); // waiting for the last finals, which the stalled server does not send
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr.split('\n').slice(0, 2)).toEqual(['stt-stream: listening… (Ctrl-C to stop)', 'stt-stream: stats']);
    const rows = statsRows(stderr);
    expect(rows.finals).toBe('0');
    expect(rows['latency p50']).toBe('n/a');
    expect(rows['latency max']).toBe('n/a');
    expect(rows['first interim p50']).toBe('n/a');
    expect(rows.connections).toBe('1');
  });
});
