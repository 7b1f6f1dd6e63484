import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { chromiumArgs } from './packages/browser/test/fixture-paths.ts';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

// Tests import the packages by name and get their TypeScript sources. A subpath comes
// before its package: an alias also matches `<key>/…`, so `@stt-stream/core` would
// otherwise turn `@stt-stream/core/internal` into `…/src/index.ts/internal`.
export const alias = {
  '@stt-stream/core/internal': src('core', 'internal.ts'),
  '@stt-stream/core/resampler': src('core', 'resampler.ts'),
  '@stt-stream/core/vad': src('core', 'vad.ts'),
  '@stt-stream/core': src('core'),
  '@stt-stream/node': src('node'),
  '@stt-stream/browser': src('browser'),
  '@stt-stream/emulator': src('emulator'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/{core,node,emulator}/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/node/telephony/*.test.ts'],
          exclude: ['test/slow-link.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          // The projects that capture Chromium's fake microphone run after this one, alone: on a
          // loaded 2-core machine the fake capture can drop 20–30 ms of audio, which splits a
          // 120 ms DTMF tone into two keys (the tone engine hears a key twice across a 20–30 ms run
          // of zeros inside its tone), and the reconnect tests then see a word twice.
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The throttled-link scenarios (a minute of real-time audio through TCP proxies, TLS, 16 sessions
        // at once): last and alone, so that neither they nor the timing bounds of the other tests feel
        // each other's load on a 2-core machine.
        resolve: { alias },
        test: {
          name: 'slow-link',
          environment: 'node',
          include: ['test/slow-link.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 3 },
        },
      },
      {
        // The browser example (Vite + Chromium, driven by Playwright from Node): after the
        // in-browser tests, as it has the fake microphone too.
        resolve: { alias },
        test: {
          name: 'browser-example',
          environment: 'node',
          include: ['examples/browser/e2e.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          sequence: { groupOrder: 2 },
        },
      },
      {
        // In-browser tests (`*.browser.test.ts`) in Debian's Chromium, fed a DTMF
        // WAV as its microphone; the global setup (Node) writes that WAV and
        // starts the emulator, whose URL tests read with `inject('emulatorUrl')`.
        resolve: { alias },
        test: {
          name: 'browser',
          include: ['packages/browser/src/**/*.browser.test.ts'],
          globalSetup: ['packages/browser/test/global-setup.ts'],
          // One fake microphone: test files take turns, and the project runs after the node tests.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 30_000,
          hookTimeout: 30_000,
          browser: {
            enabled: true,
            headless: true,
            // getUserMedia needs a secure context: http://127.0.0.1 is one.
            api: { host: '127.0.0.1' },
            provider: playwright({
              launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs() },
            }),
            instances: [{ browser: 'chromium' }],
            screenshotDirectory: 'test-output/browser/screenshots',
          },
        },
      },
    ],
  },
});
