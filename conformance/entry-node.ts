/**
 * The scenario on Node: `node --import ./conformance/ts-hooks.mjs conformance/entry-node.ts config.json`.
 * Node uses `ws` (`@stt-stream/node`'s transport, which sends the
 * `Authorization` header on Node 20 too); `"transport": "native"` in the
 * config picks the global `WebSocket` of Node 22+ instead.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createWebSocketTransport } from '@stt-stream/core';
import { createWsTransport } from '@stt-stream/node';
import { runScenario } from './scenario.ts';
import type { EntryConfig } from './entry-config.ts';

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as EntryConfig;
const bytes = (path: string) => new Uint8Array(readFileSync(path));
await runScenario({
  ...config,
  audio: { keys: bytes(config.audio.keys), utterances: bytes(config.audio.utterances) },
  transport: config.transport === 'native' ? createWebSocketTransport() : createWsTransport(),
  onLine: (line) => process.stdout.write(`${line}\n`),
});
