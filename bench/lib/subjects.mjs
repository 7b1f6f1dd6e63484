// The clients under test, behind one small interface, plus a hook on `ws`'s
// send that every subject goes through (ours, raw `ws` and both peers' SDKs
// load the same `ws` copy), so buffering and wire timing are measured the
// same way for all of them.
import { createRequire } from 'node:module';
import WebSocket from 'ws';
// BENCH_CLIENT swaps in another build of the client (for experiments with a patched copy).
const { createTranscriber, createWsTransport, g711Decoder, decodeMulaw } = await import(process.env.BENCH_CLIENT ?? '../.build/client.mjs');

const require = createRequire(import.meta.url);

export const hooks = {
  /** Largest `bufferedAmount` seen right after a send, over all sockets. */
  peakBuffered: 0,
  /** Called when a binary message was handed to the kernel (ws's send callback). */
  onFlushed: null,
  /** Called for each text message sent. */
  onText: null,
};

let patched = false;
export function patchWs() {
  if (patched) return;
  patched = true;
  // Every subject must resolve the very same `ws` module, else the hook misses one.
  for (const from of ['assemblyai', '@deepgram/sdk']) {
    const other = require(require.resolve('ws', { paths: [require.resolve(from)] }));
    if (other !== WebSocket && other.WebSocket !== WebSocket) throw new Error(`${from} loads another copy of ws`);
  }
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function benchSend(data, options, cb) {
    if (typeof options === 'function') {
      cb = options;
      options = {};
    }
    const flushed = hooks.onFlushed;
    if (flushed && typeof data !== 'string') {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
      send.call(this, data, options, (err) => {
        if (!err) flushed(bytes);
        cb?.(err);
      });
    } else {
      if (typeof data === 'string') hooks.onText?.(data);
      send.call(this, data, options, cb);
    }
    const b = this.bufferedAmount;
    if (b > hooks.peakBuffered) hooks.peakBuffered = b;
  };
}

/**
 * Opens a raw `ws` session on the emulator's dialect; resolves after
 * `session.started`. `onTranscript(msg)`, when given, gets every parsed
 * `transcript` message.
 */
function openRawEmulator(url, onTranscript) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let ended;
    const endedP = new Promise((r) => (ended = r));
    ws.on('error', reject);
    ws.on('close', () => ended());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const msg = JSON.parse(String(data));
      if (msg.type === 'session.started') resolve(session);
      else if (msg.type === 'transcript') onTranscript?.(msg);
      else if (msg.type === 'session.ended') ended();
      else if (msg.type === 'error') reject(new Error(JSON.stringify(msg)));
    });
    const session = {
      ws,
      send: (frame) => ws.send(frame),
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      async end() {
        ws.send(JSON.stringify({ type: 'end' }));
        await endedP;
        ws.close();
      },
    };
  });
}

const streamUrl = (base) => `${base}?model_id=bench&encoding=pcm_s16le&sample_rate=16000&channels=1`;

/**
 * Opens one session of `kind` against the server URLs.
 * Returns { send(frame): void, write?(frame): Promise, bufferedAmount, end(): Promise, transcriber? }.
 */
export async function openSession(kind, urls, tls, oursOptions = {}) {
  const scheme = tls ? 'wss' : 'ws';
  switch (kind) {
    case 'raw':
      return openRawEmulator(streamUrl(urls.emulator[scheme]));
    case 'raw-writable':
    case 'raw-writable-retaining':
    case 'raw-writable-confirmed':
    case 'raw-transform-confirmed': {
      // Raw ws behind a WritableStream: what the Web Streams API costs by
      // itself, the floor of a TransformStream client's writable side.
      // -confirmed: against the engine that confirms every second (the same
      // messages arrive and are parsed). raw-transform-confirmed: also every
      // transcript out through a ReadableStream that a reader drains as ours'
      // is (pipeTo a WritableStream): the floor of a TransformStream client's
      // two sides, the one ours-confirmed is compared with. raw-writable-retaining:
      // against the silent engine, also keeping what it sent for a replay as
      // the protocol asks (the last 30 s, as ours' default window), in the
      // cheapest way a client can: one ring per session allocated at connect,
      // each frame copied in (the floor ours, silent, is compared with).
      const transform = kind === 'raw-transform-confirmed';
      const ring = kind === 'raw-writable-retaining' ? new Int16Array(30 * 16000) : null;
      let ringAt = 0;
      // The concurrency client sends Int16Array frames.
      const retain = (frame) => {
        const n = Math.min(frame.length, ring.length - ringAt);
        ring.set(n === frame.length ? frame : frame.subarray(0, n), ringAt);
        if (n < frame.length) ring.set(frame.subarray(n), 0);
        ringAt = (ringAt + frame.length) % ring.length;
      };
      let controller;
      const readable = transform ? new ReadableStream({ start: (c) => void (controller = c) }) : null;
      const url = streamUrl((kind === 'raw-writable' || ring ? urls.emulator : urls.confirming)[scheme]);
      const raw = await openRawEmulator(url, transform ? (msg) => controller.enqueue(msg) : undefined);
      const done = readable?.pipeTo(new WritableStream());
      const writer = new WritableStream({
        write: ring
          ? (frame) => {
              retain(frame);
              raw.ws.send(frame);
            }
          : (frame) => raw.ws.send(frame),
      }).getWriter();
      return {
        ws: raw.ws,
        send(frame) {
          writer.write(frame).catch(() => undefined);
        },
        get bufferedAmount() {
          return raw.ws.bufferedAmount;
        },
        async end() {
          await writer.close();
          await raw.end();
          if (!readable) return;
          controller.close();
          await done;
        },
      };
    }
    case 'ours':
    case 'ours-confirmed': {
      // ours-confirmed: the same client against the emulator whose engine confirms every second.
      const transcriber = createTranscriber({ url: (kind === 'ours' ? urls.emulator : urls.confirming)[scheme], model: 'bench', transport: createWsTransport(), ...oursOptions, ...JSON.parse(process.env.BENCH_OURS_OPTIONS ?? '{}') });
      const done = transcriber.readable.pipeTo(new WritableStream());
      done.catch(() => undefined); // awaited in end(); a failed stream must not end the process before then
      // The transcriber connects on its first write; `opened` resolves at `session.started`.
      const opened = new Promise((resolve) => transcriber.events.once('open', resolve));
      let writer = null;
      const w = () => (writer ??= transcriber.writable.getWriter());
      return {
        transcriber,
        done,
        opened,
        write: (frame) => w().write({ data: frame, sampleRate: 16000, channels: 1 }),
        send(frame) {
          w().write({ data: frame, sampleRate: 16000, channels: 1 }).catch(() => undefined);
        },
        get bufferedAmount() {
          return transcriber.stats.socketBufferedBytes;
        },
        async end() {
          if (writer) await writer.close();
          await done;
        },
      };
    }
    case 'deepgram': {
      const { conn, end } = await openDeepgram(urls.deepgram[scheme], { encoding: 'linear16', sample_rate: 16000 });
      return {
        send: (frame) => conn.sendMedia(frame),
        get bufferedAmount() {
          return conn.socket.bufferedAmount;
        },
        end,
      };
    }
    case 'assemblyai': {
      const { StreamingTranscriber } = await import('assemblyai/streaming');
      // The SDK refuses anything but wss:, so AssemblyAI only runs over TLS.
      const url = urls.assemblyai.wss;
      if (!url) throw new Error('assemblyai needs the TLS server');
      const t = new StreamingTranscriber({ websocketBaseUrl: url, apiKey: 'bench', sampleRate: 16000 });
      t.on('turn', () => undefined);
      t.on('error', () => undefined);
      await t.connect();
      return {
        send: (frame) => t.sendAudio(frame),
        get bufferedAmount() {
          return t.socket?.bufferedAmount ?? 0;
        },
        end: () => t.close(true),
      };
    }
    default:
      throw new Error(`unknown subject ${kind}`);
  }
}

/**
 * Opens one telephony call of `kind` (row 7): 8 kHz mono against the
 * confirming emulator. `send(packet)` takes 20 ms of µ-law (160 bytes).
 * - `raw`: raw `ws`; each packet decoded to PCM16 by a table of its own and sent as it is (320 bytes);
 * - `ours`: `g711Decoder` → `createTranscriber({ sampleRate: 8000 })`, default options (100 ms messages);
 * - `ours-20ms`: the same with `frameMs: 20`, one message per packet as raw sends;
 * - `ours-direct`, `ours-direct-20ms`: the same two, each packet decoded by `decodeMulaw` where it
 *   arrives and written straight into the transcriber (no stream stage, no pipe), as a media-stream
 *   server that gets its packets pushed to it can.
 */
export async function openCall(kind, urls) {
  const url = urls.confirming.ws;
  if (kind === 'raw') {
    const raw = await openRawEmulator(`${url}?model_id=bench&encoding=pcm_s16le&sample_rate=8000&channels=1`);
    return {
      send(packet) {
        const pcm = new Int16Array(packet.length);
        for (let i = 0; i < packet.length; i++) pcm[i] = MULAW[packet[i]];
        raw.ws.send(pcm);
      },
      end: () => raw.end(),
    };
  }
  if (!['ours', 'ours-20ms', 'ours-direct', 'ours-direct-20ms'].includes(kind)) throw new Error(`unknown telephony subject ${kind}`);
  const transcriber = createTranscriber({ url, model: 'bench', transport: createWsTransport(), sampleRate: 8000, ...(kind.endsWith('-20ms') ? { frameMs: 20 } : {}) });
  // Direct: the packet's frame goes into the transcriber's writer. Otherwise the packet goes into a
  // g711Decoder stage piped into the transcriber.
  let input;
  let done;
  let chunk;
  if (kind.startsWith('ours-direct')) {
    input = transcriber.writable.getWriter();
    done = transcriber.readable.pipeTo(new WritableStream());
    chunk = (packet) => ({ data: decodeMulaw(packet), sampleRate: 8000, channels: 1 });
  } else {
    const stage = g711Decoder({ law: 'mulaw' });
    input = stage.writable.getWriter();
    done = stage.readable.pipeThrough(transcriber).pipeTo(new WritableStream());
    chunk = (packet) => packet;
  }
  done.catch(() => undefined); // awaited in end(); a failed stream must not end the process before then
  const opened = new Promise((resolve) => transcriber.events.once('open', resolve));
  return {
    opened,
    write: (packet) => input.write(chunk(packet)),
    send(packet) {
      input.write(chunk(packet)).catch(() => undefined);
    },
    async end() {
      await input.close();
      await done;
    },
  };
}

/** µ-law to PCM16 as a hand-written bridge has it (ITU-T G.711). */
const MULAW = (() => {
  const t = new Int16Array(256);
  for (let i = 0; i < 256; i++) {
    const u = ~i & 0xff;
    const v = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
    t[i] = u & 0x80 ? 0x84 - v : v - 0x84;
  }
  return t;
})();

/**
 * A Deepgram SDK live connection to the bench's Deepgram dialect at `baseUrl`
 * (`params`: encoding, sample rate, channels), open; `end()` sends
 * `CloseStream` and resolves once the socket closed.
 */
export async function openDeepgram(baseUrl, params) {
  const { DeepgramClient } = await import('@deepgram/sdk');
  const client = new DeepgramClient({ apiKey: 'bench', baseUrl });
  const conn = await client.listen.v1.connect({ model: 'nova-3', interim_results: 'true', ...params });
  const closed = new Promise((resolve) => conn.on('close', () => resolve()));
  conn.on('message', () => undefined);
  conn.on('error', () => undefined);
  conn.connect();
  await conn.waitForOpen();
  return {
    conn,
    async end() {
      conn.sendCloseStream({ type: 'CloseStream' });
      await closed;
    },
  };
}
