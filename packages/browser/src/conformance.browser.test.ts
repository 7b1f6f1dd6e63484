// The cross-runtime conformance scenario (conformance/scenario.ts) in Chromium:
// every session, batch included, against the emulator the global setup started
// for it; the output must be byte-identical to conformance/expected.jsonl, as
// it must be on Node, Deno and Bun (conformance/run.mjs).
import { expect, inject, test } from 'vitest';
import { SESSIONS, runConformanceInBrowser } from '../../../conformance/browser.ts';

function bytes(base64: string): Uint8Array {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

test('the conformance scenario prints conformance/expected.jsonl byte for byte (all sessions)', async () => {
  const expected = inject('conformanceExpected');
  const { output, diff } = await runConformanceInBrowser({
    url: inject('conformanceUrl'),
    httpUrl: inject('conformanceHttpUrl'),
    audio: { keys: bytes(inject('conformanceKeysBase64')), utterances: bytes(inject('conformanceUtterancesBase64')) },
    expected,
  });
  // The diff first: it says where the outputs part (- expected, + Chromium).
  expect(diff === '', `Chromium's output differs from conformance/expected.jsonl (- expected, + Chromium):\n${diff}`).toBe(true);
  expect(output).toBe(expected);
  const sessions = new Set(output.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { session: string }).session));
  expect([...sessions]).toEqual([...SESSIONS]);
}, 60_000);
