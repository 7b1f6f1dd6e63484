/**
 * The scenario on Deno, with Deno's own `WebSocket` (core's default transport):
 * `deno run -A --node-modules-dir=manual conformance/entry-deno.ts config.json`.
 *
 * @module
 */
import { createWebSocketTransport } from '@stt-stream/core';
import { runScenario } from './scenario.ts';
import type { EntryConfig } from './entry-config.ts';

// Structural, so that tsc (which has no Deno types here) checks this file too.
declare const Deno: {
  args: string[];
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
  stdout: { write(bytes: Uint8Array): Promise<number> };
};

const config = JSON.parse(await Deno.readTextFile(Deno.args[0]!)) as EntryConfig;
const encoder = new TextEncoder();
const lines: string[] = [];
await runScenario({
  ...config,
  audio: { keys: await Deno.readFile(config.audio.keys), utterances: await Deno.readFile(config.audio.utterances) },
  transport: createWebSocketTransport(),
  onLine: (line) => lines.push(line),
});
const out = encoder.encode(lines.map((l) => `${l}\n`).join(''));
for (let at = 0; at < out.length; ) at += await Deno.stdout.write(out.subarray(at));
