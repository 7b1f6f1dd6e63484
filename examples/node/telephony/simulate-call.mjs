#!/usr/bin/env node
// A simulated phone call: the message sequence of Twilio Media Streams
// (`connected`, `start`, `media` every 20 ms per track, `stop`) sent to a
// media-stream server, at real time, from G.711 bytes. The tests drive the
// server with it; from the command line it makes DTMF audio with sox:
//
//   node simulate-call.mjs [ws://127.0.0.1:8088] [--caller 1234] [--agent 56]     (--help for more)
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const PACKET_MS = 20;

/**
 * Streams one call and resolves once the server closed the socket.
 *
 * @param {object} options
 * @param {string} options.url the server's media-stream URL
 * @param {string} options.callSid
 * @param {string} [options.streamSid] default `MZ` + the call's id
 * @param {{ inbound?: Uint8Array, outbound?: Uint8Array }} options.audio 8 kHz G.711 bytes per track
 * @param {{ inbound?: number, outbound?: number }} [options.sendFromMs] a track sends nothing before this time
 *   (its packets start later, with timestamps that say so), as a track that is quiet at first may
 * @param {'audio/x-mulaw' | 'audio/x-alaw'} [options.encoding] default µ-law
 * @param {boolean} [options.realtime] pace at one packet per 20 ms (default true); false: as fast as possible
 * @param {{ afterPackets: number, message: string }[]} [options.inject] raw text messages sent after that many ticks
 * @param {'stop' | 'hangup'} [options.end] `stop` (default), or close the socket without it, as a dropped call does
 * @returns {Promise<{ code: number, reason: string, sentPackets: number }>}
 */
export function simulateCall({ url, callSid, streamSid = `MZ${callSid}`, audio, sendFromMs = {}, encoding = 'audio/x-mulaw', realtime = true, inject = [], end = 'stop' }) {
  const tracks = ['inbound', 'outbound'].filter((t) => audio[t]);
  const packets = Math.max(...tracks.map((t) => Math.ceil(audio[t].length / 160)));
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let seq = 0;
    let sent = 0;
    let timer = null;
    const chunks = { inbound: 0, outbound: 0 };
    const send = (msg) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(typeof msg === 'string' ? msg : JSON.stringify({ ...msg, sequenceNumber: String(++seq) }));
    };
    ws.on('error', reject);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString(), sentPackets: sent });
    });
    ws.on('open', () => {
      send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      send({
        event: 'start',
        streamSid,
        start: { accountSid: 'ACsimulated', streamSid, callSid, tracks, customParameters: {}, mediaFormat: { encoding, sampleRate: 8000, channels: 1 } },
      });
      const t0 = performance.now();
      let k = 0;
      const tick = () => {
        for (const { message } of inject.filter((i) => i.afterPackets === k)) send(message);
        if (k === packets) {
          if (end === 'hangup') ws.close(1000, 'hung up');
          else send({ event: 'stop', streamSid, stop: { accountSid: 'ACsimulated', callSid } });
          return;
        }
        const timestamp = k * PACKET_MS;
        for (const track of tracks) {
          if (timestamp < (sendFromMs[track] ?? 0)) continue;
          const bytes = new Uint8Array(160).fill(encoding === 'audio/x-mulaw' ? 0xff : 0xd5);
          bytes.set(audio[track].subarray(k * 160, (k + 1) * 160));
          send({ event: 'media', streamSid, media: { track, chunk: String(++chunks[track]), timestamp: String(timestamp), payload: Buffer.from(bytes).toString('base64') } });
        }
        sent++;
        k++;
        timer = setTimeout(tick, realtime ? Math.max(0, t0 + k * PACKET_MS - performance.now()) : 0);
      };
      tick();
    });
  });
}

/**
 * DTMF keys as 8 kHz µ-law, made by sox: 100 ms per key, 100 ms between
 * keys, 700 ms at a space (an utterance break), `leadMs` of silence first and
 * `tailMs` after.
 *
 * @param {string} keys e.g. `'12 3'`
 * @param {{ leadMs?: number, tailMs?: number, encoding?: 'u-law' | 'a-law' }} [options]
 * @returns {Uint8Array}
 */
export function dtmfG711(keys, { leadMs = 200, tailMs = 700, encoding = 'u-law' } = {}) {
  const silence = encoding === 'u-law' ? 0xff : 0xd5;
  const parts = [new Uint8Array((leadMs * 8)).fill(silence)];
  let previous = null;
  for (const key of keys) {
    if (key === ' ') {
      parts.push(new Uint8Array(700 * 8).fill(silence));
      previous = null;
      continue;
    }
    if (previous !== null) parts.push(new Uint8Array(100 * 8).fill(silence));
    parts.push(dtmfTone(key, encoding));
    previous = key;
  }
  parts.push(new Uint8Array(tailMs * 8).fill(silence));
  return Buffer.concat(parts);
}

const ROWS = { 1: 697, 2: 697, 3: 697, A: 697, 4: 770, 5: 770, 6: 770, B: 770, 7: 852, 8: 852, 9: 852, C: 852, '*': 941, 0: 941, '#': 941, D: 941 };
const COLUMNS = { 1: 1209, 4: 1209, 7: 1209, '*': 1209, 2: 1336, 5: 1336, 8: 1336, 0: 1336, 3: 1477, 6: 1477, 9: 1477, '#': 1477, A: 1633, B: 1633, C: 1633, D: 1633 };
const tones = new Map();

/** 100 ms of one key, from sox (cached per key and law). */
export function dtmfTone(key, encoding = 'u-law') {
  const id = `${key}/${encoding}`;
  if (!tones.has(id)) {
    if (!(key in ROWS)) throw new RangeError(`Not a DTMF key: ${JSON.stringify(key)}`);
    const type = encoding === 'u-law' ? 'ul' : 'al';
    const args = ['-n', '-r', '8000', '-c', '1', '-e', encoding, '-t', type, '-', 'synth', '0.1', 'sine', String(ROWS[key]), 'sine', String(COLUMNS[key]), 'remix', '-', 'gain', '-6'];
    tones.set(id, new Uint8Array(execFileSync('sox', args)));
  }
  return tones.get(id);
}

const USAGE = `Usage: node simulate-call.mjs [<url>] [--caller <keys>] [--agent <keys>]

Places a simulated phone call (Twilio Media Streams, both tracks, at real
time) to a media-stream server such as server.mjs, with DTMF tones that sox
makes: the emulator hears each key as a word.

Arguments:
  <url>             the server's ws:// or wss:// URL (default ws://127.0.0.1:8088)
Options:
  --caller <keys>   the caller's keys: 0-9 * # A-D, a space between utterances (default "1234 56")
  --agent <keys>    the agent's keys (default "789")
  -h, --help        this help
`;

/** Runs the command line; returns the exit code (0, 1 when the call failed, 2 for a bad argument). */
export async function main(argv = process.argv.slice(2)) {
  const usageError = (message) => {
    console.error(`simulate-call.mjs: ${message}\n(run node simulate-call.mjs --help for usage)`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { caller: { type: 'string' }, agent: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    // parseArgs' own message, less its advice about positionals.
    const unknown = /^Unknown option '([^']+)'/.exec(err.message);
    return usageError(unknown ? `unknown option ${unknown[1]}` : err.message.replace(/\.$/, ''));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length > 1) return usageError(`one URL at most, got ${positionals.length} arguments`);
  const url = positionals[0] ?? 'ws://127.0.0.1:8088';
  let protocol;
  try {
    ({ protocol } = new URL(url));
  } catch {
    protocol = null;
  }
  if (protocol !== 'ws:' && protocol !== 'wss:') return usageError(`${JSON.stringify(url)} is not a ws:// or wss:// URL (the server prints its URL when it starts)`);
  const caller = values.caller ?? '1234 56';
  const agent = values.agent ?? '789';
  for (const [name, keys] of [['--caller', caller], ['--agent', agent]]) {
    if (!/^[0-9*#A-Da-d ]*[0-9*#A-Da-d][0-9*#A-Da-d ]*$/.test(keys)) return usageError(`${name} takes DTMF keys (0-9 * # A-D, spaces between utterances), got ${JSON.stringify(keys)}`);
  }
  const callSid = `CA${Date.now().toString(16)}`;
  const audio = { inbound: dtmfG711(caller), outbound: dtmfG711(agent, { leadMs: 500 }) };
  console.log(`Calling ${url} as ${callSid} (caller keys ${caller}, agent keys ${agent})`);
  try {
    const { code, reason } = await simulateCall({ url, callSid, audio });
    console.log(`Closed by the server: ${code}${reason ? ` ${reason}` : ''}`);
    return 0;
  } catch (err) {
    const why = err?.code ? `${err.message}` : String(err?.message ?? err);
    console.error(`simulate-call.mjs: cannot call ${url}: ${why}${/ECONNREFUSED/.test(why) ? ' (is server.mjs running? start it with node server.mjs)' : ''}`);
    return 1;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = await main();
