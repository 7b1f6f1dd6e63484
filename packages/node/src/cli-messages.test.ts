import { execFileSync, spawn } from 'node:child_process';
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { dtmfWav, startEmulator, type Emulator } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, runCli, runInTerminal, startCli } from '../test/run-cli.ts';

// What a user reads when something goes wrong, and what the CLI says while it
// works: the built bin (packages/node/dist/cli.js) run as a real process
// against the real emulator, a real ffmpeg and a real sox; each test asserts
// the exact lines on stderr.

const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
let emulator: Emulator;
let restarting: Emulator;
let stalling: Emulator;
const path = (name: string) => join(dir, name);
const version = JSON.parse(readFileSync(join(root, 'packages/node/package.json'), 'utf8')).version as string;
const HINT = 'Install it (Debian/Ubuntu: `apt-get install ffmpeg`, macOS: `brew install ffmpeg`, Windows: `winget install ffmpeg`)';
const RECORDER_HINT = '(choose the input with --device, another recorder with --recorder, or any command with --recorder-command)';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stt-cli-messages-'));
  emulator = await startEmulator();
  // The first connection is closed with 1012 after a second of audio; the next ones work.
  restarting = await startEmulator({ faults: { times: 1, close: { code: 1012, afterBytes: 32000 } } });
  // Stops reading for 2 s after 200 kB: audio goes out, nothing comes back.
  stalling = await startEmulator({ faults: { stall: { afterBytes: 200_000, forMs: 2000 } } });
  writeFileSync(path('keys.wav'), dtmfWav('123 45').wav);
  writeFileSync(path('notaudio.txt'), 'hello, this is not audio\n');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', path('silence.wav'), 'trim', '0', '1']);
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', path('tone.mp3')]);
  // One 30 s key: a single final at the end, so "confirmed" stays at 0 while it streams.
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', path('long.wav'), 'synth', '30', 'sine', '697', 'sine', '1209', 'gain', '-3']);
  // A WAV of 26 MB (sparse: the size is what counts).
  const fd = openSync(path('big.wav'), 'w');
  writeSync(fd, readFileSync(path('keys.wav')).subarray(0, 44));
  ftruncateSync(fd, 26 * 1024 * 1024);
  closeSync(fd);
}, 60_000);

afterAll(async () => {
  await Promise.all([emulator?.close(), restarting?.close(), stalling?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('stt-stream: a source that fails says why, with its own code', () => {
  it('transcribe notaudio.txt --stream (and without --stream): ffmpeg’s reason, not "the audio stream was aborted"', async () => {
    for (const args of [['--stream'], []]) {
      const r = await runCli(['transcribe', path('notaudio.txt'), '--url', emulator.httpUrl, ...args]);
      expect(r.stderr).toBe(
        `stt-stream: Cannot decode ${path('notaudio.txt')}: Invalid data found when processing input ` +
          '(if it is raw PCM, which has no header to say its rate and format: give it one first, e.g. `ffmpeg -f s16le -ar 16000 -ac 1 -i <file> out.wav` for 16 kHz mono 16-bit)\n',
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
    }
  });

  it('transcribe a.mp3 --ffmpeg /nonexistent: ffmpeg_not_found, how to install it, and the flag to pass', async () => {
    const r = await runCli(['transcribe', path('tone.mp3'), '--stream', '--ffmpeg', '/nonexistent', '--url', emulator.httpUrl]);
    expect(r.stderr).toBe(
      `stt-stream: Cannot decode ${path('tone.mp3')}: it needs ffmpeg, and \`/nonexistent\` does not exist. ${HINT} or pass --ffmpeg <path>.\n`,
    );
    expect(r.code).toBe(1);
  });

  it('listen with a recorder that cannot open its device (no sound card): the recorder’s own reason and what to try', async () => {
    const r = await runCli(['listen', '--recorder', 'sox', '--device', 'hw:99,0', '--url', emulator.httpUrl]);
    expect(r.stderr).toBe(
      `stt-stream: The recorder "sox" stopped: sox FAIL formats: can't open input  \`hw:99,0': snd_pcm_open error: Invalid argument\n${RECORDER_HINT}\n`,
    );
    expect(r.code).toBe(1);
  });

  it('listen --recorder nosuch: a usage error (exit 2) that says what --recorder takes', async () => {
    const r = await runCli(['listen', '--recorder', 'nosuch', '--url', emulator.httpUrl]);
    expect(r.stderr).toBe(
      "error: option '--recorder <name>' argument 'nosuch' is invalid. expected arecord, rec, sox, ffmpeg (or a path to one of them); " +
        "for another recorder use --recorder-command '<command writing raw s16le PCM to stdout>'\n(run stt-stream --help for usage)\n",
    );
    expect(r.code).toBe(2);
  });

  it('node examples/node/demo.mjs nope.wav: the file-not-found error, the path resolved where it was run', async () => {
    const demo = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(root, 'examples/node/demo.mjs'), 'nope.wav'], { cwd: dir, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(demo.stderr).toBe(`\nFailed: Cannot read ${path('nope.wav')}: no such file (invalid_input)\n`);
    expect(demo.code).toBe(1);
  });
});

describe('stt-stream: messages in CLI terms', () => {
  it('a credential in --url (or STT_STREAM_URL) is refused naming the flag and the env variable, never echoing it', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--url', `${emulator.httpUrl}/?api_key=sk_secret_1`]);
    expect(r.stderr).toBe('stt-stream: --url must not hold a credential (found `api_key`): the key goes in the environment, export STT_STREAM_API_KEY=…\n');
    expect(r.code).toBe(2);
    const env = await runCli(['listen'], { env: { STT_STREAM_URL: 'http://me:sk_secret_2@127.0.0.1:1' } });
    expect(env.stderr).toBe(
      'stt-stream: STT_STREAM_URL must not hold a credential (found a user name or password): the key goes in the environment, export STT_STREAM_API_KEY=…\n',
    );
    expect(env.code).toBe(2);
  });

  it('--batch on a file over 25 MB, or on stdin over 25 MB: "drop --batch, or use --stream", nothing uploaded', async () => {
    const before = emulator.stats.batchRequests;
    const r = await runCli(['transcribe', path('big.wav'), '--batch', '--url', emulator.httpUrl]);
    expect(r.stderr).toBe(`stt-stream: ${path('big.wav')} is over the batch endpoint's limit of 25 MB (26214400 bytes): drop --batch, or use --stream\n`);
    expect(r.code).toBe(1);
    const stdin = await runCli(['transcribe', '-', '--batch', '--url', emulator.httpUrl], { input: Buffer.alloc(26 * 1024 * 1024) });
    expect(stdin.stderr).toBe("stt-stream: stdin is over the batch endpoint's limit of 25 MB (26214400 bytes): drop --batch, or use --stream\n");
    expect(stdin.code).toBe(1);
    expect(emulator.stats.batchRequests).toBe(before);
  });

  it('--batch on a file the batch endpoint does not take: the fix in flags, not "pass `fileName`"', async () => {
    const r = await runCli(['transcribe', path('notaudio.txt'), '--batch', '--url', emulator.httpUrl]);
    expect(r.stderr).toBe(
      `stt-stream: ${path('notaudio.txt')}: the batch endpoint takes wav, mp3, m4a, mp4, webm, ogg, opus, flac, and neither the name nor the first bytes say it is one of them: ` +
        'drop --batch (or use --stream) to decode it here with ffmpeg, or rename the file with the right extension\n',
    );
    expect(r.code).toBe(1);
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('a transcript with no words says so on stderr (transcribe and listen)', async () => {
    const r = await runCli(['transcribe', path('silence.wav'), '--url', emulator.httpUrl]);
    // The emulator hears DTMF tones only: a server other than the hosted gateway may be it.
    const hint = ' (if this is the stt-stream emulator: it hears only DTMF tones, not speech; set STT_STREAM_API_KEY and drop --url for the hosted gateway)';
    expect(r).toEqual({ code: 0, stdout: '', stderr: `stt-stream: the transcript is empty: no words were recognised in ${path('silence.wav')}${hint}\n` });
    const live = await runCli(['listen', '--url', emulator.httpUrl, '--recorder-command', 'sox -n -t s16 -r 16000 -c 1 - trim 0 1']);
    expect(live).toEqual({
      code: 0,
      stdout: '',
      stderr: `stt-stream: listening… (Ctrl-C to stop)\nstt-stream: the transcript is empty: no words were recognised${hint}\n`,
    });
  });
});

describe('stt-stream: what it is doing while it connects and streams', () => {
  it('a gateway that refuses connections: each attempt with its cause and delay, then the final error naming the last cause', async () => {
    const port = await closedPort();
    const t0 = Date.now();
    const r = await runCli(['transcribe', path('keys.wav'), '--stream', '--retries', '1', '--url', `http://127.0.0.1:${port}`]);
    const refused = `connection_failed: Cannot connect to ws://127.0.0.1:${port}/v1/stt/stream: connect ECONNREFUSED 127.0.0.1:${port}`;
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^stt-stream: cannot connect to http://127\\.0\\.0\\.1:${port} \\(${escape(refused)}\\); attempt 2 in \\d\\.\\d s…$`));
    expect(lines.slice(1)).toEqual([`stt-stream: Gave up reconnecting after 2 failed attempts (\`reconnect.retries\` is 1): 2 connection attempts in a row were not opened (connection_failed); last: ${refused}`, '(is the server running? check --url or STT_STREAM_URL)', '']);
    expect(r.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('an upload the server turns away: each retry with its cause and wait (the Retry-After when there is one), then the transcript', async () => {
    const limited = await startEmulator({ batchFaults: ({ index }) => (index < 2 ? { status: 503 } : index === 2 ? { status: 429, retryAfter: '1' } : undefined) });
    try {
      const r = await runCli(['transcribe', path('keys.wav'), '--batch', '--retries', '3', '--url', limited.httpUrl]);
      const lines = r.stderr.split('\n');
      // The backoff after failure n is 500 ms · 2^(n−1) · [1, 2); a Retry-After replaces it.
      expect(lines[0]).toMatch(/^stt-stream: the upload failed \(server_error: Transcription failed: 503 Injected fault: 503\); attempt 2 in (0\.[5-9]|1\.0) s…$/);
      expect(lines[1]).toMatch(/^stt-stream: the upload failed again \(the same error\); attempt 3 in (1\.\d|2\.0) s…$/);
      expect(lines[2]).toBe('stt-stream: the upload failed (rate_limited: Transcription failed: 429 Injected fault: 429); attempt 4 in 1.0 s, as the server asked…');
      expect(lines.slice(3)).toEqual(['']);
      expect(r).toMatchObject({ code: 0, stdout: 'one two three four five\n' });
      expect(limited.stats.batch.map((b) => b.status)).toEqual([503, 503, 429, 200]);
    } finally {
      await limited.close();
    }
  });

  it('an upload the server asks to retry in an hour: the error at once, with the wait asked and the option that refuses it', async () => {
    const refusing = await startEmulator({ batchFaults: () => ({ status: 429, retryAfter: '3600' }) });
    try {
      const t0 = Date.now();
      const r = await runCli(['transcribe', path('keys.wav'), '--batch', '--url', refusing.httpUrl]);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(r).toEqual({
        code: 1,
        stdout: '',
        stderr:
          `stt-stream: ${path('keys.wav')}: Transcription failed: 429 Injected fault: 429; gave up after 1 attempt: the server asked to wait 3600 s before trying again (Retry-After), ` +
          `longer than \`maxRetryTimeMs\` (60000 ms) allows (request id ${refusing.stats.batch[0]!.requestId})\n`,
      });
      expect(refusing.stats.batchRequests).toBe(1);
    } finally {
      await refusing.close();
    }
  });

  it('a connection the server restarts (1012): "connection lost", the reconnect, and the whole transcript', async () => {
    const r = await runCli(['transcribe', path('keys.wav'), '--stream', '--url', restarting.httpUrl]);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^stt-stream: connection lost \(service_restart: Connection closed \(1012\): fault\); reconnecting \(attempt 1\) in \d\.\d s…$/);
    expect(lines[1]).toMatch(/^stt-stream: reconnected, replaying \d+\.\d s of unconfirmed audio$/);
    expect(lines.slice(2)).toEqual(['']);
    expect(r.stdout).toBe('one two three four five\n');
    expect(r.code).toBe(0);
  });

  it('in a terminal: "connecting to <origin>…", and a progress bar of audio sent against audio confirmed', async () => {
    const r = await runInTerminal(`${process.execPath} ${CLI} transcribe ${path('long.wav')} --stream --url ${stalling.httpUrl}`);
    const screen = r.stdout.replace(/\r/g, '\n');
    expect(screen).toContain(`stt-stream: connecting to ${stalling.httpUrl}…`);
    // While the server stalls, all 30 s are sent and none is confirmed yet: the bar says so.
    expect(screen).toMatch(/sent \|[^|]*\| 100% \| 30\/30 s \| confirmed 0\.0 s \|/);
    expect(screen).toMatch(/\x1b\[2Kone\n+$/); // the bar cleared, then the transcript
    expect(r.code).toBe(0);
  });

  it('listen prints "listening… (Ctrl-C to stop)" once connected', async () => {
    const r = await runCli(['listen', '--url', emulator.httpUrl, '--recorder-command', `sox ${path('keys.wav')} -t s16 -r 16000 -c 1 -`]);
    expect(r).toEqual({ code: 0, stdout: 'one two three\nfour five\n', stderr: 'stt-stream: listening… (Ctrl-C to stop)\n' });
  });

  it('listen -f vtt and -f srt write each cue as its final arrives, before the recorder ends; Ctrl-C waits for the last', async () => {
    for (const [format, first, whole] of [
      ['vtt', /^WEBVTT\n\n00:00:00\.\d{3} --> 00:00:0\d\.\d{3}\none two three\n\n/, /^WEBVTT\n\n[^\n]+\none two three\n\n\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\nfour five\n\n$/],
      ['srt', /^1\n00:00:00,\d{3} --> 00:00:0\d,\d{3}\none two three\n\n/, /^1\n[^\n]+\none two three\n\n2\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\nfour five\n\n$/],
    ] as const) {
      // The recorder sends the keys, then stays open without sound, as a microphone in a quiet room.
      const child = startCli(['listen', '-f', format, '--url', emulator.httpUrl, '--recorder-command', `sox ${path('keys.wav')} -t s16 -r 16000 -c 1 -; exec sleep 30`]);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d));
      child.stderr!.on('data', (d: Buffer) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      for (let i = 0; i < 200 && !first.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
      expect(stdout).toMatch(first);
      expect(child.exitCode).toBeNull(); // still listening
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(stdout).toMatch(whole);
      expect(stderr).toBe('stt-stream: listening… (Ctrl-C to stop)\n');
    }
  });

  it('the demo shows interims in a terminal as the audio plays, then each final', async () => {
    const r = await runInTerminal(`${process.execPath} ${join(root, 'examples/node/demo.mjs')}`, { STT_STREAM_API_KEY: undefined });
    const interim = r.stdout.indexOf('\x1b[2m  0.30  one two');
    const final = r.stdout.indexOf('[  0.30 →   1.00]  one two three four');
    expect(interim).toBeGreaterThan(-1);
    expect(final).toBeGreaterThan(interim);
    expect(r.stdout).toContain('Transcript: one two three four five six seven eight pound star zero');
    expect(r.code).toBe(0);
  });
});

describe('SttError as the built packages print it', () => {
  it('console.log(err) shows SttError (or its subclass), not a bundler-renamed _SttError, and no undefined fields', async () => {
    for (const pkg of ['core', 'node', 'browser']) {
      const m = (await import(join(root, 'packages', pkg, 'dist', 'index.js'))) as typeof import('@stt-stream/core');
      const plain = inspect(new m.SttError('decode_failed', 'Cannot decode a.txt'));
      expect(plain.split('\n')[0]).toBe('SttError: Cannot decode a.txt');
      expect(plain).toMatch(/\{\n {2}code: 'decode_failed',\n {2}retryable: false\n\}$/);
      expect(inspect(m.createSttError('rate_limited', 'Slow down', { status: 429 })).split('\n')[0]).toBe('SttRateLimitError: Slow down');
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
