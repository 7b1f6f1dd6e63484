import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dtmfWav, startEmulator, type Emulator } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI as cli, assertBuilt, runCli as run } from '../test/run-cli.ts';

// The `stt-stream` CLI end to end: the built bin (packages/node/dist/cli.js,
// from `pnpm build`), run as a real `node` process against the real emulator.

const KEY = 'sk_test_cli_key';
let dir: string;
let emulator: Emulator;
const path = (name: string) => join(dir, name);
const runCli = (args: string[], options: { env?: Record<string, string | undefined>; input?: Buffer } = {}) =>
  run(args, { ...options, env: { STT_STREAM_API_KEY: KEY, ...options.env } });

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stt-cli-'));
  emulator = await startEmulator({ apiKeys: [KEY] });
  writeFileSync(path('keys.wav'), dtmfWav('123 45').wav);
}, 60_000);

afterAll(async () => {
  await emulator?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stt-stream CLI', () => {
  it('stt-stream transcribe - a DTMF WAV to text through the batch endpoint', async () => {
    const before = emulator.stats.batchRequests;
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one two three four five\n');
    expect(emulator.stats.batchRequests).toBe(before + 1);
  });

  it('stt-stream transcribe --format json - the Transcription, words included', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '--format', 'json', '--model', 'deepgram-nova-3']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.text).toBe('one two three four five');
    expect(json.words.map((w: { word: string }) => w.word)).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(typeof json.duration).toBe('number');
  });

  it('stt-stream transcribe --format srt - numbered cues with exact times, a cue per utterance (as the stream gives)', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '--format', 'srt']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\none two three\n\n2\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\nfour five\n\n$/);
  });

  it('stt-stream transcribe --stream --format vtt - one cue per final, through the streaming endpoint', async () => {
    const accepted = emulator.stats.accepted;
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '--stream', '--format', 'vtt']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^WEBVTT\n\n00:00:00\.\d{3} --> 00:00:0\d\.\d{3}\none two three\n\n00:00:0\d\.\d{3} --> 00:00:0\d\.\d{3}\nfour five\n\n$/,
    );
    expect(emulator.stats.accepted).toBe(accepted + 1);
  });

  it('stt-stream transcribe --output - writes the file, nothing on stdout', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '--output', path('out.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(path('out.txt'), 'utf8')).toBe('one two three four five\n');
  });

  it('stt-stream transcribe - - reads stdin, batch and --stream', async () => {
    const wav = readFileSync(path('keys.wav'));
    const batch = await runCli(['transcribe', '-', '--url', emulator.httpUrl], { input: wav });
    expect(batch.stdout).toBe('one two three four five\n');
    const streamed = await runCli(['transcribe', '-', '--url', emulator.httpUrl, '--stream'], { input: wav });
    expect(streamed.stderr).toBe('');
    expect(streamed.stdout).toBe('one two three four five\n');
  });

  it('stt-stream transcribe - a bad key exits 3 with the reason, never the key', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl], { env: { STT_STREAM_API_KEY: 'sk_wrong_secret' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^stt-stream: .*401/);
    expect(r.stderr).toMatch(/Check STT_STREAM_API_KEY/);
    expect(r.stderr).not.toContain('sk_wrong_secret');
    const streamed = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '--stream'], { env: { STT_STREAM_API_KEY: 'sk_wrong_secret' } });
    expect(streamed.code).toBe(3);
    expect(streamed.stderr).not.toContain('sk_wrong_secret');
  });

  it('stt-stream transcribe - no key for the hosted gateway exits 3 and explains the emulator', async () => {
    const r = await runCli(['transcribe', path('keys.wav')], { env: { STT_STREAM_API_KEY: undefined } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No API key/);
    expect(r.stderr).toMatch(/stt-stream emulator/);
    expect(r.stderr).toMatch(/--url http:\/\/127\.0\.0\.1:8080/);
  });

  it('stt-stream - usage errors exit 2', async () => {
    expect((await runCli(['transcribe', path('keys.wav'), '--format', 'xml'])).code).toBe(2);
    expect((await runCli(['transcribe'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const both = await runCli(['transcribe', path('keys.wav'), '--stream', '--batch', '--url', emulator.httpUrl]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exclude each other/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/transcribe/);
  });

  it('stt-stream transcribe - a missing file exits 1 naming it', async () => {
    const r = await runCli(['transcribe', path('nope.wav'), '--url', emulator.httpUrl]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`stt-stream: Cannot read ${path('nope.wav')}: no such file\n`);
  });

  it('stt-stream listen - a recorder command through the microphone path prints finals', async () => {
    const r = await runCli([
      'listen',
      '--url',
      emulator.httpUrl,
      '--recorder-command',
      `sox ${path('keys.wav')} -t s16 -r 16000 -c 1 -`,
    ]);
    expect(r.stderr).toBe('stt-stream: listening… (Ctrl-C to stop)\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('one two three\nfour five\n');
  });

  it('stt-stream emulator - serves until Ctrl-C, and transcribe works against it', async () => {
    const child = spawn(process.execPath, [cli, 'emulator', '--port', '0'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /batch:\s+(http:\/\/\S+)\/v1\/stt\/transcribe/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`emulator exited: ${out}`)));
    });
    expect(out).toMatch(/stream: ws:\/\/127\.0\.0\.1:\d+\/v1\/stt\/stream/);
    const r = await runCli(['transcribe', path('keys.wav'), '--url', url], { env: { STT_STREAM_API_KEY: undefined } });
    expect(r.stdout).toBe('one two three four five\n');
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
