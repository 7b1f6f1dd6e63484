// End to end: build this example with Vite, serve it on 127.0.0.1, open it in
// Debian's Chromium (playwright-core) with a DTMF WAV as the fake microphone,
// click Start, see the interim line, the level meter and the emulator's words,
// click Stop. Screenshots go to test-output/example-browser/ (interim.png,
// live-captions.png, stopped.png). Runs in the `node` vitest project.
import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dtmfWav, startEmulator } from '@stt-stream/emulator';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect, test } from 'vitest';

const root = fileURLToPath(new URL('.', import.meta.url));
const outputDir = fileURLToPath(new URL('../../test-output/example-browser/', import.meta.url));
const distDir = join(outputDir, 'dist');
const micWav = join(outputDir, 'mic.wav');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEYS = '1234';
const WORDS = ['one', 'two', 'three', 'four'];

let emulator: Awaited<ReturnType<typeof startEmulator>>;
let server: Server;
let pageUrl: string;
let browser: Browser;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** A static file server for the built page, on 127.0.0.1 (a secure context for getUserMedia). */
function serve(dir: string): Promise<string> {
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      statSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  mkdirSync(outputDir, { recursive: true });
  await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir: distDir, emptyOutDir: true } });
  // Silence first: Chromium starts the file when the capture opens, a moment before the worklet is connected.
  writeFileSync(micWav, dtmfWav(KEYS, { sampleRate: 48_000, leadMs: 800, tailMs: 2000 }).wav);
  emulator = await startEmulator({ port: 0 });
  const base = await serve(distDir);
  pageUrl = `${base}/?url=${encodeURIComponent(emulator.url)}&model=test`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${micWav}%noloop`,
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await emulator?.close();
});

test('example-browser shows the words of the microphone live and stops cleanly', async () => {
  const page = await browser.newPage({ viewport: { width: 900, height: 520 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(pageUrl);
  const states: string[] = [];
  await page.exposeFunction('__recordState', (s: string) => states.push(s));
  // Record what the page shows over time: state changes, interim lines, the loudest level.
  await page.evaluate(() => {
    const w = window as unknown as { __recordState(s: string): void; __interims: string[]; __maxLevel: number };
    w.__interims = [];
    w.__maxLevel = 0;
    const badge = document.getElementById('state')!;
    new MutationObserver(() => w.__recordState(badge.dataset.state ?? '')).observe(badge, { attributes: true });
    const interim = document.getElementById('interim')!;
    new MutationObserver(() => interim.textContent && w.__interims.push(interim.textContent)).observe(interim, { childList: true, characterData: true, subtree: true });
    const level = document.getElementById('level')!;
    new MutationObserver(() => (w.__maxLevel = Math.max(w.__maxLevel, Number.parseFloat(level.style.width) || 0))).observe(level, { attributes: true });
  });

  await page.click('#toggle');
  await expect.poll(() => page.textContent('#state'), { timeout: 10_000 }).toBe('live');
  // While the keys play: an interim (dimmed) line, and the meter moving.
  await page.waitForFunction(() => document.getElementById('interim')!.textContent !== '', undefined, { timeout: 10_000 });
  await page.screenshot({ path: join(outputDir, 'interim.png') });
  await expect.poll(async () => (await page.textContent('#finals'))?.trim().split(/\s+/).length ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(WORDS.length);
  await page.screenshot({ path: join(outputDir, 'live-captions.png') });
  const seen = await page.evaluate(() => {
    const w = window as unknown as { __interims: string[]; __maxLevel: number };
    return { interims: w.__interims, maxLevel: w.__maxLevel };
  });
  expect(seen.interims.length).toBeGreaterThan(0);
  expect(seen.interims[0]!.split(/\s+/)[0]).toBe(WORDS[0]);
  // DTMF at half scale is about -12 dBFS RMS: 80 % of the meter's -60..0 dB.
  expect(seen.maxLevel).toBeGreaterThan(50);
  expect(await page.$eval('#interim', (el) => getComputedStyle(el).color)).toBe('rgb(142, 142, 147)');

  await page.click('#toggle');
  await expect.poll(() => page.textContent('#state'), { timeout: 20_000 }).toBe('idle');
  await page.screenshot({ path: join(outputDir, 'stopped.png') });

  const words = (await page.textContent('#finals'))!.trim().split(/\s+/);
  expect(words).toEqual(WORDS);
  expect(await page.textContent('#toggle')).toBe('Start');
  expect(await page.isHidden('#error')).toBe(true);
  expect(states).toContain('connecting');
  expect(states).toContain('live');
  expect(errors).toEqual([]);
  await page.close();
}, 60_000);

test('example-browser shows reconnecting through a dropped connection and keeps the transcript whole', async () => {
  // The emulator destroys the first connection after 1.1 s of audio (16 kHz mono), mid-keys.
  const fault = { key: `example-drop-${Date.now()}`, times: 1, drop: { afterBytes: 16_000 * 2 * 1.1 } };
  const faultyUrl = `${emulator.url}?fault=${encodeURIComponent(JSON.stringify(fault))}`;
  const page = await browser.newPage({ viewport: { width: 900, height: 520 } });
  await page.goto(`${pageUrl.split('?')[0]}?url=${encodeURIComponent(faultyUrl)}&model=test`);
  const states: string[] = [];
  await page.exposeFunction('__recordState', (s: string) => states.push(s));
  await page.evaluate(() => {
    const badge = document.getElementById('state')!;
    new MutationObserver(() => (window as unknown as { __recordState(s: string): void }).__recordState(badge.dataset.state ?? '')).observe(badge, { attributes: true });
    // Each final appends one text node: keep them apart, so that a failure shows whether a word came
    // twice as two finals (the stream repeated one) or twice in one final (the server heard it twice).
    const finals: string[] = ((window as unknown as { __finals: string[] }).__finals = []);
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) finals.push(n.textContent ?? '');
    }).observe(document.getElementById('finals')!, { childList: true });
  });
  await page.click('#toggle');
  await expect.poll(async () => (await page.textContent('#finals'))?.trim().split(/\s+/).length ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(WORDS.length);
  await page.click('#toggle');
  await expect.poll(() => page.textContent('#state'), { timeout: 20_000 }).toBe('idle');
  const finals = await page.evaluate(() => (window as unknown as { __finals: string[] }).__finals);
  expect((await page.textContent('#finals'))!.trim().split(/\s+/), `finals as delivered: ${JSON.stringify(finals)}`).toEqual(WORDS);
  expect(states).toEqual(['connecting', 'live', 'reconnecting', 'live', 'stopping', 'idle']);
  await page.close();
}, 60_000);
