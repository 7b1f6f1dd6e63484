/**
 * The local gateway: `GET /v1/stt/stream` (WebSocket) and
 * `POST /v1/stt/transcribe` on one node:http server.
 *
 * @module
 */
import { createServer, STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { checkOptionNames, optionNames } from '@stt-stream/core/internal';
import { handleBatchRequest, type BatchFault, type BatchFaultPlan } from './batch-handler.ts';
import { isAuthorized, selectProtocol } from './credentials.ts';
import type { EngineFactory } from './engine.ts';
import { codeForStatus, errorEnvelope } from './error-envelope.ts';
import { parseFaultParam, validateFaultPlan, type FaultPlan } from './fault-plan.ts';
import { createSilentEngine } from './silent-engine.ts';
import { createStats, type ConnectionRecord, type EmulatorStats } from './stats.ts';
import { parseStreamParams } from './stream-params.ts';
import { startStreamSession, type StreamSession } from './stream-session.ts';
import { createToneEngine } from './tone-engine.ts';

/**
 * The streaming endpoint's path.
 *
 * @example Build a URL by hand
 * ```ts
 * const url = `ws://127.0.0.1:${port}${STREAM_PATH}?model_id=m`;
 * ```
 */
export const STREAM_PATH = '/v1/stt/stream';
/**
 * The batch endpoint's path.
 *
 * @example Post to the batch endpoint
 * ```ts
 * await fetch(`${emulator.httpUrl}${TRANSCRIBE_PATH}`, { method: 'POST', body: form });
 * ```
 */
export const TRANSCRIBE_PATH = '/v1/stt/transcribe';
/** Largest WebSocket message read at all; larger ones are closed with 1009 by `ws`. */
const MAX_PAYLOAD = 8 * 1024 * 1024;

/**
 * CORS headers on every HTTP answer: any origin may read the response (no
 * cookies are involved, so `*` is enough) and its `x-request-id` and
 * `retry-after`, which the batch client reports.
 */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-request-id, retry-after',
} as const;
/** The answer to a preflight of the batch endpoint: `fetch` with `Authorization` and a multipart body. */
const CORS_PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
} as const;

/**
 * What a `faults` function is told about an upgrade attempt.
 *
 * @example Fault the first connection of each model
 * ```ts
 * const seen = new Set<string>();
 * const faults = ({ url }: FaultContext) => {
 *   const model = url.searchParams.get('model_id') ?? '';
 *   return seen.has(model) ? undefined : (seen.add(model), { drop: { afterMs: 100 } });
 * };
 * ```
 */
export interface FaultContext {
  /** 0-based attempt number on this emulator (refused attempts count). */
  index: number;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * What a `batchFaults` function is told about a request.
 *
 * @example Fail requests without a language hint
 * ```ts
 * const batchFaults = ({ headers }: BatchFaultContext) => (headers['x-test-fail'] ? { status: 502 } : undefined);
 * ```
 */
export interface BatchFaultContext {
  /** 0-based request number on the batch endpoint. */
  index: number;
  url: URL;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Options of {@link startEmulator}.
 *
 * @example A strict, flaky gateway
 * ```ts
 * const emulator = await startEmulator({ apiKeys: ['k'], idleTimeoutMs: 1000, faults: { times: 1, close: { code: 1012, afterMs: 500 } } });
 * ```
 */
export interface EmulatorOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /**
   * Keys a client must present (`Authorization: Bearer K` or the
   * subprotocols `bearer`, `K`). Undefined: no credential needed.
   */
  apiKeys?: string[];
  /** @defaultValue 'tone' */
  engine?: 'tone' | 'silent' | EngineFactory;
  /** No message for this long: `error` idle_timeout, close 4008. @defaultValue 10_000 */
  idleTimeoutMs?: number;
  /** Seconds of audio per connection before close 4010. @defaultValue no limit */
  maxSessionSeconds?: number;
  /**
   * Faults for every connection, or a function choosing per connection. A
   * `fault` query parameter (JSON {@link FaultPlan}) on the URL takes its
   * place for that connection, unless `urlFaults` is false.
   */
  faults?: FaultPlan | ((ctx: FaultContext) => FaultPlan | undefined);
  /** Whether the `fault` query parameter is honoured. @defaultValue true */
  urlFaults?: boolean;
  /**
   * The ffmpeg executable the batch endpoint decodes non-WAV audio with, or
   * `false` to act as if it were missing. @defaultValue 'ffmpeg'
   */
  ffmpeg?: string | false;
  /** Faults of the batch endpoint: see {@link BatchFaultPlan}. */
  batchFaults?: BatchFaultPlan | ((ctx: BatchFaultContext) => BatchFault | undefined);
  /**
   * Adds `server_time` to every `transcript` message: the wall clock
   * (`Date.now()`, ms) when the emulator handed it to the socket, after any
   * `delayMs`. Clients ignore unknown fields (docs/protocol.md, "Server to
   * client"); this is for
   * measuring latency from outside a client, e.g. `Date.now() - server_time`
   * on receipt is the return leg when client and emulator share a clock.
   * @defaultValue false
   */
  serverTime?: boolean;
}

/** The option names {@link startEmulator} takes. */
export const EMULATOR_OPTIONS = optionNames<EmulatorOptions>()(['port', 'host', 'apiKeys', 'engine', 'idleTimeoutMs', 'maxSessionSeconds', 'faults', 'urlFaults', 'ffmpeg', 'batchFaults', 'serverTime']);

/**
 * A running emulator.
 *
 * @example Use and stop
 * ```ts
 * const emulator: Emulator = await startEmulator();
 * try {
 *   await useGateway(emulator.url);
 * } finally {
 *   await emulator.close();
 * }
 * ```
 */
export interface Emulator {
  /** `ws://HOST:PORT/v1/stt/stream` */
  url: string;
  /** `http://HOST:PORT` */
  httpUrl: string;
  port: number;
  /** Live counters. */
  stats: EmulatorStats;
  /** Terminates every connection and resolves when the port is free and no timer or child process is left. */
  close(): Promise<void>;
}

/**
 * Starts a local gateway that speaks docs/protocol.md: the streaming dialect
 * with the tone engine, the batch endpoint, the error envelope, and the
 * faults you ask for.
 *
 * @param options see {@link EmulatorOptions}
 * @returns once it listens
 * @throws RangeError / TypeError for bad options
 *
 * @example Stream a DTMF fixture and read the final
 * ```ts
 * import WebSocket from 'ws';
 * const emulator = await startEmulator();
 * const ws = new WebSocket(`${emulator.url}?model_id=test`);
 * ws.on('open', () => {
 *   const { samples } = dtmfSamples('123');
 *   for (let i = 0; i < samples.length; i += 1600) ws.send(samples.subarray(i, i + 1600));
 *   ws.send(JSON.stringify({ type: 'end' }));
 * });
 * ws.on('message', (data) => console.log(String(data)));
 * ws.on('close', () => emulator.close());
 * ```
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  if (typeof options !== 'object' || options === null) throw new TypeError('Invalid options: expected an object');
  checkOptionNames(options, EMULATOR_OPTIONS, 'startEmulator()');
  const { port = 0, host = '127.0.0.1', apiKeys, idleTimeoutMs = 10_000, maxSessionSeconds, faults, batchFaults, urlFaults = true, ffmpeg = 'ffmpeg', serverTime = false } = options;
  if (typeof serverTime !== 'boolean') throw new TypeError(`Invalid option \`serverTime\`: expected a boolean, got ${JSON.stringify(serverTime)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Invalid option \`port\`: expected an integer from 0 to 65535, got ${port}`);
  if (!(Number.isFinite(idleTimeoutMs) && idleTimeoutMs > 0)) throw new RangeError(`Invalid option \`idleTimeoutMs\`: expected a positive number, got ${idleTimeoutMs}`);
  if (maxSessionSeconds !== undefined && !(maxSessionSeconds > 0)) throw new RangeError(`Invalid option \`maxSessionSeconds\`: expected a positive number, got ${maxSessionSeconds}`);
  if (apiKeys !== undefined && (!Array.isArray(apiKeys) || apiKeys.some((k) => typeof k !== 'string' || k.length === 0))) {
    throw new TypeError('Invalid option `apiKeys`: expected an array of non-empty strings');
  }
  if (faults !== undefined && typeof faults !== 'function') validateFaultPlan(faults, 'option `faults`');
  const engine = resolveEngine(options.engine);

  const stats = createStats();
  const sessions = new Set<StreamSession>();
  const sockets = new Set<Socket>();
  const batchCleanups = new Set<() => Promise<void>>();
  const faultUses = new Map<string, number>();
  const requestIds = new WeakMap<IncomingMessage, string>();
  let requestCounter = 0;
  let boundPort = 0;
  let closing: Promise<void> | null = null;

  const nextRequestId = (): string => `req_${boundPort}_${++requestCounter}`;

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD, clientTracking: false, handleProtocols: selectProtocol });
  wss.on('headers', (headers, req) => {
    const id = requestIds.get(req);
    if (id) headers.push(`x-request-id: ${id}`);
  });

  function limitUses(plan: FaultPlan | null | undefined, fallbackKey: string): FaultPlan | null {
    if (!plan) return null;
    if (plan.times === undefined) return plan;
    const key = plan.key ?? fallbackKey;
    const used = faultUses.get(key) ?? 0;
    faultUses.set(key, used + 1);
    return used < plan.times ? plan : null;
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const index = stats.connections++;
    const requestId = nextRequestId();
    requestIds.set(req, requestId);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const record: ConnectionRecord = {
      index, requestId, sessionId: null, refusedStatus: null, plan: null,
      audioBytes: 0, audioSeconds: 0, messagesIn: 0, messagesOut: 0, audioMessages: 0, maxAudioMessageBytes: 0, faults: [], closeCode: null,
    };
    stats.perConnection.push(record);
    if (closing) return refuseUpgrade(socket, record, 503, 'server_error', 'The emulator is shutting down');
    if (url.pathname !== STREAM_PATH) return refuseUpgrade(socket, record, 404, 'not_found', `No WebSocket endpoint at ${url.pathname}`);

    let plan: FaultPlan | null = null;
    let faultError: string | null = null;
    const raw = urlFaults ? url.searchParams.get('fault') : null;
    if (raw !== null) {
      try {
        plan = limitUses(parseFaultParam(raw), raw);
      } catch (err) {
        faultError = (err as Error).message;
      }
    } else {
      let chosen: FaultPlan | undefined;
      if (typeof faults === 'function') {
        try {
          chosen = faults({ index, url, headers: { ...req.headers } });
          if (chosen !== undefined) validateFaultPlan(chosen, '`faults` result');
        } catch (err) {
          faultError = (err as Error).message;
        }
      } else chosen = faults;
      plan = limitUses(chosen, 'server');
    }
    record.plan = plan;
    const refuse = plan?.refuse;
    if (refuse) {
      record.faults.push(`refuse:${refuse.status}`);
      return refuseUpgrade(socket, record, refuse.status, refuse.code ?? codeForStatus(refuse.status), refuse.message ?? `Injected fault: refused with ${refuse.status}`, refuse.retryAfter);
    }

    const authorized = isAuthorized(apiKeys, req.headers);
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (closing) {
        ws.terminate();
        return;
      }
      stats.accepted++;
      stats.active++;
      record.sessionId = `sess_${boundPort}_${index}`;
      const session = startStreamSession(ws, {
        sessionId: record.sessionId,
        authorized,
        params: parseStreamParams(url.searchParams),
        faultError,
        engine,
        idleTimeoutMs,
        maxSessionSeconds,
        serverTime,
        plan,
        record,
        onAudio: (bytes) => {
          stats.audioBytes += bytes;
        },
        onClosed: () => {
          stats.active--;
          sessions.delete(session);
        },
      });
      sessions.add(session);
    });
  }

  function refuseUpgrade(socket: Duplex, record: ConnectionRecord, status: number, code: string, message: string, retryAfter?: number | string): void {
    stats.refused++;
    record.refusedStatus = status;
    record.closeCode = null;
    const body = JSON.stringify(errorEnvelope(code, message));
    const lines = [
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `x-request-id: ${record.requestId}`,
      ...(retryAfter !== undefined ? [`Retry-After: ${retryAfter}`] : []),
      'Connection: close',
    ];
    socket.once('finish', () => socket.destroy());
    socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestId = nextRequestId();
    res.setHeader('x-request-id', requestId);
    // CORS on every answer (errors too), so pages on any origin can call the batch endpoint.
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const reply = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(errorEnvelope(code, message)));
    };
    if (url.pathname === TRANSCRIBE_PATH) {
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { ...CORS_PREFLIGHT_HEADERS, allow: 'POST, OPTIONS' });
        res.end();
        return;
      }
      if (req.method !== 'POST') return reply(405, 'method_not_allowed', `${TRANSCRIBE_PATH} takes POST`, { allow: 'POST, OPTIONS' });
      const index = stats.batchRequests++;
      const record = { index, requestId, status: null as number | null };
      stats.batch.push(record);
      res.once('finish', () => {
        record.status = res.statusCode;
      });
      let fault: BatchFault | undefined;
      if (typeof batchFaults === 'function') fault = batchFaults({ index, url, headers: { ...req.headers } });
      else if (batchFaults) {
        const status = batchFaults.statuses?.[index];
        fault = { ...(status !== undefined ? { status } : {}), retryAfter: batchFaults.retryAfter, delayMs: batchFaults.delayMs };
      }
      const cleanup = handleBatchRequest(req, res, {
        authorized: isAuthorized(apiKeys, req.headers as IncomingHttpHeaders),
        engine,
        fault,
        ffmpeg,
        onDone: () => batchCleanups.delete(cleanup),
      });
      batchCleanups.add(cleanup);
      return;
    }
    if (url.pathname === STREAM_PATH) return reply(426, 'invalid_input', `${STREAM_PATH} is a WebSocket endpoint: send an upgrade request`, { upgrade: 'websocket' });
    reply(404, 'not_found', `No endpoint at ${req.method} ${url.pathname}`);
  }

  const server = createServer(onRequest);
  server.on('upgrade', onUpgrade);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  boundPort = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;

  return {
    url: `ws://${hostInUrl}:${boundPort}${STREAM_PATH}`,
    httpUrl: `http://${hostInUrl}:${boundPort}`,
    port: boundPort,
    stats,
    close(): Promise<void> {
      closing ??= (async () => {
        for (const session of sessions) session.terminate();
        const batchWork = [...batchCleanups].map((cleanup) => cleanup());
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await Promise.all([closed, ...batchWork]);
        wss.close();
      })();
      return closing;
    },
  };
}

function resolveEngine(engine: EmulatorOptions['engine']): EngineFactory {
  if (engine === undefined || engine === 'tone') return createToneEngine;
  if (engine === 'silent') return createSilentEngine;
  if (typeof engine === 'function') return engine;
  throw new TypeError(`Invalid option \`engine\`: expected 'tone', 'silent' or a function, got ${JSON.stringify(engine)}`);
}
