/**
 * Decoding compressed audio through an `ffmpeg` child process, to 16 kHz
 * mono pcm_s16le.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PcmAudio } from './wav-reader.ts';

/**
 * Why ffmpeg could not decode: it is missing, or the input is not audio it can read.
 *
 * @example Tell a missing ffmpeg apart
 * ```ts
 * try { await decodeWithFfmpeg(bytes, 'mp3', 'ffmpeg', signal); }
 * catch (err) { if (err instanceof FfmpegError && err.reason === 'missing') console.error('install ffmpeg'); }
 * ```
 */
export class FfmpegError extends Error {
  constructor(
    readonly reason: 'missing' | 'failed',
    message: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/**
 * Decodes any format ffmpeg reads to 16 kHz mono. The input goes through a
 * temporary file (MP4/M4A cannot always be read from a pipe) that is removed
 * afterwards. Aborting kills the child process.
 *
 * @param bytes the encoded file
 * @param extension a file extension hinting the container (`mp3`, `m4a`, …)
 * @param ffmpeg the executable
 * @throws FfmpegError with reason `missing` (not on PATH) or `failed` (could not decode)
 *
 * @example Decode an MP3
 * ```ts
 * const { samples } = await decodeWithFfmpeg(mp3Bytes, 'mp3', 'ffmpeg', AbortSignal.timeout(10_000));
 * ```
 */
export async function decodeWithFfmpeg(bytes: Uint8Array, extension: string, ffmpeg: string, signal: AbortSignal): Promise<PcmAudio> {
  const dir = await mkdtemp(join(tmpdir(), 'stt-stream-emulator-'));
  try {
    const input = join(dir, `input.${extension.replace(/[^a-z0-9]/gi, '') || 'bin'}`);
    await writeFile(input, bytes);
    signal.throwIfAborted();
    const pcm = await new Promise<Buffer>((resolve, reject) => {
      const child = spawn(ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', input, '-f', 's16le', '-acodec', 'pcm_s16le', '-ac', '1', '-ar', '16000', 'pipe:1'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        signal,
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => {
        if (err.length < 2000) err += chunk.toString('utf8');
      });
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') reject(new FfmpegError('missing', `${ffmpeg} is not on PATH`));
        else reject(error);
      });
      child.on('close', (code) => {
        if (code === 0) resolve(Buffer.concat(out));
        else reject(new FfmpegError('failed', `ffmpeg could not decode the audio${err ? `: ${err.trim().split('\n').pop()?.replaceAll(input, 'input')}` : ''}`));
      });
    });
    const samples = new Int16Array(Math.floor(pcm.length / 2));
    for (let i = 0; i < samples.length; i++) samples[i] = pcm.readInt16LE(i * 2);
    return { samples, sampleRate: 16000, channels: 1 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
