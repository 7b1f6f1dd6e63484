#!/usr/bin/env node
// A telephony media-stream server: accepts Twilio Media Streams connections
// (`connected`, `start`, `media` with base64 µ-law, `stop`), runs one
// transcriber per call and prints each final with the call id and track.
// A call with both tracks is one stereo session: the caller (inbound) on
// channel 0, the agent (outbound) on channel 1; with --vad (only speech
// sent), one mono session per track (README.md says why).
//
//   node server.mjs [--port 8088] [--host 127.0.0.1] [--vad]     (--help for more)
//
// With no STT_STREAM_API_KEY and no STT_STREAM_URL it starts the local
// emulator in-process (its tone engine hears DTMF keys). STT_STREAM_MODEL
// picks the model (default `dtmf`). Try it with `node simulate-call.mjs`.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';
import { createTranscriber, decodeAlaw, decodeMulaw, SttError } from '@stt-stream/node';
import { decodePayload, invalid, parseMessage, PACKET_MS, TrackInterleaver } from './media-stream.mjs';

/** Close codes of the media-stream socket. */
export const CLOSE = {
  /** After `stop`, once every final was printed. */
  normal: 1000,
  /** The server is shutting down. */
  goingAway: 1001,
  /** The call's transcription failed (the gateway refused or gave up). */
  transcriptionFailed: 1011,
  /** The media stream broke the format (the gateway's close code for invalid_input, reused: docs/protocol.md, "Close codes"). */
  invalidInput: 4000,
};

/** The port the server listens on without `port` (`--port`): not 8080, where the emulator usually is. */
export const DEFAULT_PORT = 8088;

/**
 * @typedef {object} FinalInfo
 * @property {string} callSid
 * @property {string} streamSid
 * @property {'inbound' | 'outbound'} track who spoke: the caller (inbound) or the agent (outbound)
 * @property {number} channel the track's channel in the session
 * @property {string} text
 * @property {number} start seconds on the call's clock (the media stream's timestamps)
 * @property {number} end
 * @property {import('@stt-stream/node').TranscriptSegmentEvent} event the transcriber's final as it came
 */

/**
 * @typedef {object} CallErrorInfo
 * @property {string} connectionId `conn-N`: names a call that failed before its `start`
 * @property {string | null} callSid
 * @property {string | null} streamSid
 * @property {Error} error an SttError: `invalid_input` (with `param`) for a bad media stream, the transcriber's own otherwise
 * @property {number} closeCode what the media-stream socket was closed with
 */

/**
 * @typedef {object} CallEndInfo
 * @property {string} connectionId
 * @property {string | null} callSid
 * @property {number} closeCode what the media-stream socket was closed with
 * @property {import('@stt-stream/node').TranscriberStats | Partial<import('@stt-stream/node').TranscriberStats> | null} stats
 *   the call's transcriber's figures (`sentSeconds`, and with `voiceActivity` `skippedSeconds`: the
 *   silence not sent); with a session per track, the numeric figures of its sessions added up
 *   (no `latency` or `state`); null for a connection that never started a call
 */

/**
 * @typedef {object} TelephonyServerOptions
 * @property {number} [port] 0 for any free port. Default 8088 ({@link DEFAULT_PORT}).
 * @property {string} [host] Default 127.0.0.1.
 * @property {string} [path] Only upgrades to this path are accepted. Default any path.
 * @property {Partial<import('@stt-stream/node').TranscriberOptions>} [transcriberOptions]
 *   merged over the defaults (model `STT_STREAM_MODEL` or `dtmf`, url `STT_STREAM_URL`,
 *   apiKey `STT_STREAM_API_KEY`, `overflow: 'drop-oldest'`); `sampleRate` and `channels` are the call's.
 * @property {(info: FinalInfo) => void} [onFinal] Default: prints a line.
 * @property {(info: CallErrorInfo) => void} [onError] Default: prints a line to stderr.
 * @property {(info: CallEndInfo) => void} [onCallEnd]
 *   once per connection, when its transcriber is done and its socket closed.
 * @property {number} [startTimeoutMs] A connection with no `start` by then is closed. Default 10000.
 * @property {number} [maxSkewMs] How far one track may run ahead of the other before the other is filled with silence. Default 200.
 * @property {boolean} [sessionPerTrack] One mono transcriber per track instead of one for the call
 *   (each track a channel). Default: true when `transcriberOptions.voiceActivity` sends only speech
 *   (each party's silence is skipped, not only where both are silent), false otherwise (also with
 *   `voiceActivity: { sendOnlySpeech: false }`). Either way every time counts from the call's first
 *   sample. Any option not listed here is a TypeError.
 */

const secs = (s) => s.toFixed(2);

/** The option names of {@link startTelephonyServer}: any other is a TypeError. */
const SERVER_OPTIONS = ['port', 'host', 'path', 'transcriberOptions', 'onFinal', 'onError', 'onCallEnd', 'startTimeoutMs', 'maxSkewMs', 'sessionPerTrack'];

/** The default `onFinal`: one line per final, `[callSid track] start–end text`. @param {FinalInfo} f */
export function printFinal(f) {
  console.log(`[${f.callSid} ${f.track}] ${secs(f.start)}–${secs(f.end)} ${f.text}`);
}

/** The default `onError`: one line on stderr naming the call, the problem and the close code. @param {CallErrorInfo} e */
export function printError(e) {
  const who = e.callSid ?? `${e.connectionId} (before start)`;
  const param = e.error instanceof SttError && e.error.param ? ` [${e.error.param}]` : '';
  console.error(`[${who}] call failed: ${e.error.message}${param} (${e.error.code ?? e.error.name}); media stream closed with ${e.closeCode}`);
}

/**
 * Starts the media-stream server.
 *
 * @param {TelephonyServerOptions} [options]
 * @returns {Promise<{ url: string, port: number, readonly activeCalls: number, close(): Promise<void> }>}
 *   `activeCalls`: connections not yet done (socket open or transcriber running).
 *   `close()` stops accepting, closes every call's socket (1001) and cancels its transcriber.
 */
export async function startTelephonyServer(options = {}) {
  for (const name of Object.keys(options)) {
    if (!SERVER_OPTIONS.includes(name)) throw new TypeError(`Unknown option \`${name}\` for startTelephonyServer(); it takes ${SERVER_OPTIONS.map((n) => `\`${n}\``).join(', ')}`);
  }
  if (options.sessionPerTrack !== undefined && typeof options.sessionPerTrack !== 'boolean') {
    throw new TypeError(`Invalid option \`sessionPerTrack\`: expected a boolean, got ${typeof options.sessionPerTrack}`);
  }
  const {
    port = DEFAULT_PORT,
    host = '127.0.0.1',
    path,
    transcriberOptions = {},
    onFinal = printFinal,
    onError = printError,
    onCallEnd = () => {},
    startTimeoutMs = 10_000,
    maxSkewMs = 200,
  } = options;
  // Per track where only speech is sent (each party's silence skipped); with everything sent, one stereo session.
  const voiceActivity = transcriberOptions.voiceActivity;
  const onlySpeech = voiceActivity === true || (typeof voiceActivity === 'object' && voiceActivity !== null && voiceActivity.sendOnlySpeech !== false);
  const sessionPerTrack = options.sessionPerTrack ?? onlySpeech;
  const calls = new Set();
  let nextId = 0;
  // A media message is a few hundred bytes; nothing legitimate comes near this.
  const wss = new WebSocketServer({ host, port, maxPayload: 64 * 1024, perMessageDeflate: false, ...(path ? { path } : {}) });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => {
    const call = startCall(ws, `conn-${++nextId}`, { transcriberOptions, onFinal, onError, startTimeoutMs, maxSkewMs, sessionPerTrack });
    calls.add(call);
    call.done.then((closeCode) => {
      calls.delete(call);
      onCallEnd({ connectionId: call.connectionId, callSid: call.callSid, closeCode, stats: call.stats });
    });
  });
  const address = wss.address();
  return {
    url: `ws://${host}:${address.port}${path ?? ''}`,
    port: address.port,
    get activeCalls() {
      return calls.size;
    },
    async close() {
      const pending = [...calls].map((c) => {
        c.shutdown();
        return c.done;
      });
      await Promise.all(pending);
      await new Promise((resolve) => wss.close(() => resolve()));
    },
  };
}

/** The figures of a call's transcribers added up (one per track, or one for the call). */
function sumStats(transcribers) {
  if (transcribers.length === 1) return transcribers[0].stats;
  const out = {};
  for (const t of transcribers) for (const [k, v] of Object.entries(t.stats)) if (typeof v === 'number') out[k] = (out[k] ?? 0) + v;
  return out;
}

/**
 * One media-stream connection: its state machine, its transcriber (or one per
 * track). `done` resolves with the socket's close code once the transcribers
 * have ended (or were cancelled) and the socket is closed.
 */
function startCall(ws, connectionId, { transcriberOptions, onFinal, onError, startTimeoutMs, maxSkewMs, sessionPerTrack }) {
  /** @type {'waiting' | 'streaming' | 'stopping' | 'done'} */
  let state = 'waiting';
  let callSid = null;
  let streamSid = null;
  let tracks = [];
  let interleaver = null;
  let packetBytes = 0;
  /** One writer and transcriber per session: the call's, or each track's. */
  let writers = [];
  let transcribers = [];
  /** What the interleaver hands out (the tracks interleaved, or one byte array per track) to each writer's frame, in writer order. */
  let toFrames = null;
  let transcribed = Promise.resolve();
  let failed = false;
  let resolveClosed;
  const closed = new Promise((r) => (resolveClosed = r));
  const call = { connectionId, get callSid() { return callSid; }, get stats() { return transcribers.length > 0 ? sumStats(transcribers) : null; }, done: null, shutdown };

  const startTimer = setTimeout(() => fail(invalid(`No \`start\` within ${startTimeoutMs / 1000} s of connecting`, 'event'), CLOSE.invalidInput), startTimeoutMs);

  function closeSocket(code, reason) {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason.slice(0, 120));
  }

  /** Ends the call on an error: reported once, socket closed, transcriber cancelled. */
  function fail(error, closeCode) {
    if (failed || state === 'done') return;
    failed = true;
    state = 'done';
    clearTimeout(startTimer);
    onError({ connectionId, callSid, streamSid, error, closeCode });
    closeSocket(closeCode, error instanceof SttError ? `${error.code}${error.param ? `: ${error.param}` : ''}` : 'error');
    // Aborting a writer errors its transcriber: it closes its socket.
    for (const w of writers) w.abort(error).catch(() => {});
  }

  function shutdown() {
    if (state === 'done') return;
    state = 'done';
    clearTimeout(startTimer);
    closeSocket(CLOSE.goingAway, 'server closing');
    for (const w of writers) w.abort(new SttError('aborted', 'The telephony server is closing')).catch(() => {});
  }

  function start(msg) {
    clearTimeout(startTimer);
    ({ callSid, streamSid, tracks } = msg);
    packetBytes = (msg.sampleRate * PACKET_MS) / 1000;
    const { sampleRate } = msg;
    const perTrack = sessionPerTrack && tracks.length > 1;
    // Per track, the interleaver hands each track's aligned bytes apart (both on the call's clock).
    interleaver = new TrackInterleaver({ tracks, law: msg.law, sampleRate, maxSkewMs, planar: perTrack });
    // One session for the call (each track a channel), or one mono session per track.
    const sessions = perTrack ? tracks.map((track, i) => ({ tracks: [track], channel: i })) : [{ tracks, channel: 0 }];
    transcribers = sessions.map((session) => createTranscriber({
      model: process.env.STT_STREAM_MODEL || 'dtmf',
      url: process.env.STT_STREAM_URL || undefined,
      apiKey: process.env.STT_STREAM_API_KEY || undefined,
      // A live call cannot wait: while the gateway is unreachable the oldest audio goes (reported as a gap).
      overflow: 'drop-oldest',
      ...transcriberOptions,
      sampleRate,
      channels: session.tracks.length,
    }));
    // Packets are pushed to us, so each is decoded where it arrives and written straight into the
    // transcriber: no stream stage between them (g711Decoder is for a ReadableStream of packets;
    // here it would cost a pipe hop per 20 ms packet, bench/RESULTS.md row 7).
    const decode = msg.law === 'alaw' ? decodeAlaw : decodeMulaw;
    const channels = tracks.length;
    writers = transcribers.map((t) => t.writable.getWriter());
    toFrames = perTrack
      ? (perTrackBytes) => perTrackBytes.map((bytes) => ({ data: decode(bytes), sampleRate, channels: 1 }))
      : (bytes) => [{ data: decode(bytes), sampleRate, channels }];
    transcribed = Promise.all(transcribers.map((transcriber, s) => {
      const first = sessions[s].channel;
      // Reconnects and non-fatal problems are worth a line; they do not end the call.
      const who = perTrack ? `${callSid} ${tracks[first]}` : callSid;
      transcriber.events.on('reconnecting', ({ attempt, cause }) => console.error(`[${who}] reconnecting (attempt ${attempt}): ${cause.code}`));
      transcriber.events.on('error', (err) => console.error(`[${who}] ${err.code}: ${err.message}`));
      return (async () => {
        try {
          for await (const ev of transcriber.readable) {
            if (ev.type === 'final') {
              const channel = first + ev.channel;
              onFinal({ callSid, streamSid, track: tracks[channel] ?? tracks[0], channel, text: ev.text, start: ev.start, end: ev.end, event: ev });
            } else if (ev.type === 'gap') {
              console.error(`[${who}] audio ${secs(ev.start)}–${secs(ev.end)} s was not transcribed (${ev.reason})`);
            }
          }
        } catch (err) {
          // After a failure of our own the pipe errors with it: already reported.
          if (!failed && state !== 'done') fail(err, CLOSE.transcriptionFailed);
        }
      })();
    }));
    state = 'streaming';
  }

  function write(chunks) {
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      const frames = toFrames(chunk);
      for (let s = 0; s < frames.length; s++) writers[s].write(frames[s]).catch(() => {}); // a failure comes out of the events loop
    }
  }

  async function stop() {
    state = 'stopping';
    write(interleaver.flush());
    for (const w of writers) w.close().catch(() => {});
    await transcribed;
    if (state === 'stopping') {
      state = 'done';
      closeSocket(CLOSE.normal, 'call transcribed');
    }
  }

  function onMessage(data, isBinary) {
    if (state === 'done' || state === 'stopping') return; // after stop (or a failure) nothing more is read
    if (isBinary) return fail(invalid('A binary message: media streams send JSON text', 'message'), CLOSE.invalidInput);
    const msg = parseMessage(data.toString('utf8'));
    switch (msg.event) {
      case 'connected':
      case 'ignored':
        return;
      case 'start':
        if (state !== 'waiting') throw invalid('A second `start` on one media stream', 'event');
        return start(msg);
      case 'media': {
        if (state === 'waiting') throw invalid('A `media` message before `start`', 'event');
        if (!tracks.includes(msg.track)) throw invalid(`\`media.track\` ${JSON.stringify(msg.track)} is not one of this stream's tracks (${tracks.join(', ')})`, 'media.track');
        return write(interleaver.push(msg.track, msg.timestamp, decodePayload(msg.payload, packetBytes)));
      }
      case 'stop':
        if (state === 'waiting') throw invalid('A `stop` message before `start`', 'event');
        return void stop();
    }
  }

  ws.on('message', (data, isBinary) => {
    try {
      onMessage(data, isBinary);
    } catch (err) {
      // A `start` that failed its checks still names its call, where it has an id.
      if (callSid === null && !isBinary) callSid = sniffCallSid(data);
      fail(err, CLOSE.invalidInput);
    }
  });
  ws.on('error', () => {}); // a broken frame: ws closes the socket itself, 'close' follows
  ws.on('close', (code) => {
    clearTimeout(startTimer);
    if (state === 'streaming') {
      // Hung up without `stop`: transcribe what came.
      state = 'stopping';
      write(interleaver.flush());
      for (const w of writers) w.close().catch(() => {});
    } else if (state === 'waiting') state = 'done';
    resolveClosed(code);
  });

  // `start` cannot come after the close, so by then `transcribed` is the call's own.
  call.done = closed.then(async (code) => {
    await transcribed;
    return code;
  });
  return call;
}

/** `start.callSid` of a message that may be broken, or null. */
function sniffCallSid(data) {
  try {
    const id = JSON.parse(data.toString('utf8'))?.start?.callSid;
    return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : null;
  } catch {
    return null;
  }
}

const USAGE = `Usage: node server.mjs [--port <n>] [--host <address>] [--vad]

A media-stream server for phone calls (Twilio Media Streams): one transcriber
per call (per track with --vad), each final printed with the call id and the
track.

Options:
  --port <n>        port to listen on, 0 for any free one (default ${DEFAULT_PORT}, or $PORT)
  --host <address>  address to listen on (default 127.0.0.1)
  --vad             send only speech (voice activity detection here), one
                    session per track; at the end of each call, how much audio
                    was sent and how much silence not
  -h, --help        this help

Without STT_STREAM_API_KEY and STT_STREAM_URL it transcribes with the local
emulator, in-process (it hears DTMF tones). Try a call with:
  node simulate-call.mjs ws://127.0.0.1:${DEFAULT_PORT}
`;

/** A mistake on the command line: its message, the way to help, exit 2. */
function usageError(message) {
  console.error(`server.mjs: ${message}\n(run node server.mjs --help for usage)`);
  return 2;
}

/** The line `--vad` prints when a call ends: what was sent of it. @param {CallEndInfo} e */
export function printCallEnd(e) {
  if (!e.stats || e.callSid === null) return;
  const { sentSeconds, skippedSeconds } = e.stats;
  console.log(`[${e.callSid}] call ended: ${secs(sentSeconds)} s of audio sent, ${secs(skippedSeconds)} s of silence not sent`);
}

/**
 * `node server.mjs [--port N] [--host H] [--vad]`: serves until Ctrl-C. Returns an
 * exit code when it cannot start (2 for a bad argument, 1 for a port in use).
 */
export async function main(argv = process.argv.slice(2)) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, vad: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (err) {
    // parseArgs' own message, less its advice about positionals.
    const unknown = /^Unknown option '([^']+)'/.exec(err.message);
    return usageError(unknown ? `unknown option ${unknown[1]}` : err.message.replace(/\.$/, ''));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const portText = values.port ?? process.env.PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) return usageError(`${values.port !== undefined ? '--port' : 'PORT'} must be an integer from 0 to 65535, got ${JSON.stringify(portText)}`);
  const host = values.host ?? '127.0.0.1';
  let server;
  try {
    server = await startTelephonyServer({
      port,
      host,
      // Only speech goes to the gateway; every time in the transcript stays on the call's clock.
      ...(values.vad ? { transcriberOptions: { voiceActivity: true }, onCallEnd: printCallEnd } : {}),
    });
  } catch (err) {
    if (err.code === 'EADDRINUSE') {
      console.error(`server.mjs: port ${port} on ${host} is in use (another server, or an emulator?): pass --port <n>, or --port 0 for any free port`);
    } else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
      console.error(`server.mjs: cannot listen on ${host}: not an address of this machine (${err.code}); pass --host, e.g. 127.0.0.1 or 0.0.0.0`);
    } else if (err.code === 'EACCES') {
      console.error(`server.mjs: not allowed to listen on port ${port} (${err.code}): pass --port with a port above 1023`);
    } else throw err;
    return 1;
  }
  let emulator = null;
  if (!process.env.STT_STREAM_API_KEY && !process.env.STT_STREAM_URL) {
    const { startEmulator } = await import('@stt-stream/emulator');
    emulator = await startEmulator();
    process.env.STT_STREAM_URL = emulator.url;
    console.log(`No STT_STREAM_API_KEY set: transcribing with the local emulator at ${emulator.url}`);
  }
  console.log(`Media streams: ${server.url} (Twilio <Stream url="wss://…"> behind a TLS proxy)`);
  if (values.vad) console.log('Sending only speech (--vad): the silence of each call stays here');
  const stop = async () => {
    console.log(`\nClosing (${server.activeCalls} calls open)`);
    await server.close();
    await emulator?.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const code = await main();
  if (code !== undefined) process.exitCode = code;
}
