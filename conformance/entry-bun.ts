/**
 * The scenario on Bun, with Bun's own `WebSocket` (core's default transport):
 * `bun conformance/entry-bun.ts config.json`.
 *
 * @module
 */
import { createWebSocketTransport } from '@stt-stream/core';
import { runScenario } from './scenario.ts';
import type { EntryConfig } from './entry-config.ts';

// Structural, so that tsc (which has no Bun types here) checks this file too.
declare const Bun: {
  argv: string[];
  file(path: string): { text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> };
  write(dest: unknown, data: string): Promise<number>;
  stdout: unknown;
};

const config = JSON.parse(await Bun.file(Bun.argv[2]!).text()) as EntryConfig;
const bytes = async (path: string) => new Uint8Array(await Bun.file(path).arrayBuffer());
const lines: string[] = [];
await runScenario({
  ...config,
  audio: { keys: await bytes(config.audio.keys), utterances: await bytes(config.audio.utterances) },
  transport: createWebSocketTransport(),
  onLine: (line) => lines.push(line),
});
await Bun.write(Bun.stdout, lines.map((l) => `${l}\n`).join(''));
