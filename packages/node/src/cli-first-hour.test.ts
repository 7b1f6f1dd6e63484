import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dtmfWav, startEmulator, type Emulator } from '@stt-stream/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cliEnv, runCli, startCli, type Run } from '../test/run-cli.ts';

// What a user meets in the first hour past the demo, on the built bin
// (packages/node/dist/cli.js) run as a real process against the real
// emulator: the exact lines on stderr, the files written, the exit codes.

const root = fileURLToPath(new URL('../../..', import.meta.url));
const DEMO = join(root, 'examples/audio/dtmf-demo.wav');
let dir: string;
let emulator: Emulator;
/** Stops reading for 3 s once 100 kB (3 s of audio) came in: a stream that cannot finish quickly. */
let stalling: Emulator;
/** Holds every upload for 20 s before reading it. */
let slowBatch: Emulator;
const path = (name: string) => join(dir, name);

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits until `ready()` holds (a sign of progress, polled), failing after 20 s. */
async function until(ready: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!ready()) throw new Error(`never happened: ${what}`);
}

/** Starts the bin, runs `act` on it while it runs, and collects how it ended. */
async function runWith(args: string[], act: (child: ReturnType<typeof startCli>) => Promise<void>): Promise<Run> {
  const child = startCli(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await act(child);
  return { code: await exited, stdout, stderr };
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'stt-cli-first-hour-'));
  emulator = await startEmulator();
  stalling = await startEmulator({ faults: { stall: { afterBytes: 100_000, forMs: 3000 } } });
  slowBatch = await startEmulator({ batchFaults: { delayMs: 20_000 } });
  writeFileSync(path('keys.wav'), dtmfWav('123 45').wav);
  // The keys, then ten minutes of silence.
  execFileSync('sox', [path('keys.wav'), path('long.wav'), 'pad', '0', '600']);
  // Raw PCM: the demo's samples without their WAV header.
  writeFileSync(path('demo.raw'), readFileSync(DEMO).subarray(44));
  mkdirSync(path('a-directory'));
}, 60_000);

afterAll(async () => {
  await Promise.all([emulator?.close(), stalling?.close(), slowBatch?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('stt-stream: output files and formats', () => {
  it('-o with .vtt, .srt or .json and no -f writes that format; -f contradicting the extension is a usage error', async () => {
    for (const [name, start] of [['out.vtt', 'WEBVTT\n\n00:00:00.'], ['out.srt', '1\n00:00:00,'], ['out.json', '{\n  "text": "one two three four five",']] as const) {
      const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '-o', path(name)]);
      expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(readFileSync(path(name), 'utf8').startsWith(start)).toBe(true);
    }
    const r = await runCli(['transcribe', path('keys.wav'), '--url', emulator.httpUrl, '-f', 'text', '-o', path('wrong.vtt')]);
    expect(r.stderr).toBe(`stt-stream: -f text does not match the extension of ${path('wrong.vtt')} (vtt): drop -f to write vtt, or name the file for text\n`);
    expect(r.code).toBe(2);
  });

  it('JSON times are rounded to the millisecond, batch and streamed (duration 4.2, not 4.200000000000001)', async () => {
    for (const mode of [[], ['--stream']]) {
      const r = await runCli(['transcribe', DEMO, '--url', emulator.httpUrl, '-f', 'json', ...mode]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).duration).toBe(4.2);
      expect(r.stdout).not.toMatch(/\d\.\d{4,}/);
    }
  });

  it('a batch SRT has a cue per utterance, the same cues as the streamed one', async () => {
    const cueTexts = (srt: string) => srt.trim().split('\n\n').map((cue) => cue.split('\n').slice(2).join(' '));
    const batch = await runCli(['transcribe', DEMO, '--url', emulator.httpUrl, '-f', 'srt']);
    const streamed = await runCli(['transcribe', DEMO, '--url', emulator.httpUrl, '-f', 'srt', '--stream']);
    expect(cueTexts(batch.stdout)).toEqual(['one two three four', 'five six seven eight', 'pound star zero']);
    expect(cueTexts(streamed.stdout)).toEqual(cueTexts(batch.stdout));
  });
});

describe('stt-stream: what a wrong input says', () => {
  it('a directory: "is a directory", batch or streamed, never EISDIR', async () => {
    for (const mode of [[], ['--batch'], ['--stream']]) {
      const r = await runCli(['transcribe', path('a-directory'), '--url', emulator.httpUrl, ...mode]);
      expect(r).toEqual({ code: 1, stdout: '', stderr: `stt-stream: Cannot read ${path('a-directory')}: is a directory\n` });
    }
  });

  it('raw PCM (no header): ffmpeg’s reason and how to give it a header', async () => {
    const r = await runCli(['transcribe', path('demo.raw'), '--url', emulator.httpUrl]);
    expect(r.stderr).toBe(
      `stt-stream: Cannot decode ${path('demo.raw')}: ffmpeg finds no audio stream in it ` +
        '(if it is raw PCM, which has no header to say its rate and format: give it one first, e.g. `ffmpeg -f s16le -ar 16000 -ac 1 -i <file> out.wav` for 16 kHz mono 16-bit)\n',
    );
    expect(r.code).toBe(1);
  });
});

describe('stt-stream: a server that does not answer', () => {
  it('batch: the reason from the cause chain (not "fetch failed") and "is the server running? check --url"', async () => {
    const port = await closedPort();
    const r = await runCli(['transcribe', path('keys.wav'), '--url', `http://127.0.0.1:${port}`, '--retries', '0']);
    expect(r.stderr).toBe(
      `stt-stream: ${path('keys.wav')}: Cannot reach http://127.0.0.1:${port}/v1/stt/transcribe: connect ECONNREFUSED 127.0.0.1:${port}\n` +
        '(is the server running? check --url or STT_STREAM_URL)\n',
    );
    expect(r.code).toBe(1);
  });

  it('streaming: the cause once, then "the same error" on each further attempt', async () => {
    const port = await closedPort();
    const r = await runCli(['transcribe', path('keys.wav'), '--stream', '--retries', '3', '--url', `http://127.0.0.1:${port}`]);
    const refused = `connection_failed: Cannot connect to ws://127.0.0.1:${port}/v1/stt/stream: connect ECONNREFUSED 127.0.0.1:${port}`;
    const lines = r.stderr.split('\n').map((l) => l.replace(/in \d+\.\d s…$/, 'in … s…'));
    expect(lines).toEqual([
      `stt-stream: cannot connect to http://127.0.0.1:${port} (${refused}); attempt 2 in … s…`,
      'stt-stream: still cannot connect (the same error); attempt 3 in … s…',
      'stt-stream: still cannot connect (the same error); attempt 4 in … s…',
      `stt-stream: Gave up reconnecting after 4 failed attempts (\`reconnect.retries\` is 3): 4 connection attempts in a row were not opened (connection_failed); last: ${refused}`,
      '(is the server running? check --url or STT_STREAM_URL)',
      '',
    ]);
    expect(r.code).toBe(1);
  });
});

describe('stt-stream: Ctrl-C', () => {
  it('transcribe --stream --stats: "interrupted", the finals of the audio sent so far, the figures; exit 130', async () => {
    const accepted = stalling.stats.accepted;
    const r = await runWith(['transcribe', path('long.wav'), '--stream', '--stats', '--url', stalling.httpUrl], async (child) => {
      await until(() => stalling.stats.accepted > accepted, 'the stream was accepted');
      child.kill('SIGINT');
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toBe('one two three four five\n');
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('stt-stream: interrupted: ending the audio here and waiting for the last finals (Ctrl-C again to quit at once)');
    // Less than the file's 601.6 s went out: the audio ended where Ctrl-C came.
    const sent = Number(/^stt-stream: interrupted: the transcript of the audio sent before Ctrl-C \((\d+\.\d) s\) follows$/.exec(lines[1]!)?.[1]);
    expect(sent).toBeGreaterThan(1.6);
    expect(sent).toBeLessThan(600);
    expect(lines[2]).toBe('stt-stream: stats');
    expect(lines[3]).toMatch(/^ {2}finals {14}2$/);
  });

  it('Ctrl-C during an upload cancels it: "interrupted", nothing on stdout, exit 130', async () => {
    const before = slowBatch.stats.batchRequests;
    const r = await runWith(['transcribe', path('keys.wav'), '--url', slowBatch.httpUrl], async (child) => {
      await until(() => slowBatch.stats.batchRequests > before, 'the upload arrived');
      child.kill('SIGINT');
    });
    expect(r).toEqual({ code: 130, stdout: '', stderr: 'stt-stream: interrupted: the upload is cancelled\n' });
  });
});

describe('the demo', () => {
  it('speech through the emulator: an empty transcript says the emulator hears only DTMF tones', async () => {
    const r = await new Promise<Run>((resolve) =>
      execFile(process.execPath, [join(root, 'examples/node/demo.mjs'), join(root, 'examples/audio/speech-en.wav')], { env: cliEnv(), timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(-3)).toEqual([
      'Transcript: ',
      '(Nothing was recognised: the local emulator hears only DTMF tones, not speech. Set STT_STREAM_API_KEY to transcribe speech with the hosted gateway.)',
      '',
    ]);
  });
});

describe('stt-stream from the checkout, as the README says', () => {
  it('npx -y pnpm@10 -s stt-stream …: the CLI, built when needed, paths taken from where it is run', async () => {
    const r = await new Promise<Run>((resolve) =>
      execFile(
        'npx',
        ['-y', 'pnpm@10', '-s', 'stt-stream', 'transcribe', 'audio/dtmf-demo.wav', '--url', emulator.httpUrl],
        { cwd: join(root, 'examples'), env: cliEnv({ HOME: process.env.HOME }), timeout: 120_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(r).toEqual({ code: 0, stdout: 'one two three four five six seven eight pound star zero\n', stderr: '' });
  }, 120_000);
});
