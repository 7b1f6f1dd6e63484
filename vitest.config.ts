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
          include: ['packages/{core,node,emulator}/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/browser/e2e.test.ts', 'examples/node/telephony/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
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
          // One fake microphone: test files take turns.
          fileParallelism: false,
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
