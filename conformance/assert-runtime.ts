// Setup file of vitest.core.config.ts (and bun test's preload): fails the run
// when the tests are not in the runtime they were meant for, so a Deno or Bun
// run can never silently turn into a Node run.
declare const process: { env: Record<string, string | undefined> } | undefined;

const expected = typeof process === 'object' ? process.env.STT_EXPECT_RUNTIME : undefined;
const g = globalThis as { Deno?: { version?: { deno?: string } }; Bun?: { version?: string } };
const actual = g.Deno ? 'deno' : g.Bun ? 'bun' : 'node';
if (expected && expected !== actual) {
  throw new Error(`These tests were meant to run in ${expected}, but run in ${actual}`);
}
