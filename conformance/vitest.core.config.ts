// Core's unit tests, for running under other runtimes (core-tests.mjs runs
// vitest itself under Deno with this config). The setup file checks that the
// tests really run in the runtime named by STT_EXPECT_RUNTIME.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    name: 'core',
    include: ['packages/core/src/**/*.test.ts'],
    setupFiles: ['conformance/assert-runtime.ts'],
    testTimeout: 30_000,
  },
});
