/**
 * The conformance scenario for in-browser tests (Chromium, vitest browser
 * mode): runs it in the page with the browser's own `WebSocket` (core's
 * default transport; the key goes as the `bearer` subprotocol) and compares
 * the output with `conformance/expected.jsonl`.
 *
 * The Node side (vitest global setup, `packages/browser/test/global-setup.ts`)
 * starts the emulator with `startEmulator({ apiKeys: [CONFORMANCE_API_KEY] })`
 * and `provide`s the page its URLs, `scenarioAudio()` (base64: `provide`
 * needs JSON) and the text of the golden file:
 *
 * ```ts
 * const { diff } = await runConformanceInBrowser({ url, httpUrl, audio, expected });
 * expect(diff).toBe('');
 * ```
 *
 * Batch sessions `fetch` the emulator's HTTP endpoint from the page's
 * origin; the emulator answers CORS for that. `only` runs a subset (the
 * golden file is cut to the sessions that ran).
 *
 * @module
 */
import { createWebSocketTransport } from '@stt-stream/core';
import { diffLines } from './diff.mjs';
import { SESSIONS, runScenario, type ScenarioAudio, type SessionName } from './scenario.ts';

/** The key the conformance runs use (any HTTP token works; this one is in no output). */
export const CONFORMANCE_API_KEY = 'conformance-key';

export interface BrowserConformanceOptions {
  url: string;
  httpUrl: string;
  audio: ScenarioAudio;
  /** The text of `conformance/expected.jsonl`. */
  expected: string;
  /** @defaultValue {@link CONFORMANCE_API_KEY} */
  apiKey?: string;
  /** Unique per run against one emulator. @defaultValue `chromium-<random>` */
  runId?: string;
  /** Sessions to run; all when omitted. */
  only?: readonly SessionName[];
}

/**
 * Runs the scenario in this page; `diff` is empty when the output is
 * byte-identical to the golden file (cut to the sessions that ran).
 */
export async function runConformanceInBrowser(options: BrowserConformanceOptions): Promise<{ output: string; expected: string; diff: string }> {
  const lines = await runScenario({
    url: options.url,
    httpUrl: options.httpUrl,
    apiKey: options.apiKey ?? CONFORMANCE_API_KEY,
    transport: createWebSocketTransport(),
    audio: options.audio,
    runId: options.runId ?? `chromium-${crypto.randomUUID()}`,
    ...(options.only ? { only: options.only } : {}),
  });
  const output = lines.map((l) => `${l}\n`).join('');
  const expected = options.only ? onlySessions(options.expected, options.only) : options.expected;
  return { output, expected, diff: diffLines(expected, output) };
}

/** The lines of a conformance output that belong to the given sessions. */
export function onlySessions(jsonl: string, sessions: readonly SessionName[]): string {
  const keep = new Set<string>(sessions);
  return jsonl
    .split('\n')
    .filter((line) => line !== '' && keep.has((JSON.parse(line) as { session: string }).session))
    .map((l) => `${l}\n`)
    .join('');
}

export { SESSIONS, type ScenarioAudio, type SessionName };
