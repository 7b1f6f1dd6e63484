import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_AUDIO_BYTES } from './batch-handler.ts';
import { startEmulator, type Emulator } from './emulator.ts';
import { dtmfWav } from './fixtures/dtmf-wav.ts';

const KEY = 'batch-key';

/** The 16-bit samples of a fixture re-encoded as a 44-byte-header WAV of 32-bit float (format 3) or 24-bit PCM (format 1). */
function reencode(samples: Int16Array, sampleRate: number, channels: number, encoding: 'float32' | 'pcm_s24'): Uint8Array<ArrayBuffer> {
  const width = encoding === 'float32' ? 4 : 3;
  const out = new Uint8Array(44 + samples.length * width);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode('RIFF'), 0);
  view.setUint32(4, 36 + samples.length * width, true);
  out.set(new TextEncoder().encode('WAVEfmt '), 8);
  view.setUint32(16, 16, true);
  view.setUint16(20, encoding === 'float32' ? 3 : 1, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels * width, true);
  view.setUint16(32, channels * width, true);
  view.setUint16(34, width * 8, true);
  out.set(new TextEncoder().encode('data'), 36);
  view.setUint32(40, samples.length * width, true);
  samples.forEach((v, i) => {
    const at = 44 + i * width;
    if (encoding === 'float32') view.setFloat32(at, v / 32768, true);
    else {
      const s24 = v * 256;
      view.setUint16(at, s24 & 0xffff, true);
      view.setInt8(at + 2, s24 >> 16);
    }
  });
  return out;
}

function form(audio: Uint8Array<ArrayBuffer> | null, fields: Record<string, string> = { model_id: 'whisper-1' }, fileName = 'keys.wav', type = 'audio/wav'): FormData {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  if (audio) body.append('audio', new Blob([audio], { type }), fileName);
  return body;
}

describe('POST /v1/stt/transcribe', () => {
  let emulator: Emulator;
  let endpoint: string;
  const auth = { Authorization: `Bearer ${KEY}` };
  beforeAll(async () => {
    emulator = await startEmulator({ apiKeys: [KEY] });
    endpoint = `${emulator.httpUrl}/v1/stt/transcribe`;
  });
  afterAll(() => emulator.close());

  it('transcribes a WAV: text, words timed within 10 ms, duration, language, confidence, model, x-request-id', async () => {
    const fixture = dtmfWav('123 45#', { snrDb: 20 });
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(fixture.wav) });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const body = await res.json();
    expect(body).toMatchObject({ text: 'one two three four five pound', language: 'en', confidence: 0.95, model: 'whisper-1' });
    expect(body.duration).toBeCloseTo(fixture.duration, 10);
    expect(body.words.map((w: { word: string }) => w.word)).toEqual(fixture.tones.map((t) => t.word));
    body.words.forEach((w: { start: number; end: number; confidence: number }, i: number) => {
      expect(Math.abs(w.start - (fixture.tones[i]?.start ?? NaN))).toBeLessThan(0.01);
      expect(Math.abs(w.end - (fixture.tones[i]?.end ?? NaN))).toBeLessThan(0.01);
      expect(w.confidence).toBe(0.95);
    });
  });

  it('passes the language hint through and reads stereo WAV at any rate', async () => {
    const fixture = dtmfWav('9', { sampleRate: 22050, channels: 2 });
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(fixture.wav, { model_id: 'm', language: 'es', provider_id: 'p' }) });
    expect(await res.json()).toMatchObject({ text: 'nine', language: 'es', model: 'm' });
  });

  it('accepts a file by content type when its name has no known extension', async () => {
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(dtmfWav('0').wav, undefined, 'blob', 'audio/x-wav') });
    expect((await res.json()).text).toBe('zero');
  });

  it('decodes other formats through ffmpeg', async () => {
    const fixture = dtmfWav('56', { toneMs: 120 });
    const flac = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'wav', '-i', 'pipe:0', '-f', 'flac', 'pipe:1'], { input: fixture.wav });
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(new Uint8Array(flac), undefined, 'keys.flac', 'audio/flac') });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.text).toBe('five six');
    expect(Math.abs(body.words[0].start - (fixture.tones[0]?.start ?? NaN))).toBeLessThan(0.01);
  });

  it('says so when a compressed format is sent and ffmpeg is missing, and when ffmpeg cannot decode it', async () => {
    const bare = await startEmulator({ ffmpeg: false });
    try {
      const res = await fetch(`${bare.httpUrl}/v1/stt/transcribe`, { method: 'POST', body: form(new Uint8Array(100), undefined, 'a.mp3', 'audio/mpeg') });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: expect.stringMatching(/ffmpeg/), param: 'audio' } });
    } finally {
      await bare.close();
    }
    const missing = await startEmulator({ ffmpeg: '/nonexistent/ffmpeg' });
    try {
      const res = await fetch(`${missing.httpUrl}/v1/stt/transcribe`, { method: 'POST', body: form(new Uint8Array(100), undefined, 'a.ogg') });
      expect(res.status).toBe(400);
      expect((await res.json()).error.message).toMatch(/ffmpeg on PATH/);
    } finally {
      await missing.close();
    }
    // ffmpeg is there (the test command installs it): garbage it cannot decode is a 400 on `audio`.
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(new Uint8Array(100).fill(7), undefined, 'a.mp3') });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: 'invalid_input', param: 'audio' });
  });

  it.each(['float32', 'pcm_s24'] as const)('decodes a %s WAV by itself, without ffmpeg', async (encoding) => {
    const bare = await startEmulator({ ffmpeg: false });
    try {
      const fixture = dtmfWav('7 3', { sampleRate: 24000, channels: 2 });
      const wav = reencode(fixture.samples, fixture.sampleRate, fixture.channels, encoding);
      const res = await fetch(`${bare.httpUrl}/v1/stt/transcribe`, { method: 'POST', body: form(wav) });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body.text).toBe('seven three');
      expect(body.duration).toBeCloseTo(fixture.duration, 10);
      expect(Math.abs(body.words[1].start - (fixture.tones[1]?.start ?? NaN))).toBeLessThan(0.01);
    } finally {
      await bare.close();
    }
  });

  it('answers 400 invalid_input to a WAV cut short of what its data chunk declares, and reads a piped one (unknown size) to the end', async () => {
    const fixture = dtmfWav('4', { leadMs: 0, tailMs: 0 });
    const cut = fixture.wav.slice(0, fixture.wav.length - 1000);
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(cut) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: expect.stringMatching(/^Truncated WAV file/), param: 'audio' } });

    const piped = cut.slice();
    new DataView(piped.buffer).setUint32(4, 0xffffffff, true);
    new DataView(piped.buffer).setUint32(40, 0xffffffff, true);
    const ok = await fetch(endpoint, { method: 'POST', headers: auth, body: form(piped) });
    expect(ok.status).toBe(200);
    expect((await ok.json()).duration).toBeCloseTo((cut.length - 44) / 2 / 16000, 10);
  });

  it('hands a WAV encoding core does not decode (ADPCM) to ffmpeg, and says so when there is none', async () => {
    const adpcm = dtmfWav('1').wav;
    new DataView(adpcm.buffer).setUint16(20, 2, true);
    const bare = await startEmulator({ ffmpeg: false });
    try {
      const res = await fetch(`${bare.httpUrl}/v1/stt/transcribe`, { method: 'POST', body: form(adpcm) });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { code: 'invalid_input', message: expect.stringMatching(/this WAV encoding needs ffmpeg/), param: 'audio' } });
    } finally {
      await bare.close();
    }
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { Authorization: 'Bearer wrong' }],
  ])('answers 401 unauthenticated to %s', async (_name, headers) => {
    const res = await fetch(endpoint, { method: 'POST', headers, body: form(dtmfWav('1').wav) });
    expect(res.status).toBe(401);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await res.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } });
  });

  it.each<[string, () => FormData | string, string | undefined]>([
    ['the audio is missing', () => form(null), 'audio'],
    ['model_id is missing', () => form(dtmfWav('1').wav, {}), 'model_id'],
    ['the format is not audio', () => form(new Uint8Array(10), undefined, 'notes.txt', 'text/plain'), 'audio'],
    ['the WAV is corrupt', () => form(new Uint8Array(50), undefined, 'x.wav'), 'audio'],
    ['the body is not multipart', () => 'model_id=m', undefined],
  ])('answers 400 invalid_input when %s', async (_name, body, param) => {
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: body() });
    expect(res.status).toBe(400);
    const json = await res.json();
    expect(json.error.code).toBe('invalid_input');
    expect(json.error.param).toBe(param);
  });

  it('answers 413 as soon as the file passes 25 MB, before the upload is over', async () => {
    const boundary = 'emulatorboundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="model_id"\r\n\r\nm\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="audio"; filename="big.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
    );
    const { status, body, bytesWritten } = await new Promise<{ status: number; body: string; bytesWritten: number }>((resolve, reject) => {
      const req = request(endpoint, { method: 'POST', headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` } });
      let written = 0;
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text, bytesWritten: written });
          req.destroy();
        });
      });
      req.on('error', (err) => {
        if (!answered) reject(err);
      });
      req.write(head);
      const chunk = Buffer.alloc(1 << 20);
      // Write up to 40 MB, one MB at a time, waiting for the socket; never end the request.
      const pump = (): void => {
        while (!answered && written < 40 * (1 << 20)) {
          written += chunk.length;
          if (!req.write(chunk)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body)).toEqual({ error: { code: 'invalid_input', message: expect.any(String), param: 'audio' } });
    // 25 MB plus what the socket buffers held when the answer came; far from the 40 MB on offer.
    expect(bytesWritten).toBeLessThan(36 * (1 << 20));
  });

  it('answers 413 to fetch too, as a response rather than a network error', async () => {
    const big = new Uint8Array(MAX_AUDIO_BYTES + 1);
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(big) });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('invalid_input');
  });

  it('accepts a file of exactly 25 MB', async () => {
    const wav = dtmfWav('', { leadMs: 0, tailMs: 0 }).wav;
    const big = new Uint8Array(MAX_AUDIO_BYTES);
    big.set(wav.subarray(0, 44));
    new DataView(big.buffer).setUint32(40, MAX_AUDIO_BYTES - 44, true);
    const res = await fetch(endpoint, { method: 'POST', headers: auth, body: form(big) });
    expect(res.status).toBe(200);
    expect((await res.json()).duration).toBeCloseTo((MAX_AUDIO_BYTES - 44) / 32000, 6);
  });

  it('answers other methods with 405 and other paths with 404', async () => {
    const get = await fetch(endpoint);
    expect(get.status).toBe(405);
    expect((await get.json()).error.code).toBe('method_not_allowed');
    const other = await fetch(`${emulator.httpUrl}/v2/nothing`, { method: 'POST' });
    expect(other.status).toBe(404);
    expect(other.headers.get('x-request-id')).toMatch(/^req_/);
  });
});

describe('batchFaults', () => {
  it('answers the first requests with the given statuses, then succeeds', async () => {
    const emulator = await startEmulator({ batchFaults: { statuses: [429, 502, 503] } });
    try {
      const endpoint = `${emulator.httpUrl}/v1/stt/transcribe`;
      const send = () => fetch(endpoint, { method: 'POST', body: form(dtmfWav('8').wav) });
      const first = await send();
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('1');
      expect(await first.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
      const second = await send();
      expect(second.status).toBe(502);
      expect(second.headers.get('retry-after')).toBeNull();
      expect((await second.json()).error.code).toBe('provider_unavailable');
      const third = await send();
      expect(third.status).toBe(503);
      expect((await third.json()).error.code).toBe('server_error');
      const fourth = await send();
      expect(fourth.status).toBe(200);
      expect((await fourth.json()).text).toBe('eight');
      expect(emulator.stats.batchRequests).toBe(4);
      expect(emulator.stats.batch.map((b) => b.status)).toEqual([429, 502, 503, 200]);
    } finally {
      await emulator.close();
    }
  });

  it('takes a Retry-After value, a delay, or a function per request', async () => {
    const emulator = await startEmulator({
      batchFaults: ({ index }) => (index === 0 ? { status: 429, retryAfter: 7 } : { delayMs: 200 }),
    });
    try {
      const endpoint = `${emulator.httpUrl}/v1/stt/transcribe`;
      const first = await fetch(endpoint, { method: 'POST', body: form(dtmfWav('8').wav) });
      expect(first.headers.get('retry-after')).toBe('7');
      await first.arrayBuffer();
      const t0 = performance.now();
      const second = await fetch(endpoint, { method: 'POST', body: form(dtmfWav('8').wav) });
      expect(second.status).toBe(200);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(180);
    } finally {
      await emulator.close();
    }
  });
});

describe('close() with batch requests in flight', () => {
  it('aborts them and leaves no timers behind', async () => {
    const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timeouts();
    const emulator = await startEmulator({ batchFaults: { delayMs: 10_000 } });
    const pending = fetch(`${emulator.httpUrl}/v1/stt/transcribe`, { method: 'POST', body: form(dtmfWav('1').wav) });
    while (emulator.stats.batchRequests === 0) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    await emulator.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(pending).rejects.toThrow();
    expect(timeouts()).toBeLessThanOrEqual(before);
  });
});
