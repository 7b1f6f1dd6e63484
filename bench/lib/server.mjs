// The server side of the loopback benches, in its own process: the emulator
// with its `silent` engine (and a second one whose engine confirms every
// second with an empty final, a third like it that stamps each transcript
// with `server_time`, and two with the tone engine: as it is, and with a
// gateway's slower endpointing), a server speaking just enough of Deepgram's
// (/v1/listen) and AssemblyAI's (/v3/ws) streaming dialects for their SDKs,
// and, given a certificate, TLS-terminating proxies in front of both (the
// emulator has no TLS). Binds 127.0.0.1 only. Prints one JSON line with the
// URLs; exits when its stdin closes.
//
//   node lib/server.mjs [--cert cert.pem --key key.pem]
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { WebSocketServer } from 'ws';
import { createToneEngine, startEmulator } from '../.build/emulator.mjs';

const args = process.argv.slice(2);
const opt = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const HOST = '127.0.0.1';

const emulator = await startEmulator({ engine: 'silent', host: HOST, idleTimeoutMs: 120_000 });

/**
 * A silent engine that confirms what it heard: an empty final for every
 * second of audio, as real recognisers finalise silence. With it a client
 * may let go of audio a second after sending it (the replay window stays
 * nearly empty), which is how a live session runs against a real gateway.
 */
function createConfirmingEngine({ sampleRate, channels }) {
  let heard = 0;
  let confirmed = 0;
  const finals = () => {
    const out = [];
    while (heard - confirmed >= sampleRate) {
      const start = confirmed / sampleRate;
      confirmed += sampleRate;
      for (let channel = 0; channel < channels; channel++) {
        out.push({ type: 'transcript', isFinal: true, text: '', start, end: confirmed / sampleRate, confidence: null, language: null, channel, words: [] });
      }
    }
    return out;
  };
  return {
    push(samples) {
      heard += samples.length / channels;
      return finals();
    },
    finalize: () => [],
    end: () => [],
  };
}
const confirming = await startEmulator({ engine: createConfirmingEngine, host: HOST, idleTimeoutMs: 120_000 });
// The same engine, each transcript stamped with `server_time` (row 8 measures latency outside the SDK with it).
const latency = await startEmulator({ engine: createConfirmingEngine, host: HOST, idleTimeoutMs: 120_000, serverTime: true });

// Row 8, end of speech: the tone engine (DTMF keys are words; 300 ms of silence after the last
// word ends an utterance), and the same engine with a gateway's slower endpointing: a final it
// makes on silence is held until 1 s of audio after its last word has been heard (a finalize, or
// the end, releases it at once), as a recogniser that waits a second of silence before it
// finalises. Events after a held final wait behind it, so order is kept.
const SLOW_ENDPOINT_SECONDS = 1;
function createSlowEndpointEngine(options) {
  const tone = createToneEngine(options);
  let heard = 0;
  const queue = []; // { event, due: samples heard at which it may go (0: at once) }
  const hold = (events) => {
    for (const event of events) {
      const due = event.type === 'transcript' && event.isFinal ? Math.round((event.end + SLOW_ENDPOINT_SECONDS) * options.sampleRate) : 0;
      queue.push({ event, due });
    }
  };
  const release = (all) => {
    const out = [];
    while (queue.length > 0 && (all || queue[0].due <= heard)) out.push(queue.shift().event);
    return out;
  };
  return {
    push(samples) {
      heard += samples.length / options.channels;
      hold(tone.push(samples));
      return release(false);
    },
    finalize() {
      const out = release(true);
      return out.concat(tone.finalize());
    },
    end() {
      const out = release(true);
      return out.concat(tone.end());
    },
  };
}
const tone = await startEmulator({ engine: 'tone', host: HOST, idleTimeoutMs: 120_000 });
const toneSlow = await startEmulator({ engine: createSlowEndpointEngine, host: HOST, idleTimeoutMs: 120_000 });

// --- peers' dialects -------------------------------------------------------
const peers = createServer((req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 << 20 });
let sessionId = 0;
peers.on('upgrade', (req, socket, head) => {
  const path = new URL(req.url, 'http://x').pathname;
  if (path !== '/v1/listen' && path !== '/v3/ws') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => (path === '/v1/listen' ? deepgram(ws) : assemblyai(ws)));
});

/**
 * A peer session: counts the audio bytes it is sent and, on the JSON message
 * of type `endType`, sends `answer(bytes)` and closes.
 */
function peerSession(ws, endType, answer) {
  let bytes = 0;
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      bytes += data.length;
      return;
    }
    let msg;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    if (msg.type === endType) {
      ws.send(JSON.stringify(answer(bytes)));
      ws.close(1000);
    }
  });
}

/** Deepgram listen v1: audio in; `CloseStream` gets `Metadata` and a close. */
function deepgram(ws) {
  const started = Date.now();
  const id = `dg-${++sessionId}`;
  peerSession(ws, 'CloseStream', (bytes) => ({
    type: 'Metadata',
    transaction_key: 'deprecated',
    request_id: id,
    sha256: '',
    created: new Date(started).toISOString(),
    duration: bytes / 32000,
    channels: 1,
    models: [],
    model_info: {},
  }));
}

/** AssemblyAI universal streaming v3: `Begin` first; `Terminate` gets `Termination` and a close. */
function assemblyai(ws) {
  const started = Date.now();
  ws.send(JSON.stringify({ type: 'Begin', id: `aai-${++sessionId}`, expires_at: Math.floor(started / 1000) + 3600 }));
  peerSession(ws, 'Terminate', (bytes) => ({
    type: 'Termination',
    audio_duration_seconds: bytes / 32000,
    session_duration_seconds: (Date.now() - started) / 1000,
  }));
}
await new Promise((r) => peers.listen(0, HOST, r));
const peersPort = peers.address().port;

// --- TLS termination --------------------------------------------------------
function tlsProxy(targetPort, key, cert) {
  const server = createTlsServer({ key, cert }, (client) => {
    client.setNoDelay(true);
    const upstream = connect(targetPort, HOST);
    upstream.setNoDelay(true);
    const destroy = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', destroy);
    upstream.on('error', destroy);
    client.on('close', destroy);
    upstream.on('close', destroy);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)));
}

const emuPort = new URL(emulator.url).port;
const info = {
  pid: process.pid,
  emulator: { ws: emulator.url },
  confirming: { ws: confirming.url },
  latency: { ws: latency.url },
  tone: { ws: tone.url },
  toneSlowEndpoint: { ws: toneSlow.url, endpointSeconds: SLOW_ENDPOINT_SECONDS },
  deepgram: { ws: `ws://${HOST}:${peersPort}` },
  assemblyai: { ws: `ws://${HOST}:${peersPort}/v3/ws` },
};
const certFile = opt('--cert');
if (certFile) {
  const cert = readFileSync(certFile);
  const key = readFileSync(opt('--key'));
  const t1 = await tlsProxy(Number(emuPort), key, cert);
  const t2 = await tlsProxy(peersPort, key, cert);
  info.emulator.wss = `wss://${HOST}:${t1.address().port}${new URL(emulator.url).pathname}`;
  const t3 = await tlsProxy(Number(new URL(confirming.url).port), key, cert);
  info.confirming.wss = `wss://${HOST}:${t3.address().port}${new URL(confirming.url).pathname}`;
  info.deepgram.wss = `wss://${HOST}:${t2.address().port}`;
  info.assemblyai.wss = `wss://${HOST}:${t2.address().port}/v3/ws`;
}
process.stdout.write(`${JSON.stringify(info)}\n`);

process.stdin.resume();
process.stdin.on('end', async () => {
  await emulator.close();
  process.exit(0);
});
// Bounded: never outlive a bench run by much.
setTimeout(() => process.exit(0), 3 * 3600_000).unref();
