/**
 * One streaming connection, server side: the dialect of docs/protocol.md
 * ("Streaming"), the engine, the idle timer and the connection's faults.
 *
 * @module
 */
import { endianness } from 'node:os';
import WebSocket from 'ws';
import type { ServerMessageJson } from '@stt-stream/core/internal';
import type { Engine, EngineEvent, EngineFactory } from './engine.ts';
import { codeForClose } from './error-envelope.ts';
import type { FaultPlan, FaultTrigger } from './fault-plan.ts';
import { ProcessQueue, type QueuedInput } from './process-queue.ts';
import type { ConnectionRecord } from './stats.ts';
import { engineEventMessage, errorMessage, sessionEndedMessage, sessionStartedMessage } from './stream-messages.ts';
import type { StreamParamsResult } from './stream-params.ts';

/**
 * What a session needs to know, decided before the upgrade.
 *
 * @example See startStreamSession
 * ```ts
 * startStreamSession(ws, options satisfies StreamSessionOptions);
 * ```
 */
export interface StreamSessionOptions {
  sessionId: string;
  /** False when credentials were required and none matched. */
  authorized: boolean;
  params: StreamParamsResult;
  /** A `fault` query parameter that could not be read. */
  faultError: string | null;
  engine: EngineFactory;
  idleTimeoutMs: number;
  maxSessionSeconds: number | undefined;
  /** Stamp `transcript` messages with `server_time` (ms, `Date.now()` as they are sent). */
  serverTime?: boolean;
  plan: FaultPlan | null;
  record: ConnectionRecord;
  /** Called once, when the connection is closed and every timer is cleared. */
  onClosed: () => void;
  /** Called with the bytes of each audio message received. */
  onAudio: (bytes: number) => void;
}

/**
 * A running session.
 *
 * @example Stop a session at once
 * ```ts
 * const session: StreamSession = startStreamSession(ws, options);
 * session.terminate();
 * ```
 */
export interface StreamSession {
  /** Clears every timer and destroys the connection at once. */
  terminate(): void;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Runs the streaming dialect on an accepted WebSocket.
 *
 * @example Inside an upgrade handler
 * ```ts
 * wss.handleUpgrade(req, socket, head, (ws) => {
 *   startStreamSession(ws, { sessionId: 'sess_1', authorized: true, params, faultError: null, engine: createToneEngine,
 *     idleTimeoutMs: 10_000, maxSessionSeconds: undefined, plan: null, record, onClosed() {}, onAudio() {} });
 * });
 * ```
 */
export function startStreamSession(ws: WebSocket, options: StreamSessionOptions): StreamSession {
  const { record, plan } = options;
  const timers = new Set<NodeJS.Timeout>();
  const delayMs = plan?.delayMs ?? 0;
  const maxSessionSeconds = plan?.maxSessionSeconds ?? options.maxSessionSeconds;
  let state: 'open' | 'closing' | 'closed' = 'open';
  let engine: Engine | null = null;
  let sampleRate = 16000;
  let channels = 1;
  let frames = 0;
  let idle: NodeJS.Timeout | null = null;
  let stalled = false;
  let stallDone = false;
  /** With `processRate`: what was read and waits for the engine. */
  let queue: ProcessQueue | null = null;
  /** With `processRate`: `end` was read (it is answered once the queue has been heard). */
  let endRead = false;

  function later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  }

  function clearTimers(): void {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    idle = null;
  }

  /** Sends now or `delayMs` later; same-length timers fire in order, so order is kept. */
  function deliver(fn: () => void): void {
    if (delayMs > 0) later(delayMs, fn);
    else fn();
  }

  function send(message: ServerMessageJson): void {
    if (state === 'closed') return;
    const stamp = options.serverTime === true && message.type === 'transcript';
    const data = stamp ? '' : JSON.stringify(message);
    deliver(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(stamp ? JSON.stringify({ ...message, server_time: Date.now() }) : data);
      record.messagesOut++;
    });
  }

  function sendEvents(events: EngineEvent[]): void {
    for (const ev of events) send(engineEventMessage(ev));
  }

  function close(code: number, reason: string): void {
    if (state !== 'open') return;
    state = 'closing';
    record.closeCode = code;
    stopIdle();
    deliver(() => {
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    });
  }

  /** An `error` message, then the close. */
  function fail(code: string, message: string, closeCode: number, extra: { param?: string; retry_after?: number } = {}): void {
    if (state !== 'open') return;
    send(errorMessage(code, message, extra));
    close(closeCode, code);
  }

  function drop(): void {
    if (state === 'closed') return;
    record.faults.push('drop');
    record.closeCode = 1006;
    state = 'closing';
    clearTimers();
    ws.terminate();
  }

  function stopIdle(): void {
    if (idle) {
      clearTimeout(idle);
      timers.delete(idle);
      idle = null;
    }
  }

  /**
   * The idle timer runs only while the server waits for the client: not while
   * it stalls, not while queued audio waits for a slow engine (it is armed
   * again when the queue empties), not once `end` was read.
   */
  function armIdle(): void {
    stopIdle();
    if (state !== 'open' || stalled || endRead || queue?.pending) return;
    idle = later(options.idleTimeoutMs, () => {
      idle = null;
      fail('idle_timeout', `No message for ${options.idleTimeoutMs / 1000} s`, 4008);
    });
  }

  function fireClose(): void {
    const fault = plan?.close;
    if (!fault || state !== 'open') return;
    record.faults.push(`close:${fault.code}`);
    const code = codeForClose(fault.code);
    if (code === undefined) {
      close(fault.code, fault.message ?? 'fault');
      return;
    }
    const extra = fault.code === 4029 ? { retry_after: fault.retryAfter ?? 1 } : {};
    fail(code, fault.message ?? `Injected fault: close ${fault.code}`, fault.code, extra);
  }

  function fireStall(): void {
    const fault = plan?.stall;
    if (!fault || stallDone || state !== 'open') return;
    stallDone = true;
    stalled = true;
    record.faults.push('stall');
    stopIdle();
    ws.pause();
    later(fault.forMs, () => {
      stalled = false;
      if (state !== 'open') return;
      ws.resume();
      armIdle();
    });
  }

  function armTimed(trigger: FaultTrigger | undefined, fire: () => void): void {
    if (!trigger) return;
    if (trigger.afterMs !== undefined) later(trigger.afterMs, fire);
    else if (trigger.afterBytes === undefined) later(0, fire);
  }

  const reached = (trigger: FaultTrigger | undefined, bytes: number): boolean =>
    trigger?.afterBytes !== undefined && bytes >= trigger.afterBytes;

  function onAudio(data: Buffer): void {
    const frameBytes = 2 * channels;
    if (data.length === 0) return fail('invalid_input', 'Empty audio message', 4000);
    if (data.length % frameBytes !== 0) {
      return fail('invalid_input', `Audio message of ${data.length} bytes is not a whole number of ${channels}-channel pcm_s16le frames (${frameBytes} bytes each)`, 4000);
    }
    const count = data.length / frameBytes;
    if (count > sampleRate) {
      return fail('invalid_input', `Audio message of ${count} frames is longer than one second (${sampleRate} frames)`, 4000);
    }
    const bytes = record.audioBytes + data.length;
    record.audioBytes = bytes;
    options.onAudio(data.length);
    if (reached(plan?.drop, bytes)) return drop();
    if (reached(plan?.close, bytes)) return fireClose();

    let samples: Int16Array;
    if (data.byteOffset % 2 === 0 && LITTLE_ENDIAN && !queue) samples = new Int16Array(data.buffer, data.byteOffset, data.length / 2);
    else {
      samples = new Int16Array(data.length / 2);
      for (let i = 0; i < samples.length; i++) samples[i] = data.readInt16LE(i * 2);
    }
    if (queue) {
      queue.push({ kind: 'audio', samples, frames: count });
      if (reached(plan?.stall, bytes)) fireStall();
      return;
    }
    if (!hearAudio(samples, count)) return;
    if (reached(plan?.stall, bytes)) fireStall();
    checkSessionLimit();
  }

  function hearAudio(samples: Int16Array, count: number): boolean {
    frames += count;
    record.audioSeconds = frames / sampleRate;
    return hear(() => (engine as Engine).push(samples));
  }

  function checkSessionLimit(): boolean {
    if (maxSessionSeconds === undefined || frames < maxSessionSeconds * sampleRate) return true;
    record.faults.push('session_limit');
    fail('session_limit', `The session reached its maximum length of ${maxSessionSeconds} s of audio`, 4010);
    return false;
  }

  function endSession(): void {
    if (!hear(() => (engine as Engine).end())) return;
    send(sessionEndedMessage(frames / sampleRate));
    close(1000, 'session ended');
  }

  /** With `processRate`: hears what the queue hands over, in order; false once the session is over. */
  function heardLater(input: QueuedInput): boolean {
    if (state !== 'open') return false;
    if (input.kind === 'audio') return hearAudio(input.samples, input.frames) && checkSessionLimit();
    if (input.kind === 'finalize') return hear(() => (engine as Engine).finalize());
    endSession();
    return false;
  }

  /** Runs the engine; an engine that throws ends the session with 1011. */
  function hear(run: () => EngineEvent[]): boolean {
    let events: EngineEvent[];
    try {
      events = run();
    } catch {
      fail('server_error', 'The recognition engine failed', 1011);
      return false;
    }
    sendEvents(events);
    return true;
  }

  function onText(text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return fail('invalid_input', 'Text message is not valid JSON', 4000);
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message) || typeof (message as { type?: unknown }).type !== 'string') {
      return fail('invalid_input', 'Text message must be a JSON object with a string `type`', 4000);
    }
    switch ((message as { type: string }).type) {
      case 'finalize':
        if (queue) queue.push({ kind: 'finalize' });
        else hear(() => (engine as Engine).finalize());
        return;
      case 'keepalive':
        return;
      case 'end':
        if (queue) {
          endRead = true;
          stopIdle();
          queue.push({ kind: 'end' });
        } else endSession();
        return;
      default:
        return; // unknown types are ignored
    }
  }

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (state !== 'open' || endRead) return;
    record.messagesIn++;
    armIdle();
    if (isBinary) {
      record.audioMessages++;
      if (data.length > record.maxAudioMessageBytes) record.maxAudioMessageBytes = data.length;
      onAudio(data);
    }
    else onText(data.toString('utf8'));
  });
  ws.on('error', () => {
    // A protocol error from the client (bad frame, oversized message): ws closes the connection itself.
  });
  ws.on('close', (code: number) => {
    state = 'closed';
    clearTimers();
    record.closeCode ??= code;
    options.onClosed();
  });

  // Opening: credentials, then parameters, then the session.
  const { params } = options;
  if (!options.authorized) fail('unauthenticated', 'Missing or invalid API key', 4001);
  else if (options.faultError !== null) fail('invalid_input', options.faultError, 4000, { param: 'fault' });
  else if (!params.ok) fail('invalid_input', params.message, 4000, { param: params.param });
  else {
    ({ sampleRate, channels } = params.params);
    try {
      engine = options.engine({ sampleRate, channels, language: params.params.language, interimResults: params.params.interimResults });
    } catch {
      fail('server_error', 'The recognition engine could not start', 1011);
    }
    if (engine && plan?.processRate !== undefined) queue = new ProcessQueue(plan.processRate, sampleRate, later, heardLater, armIdle);
    if (engine) {
      send(sessionStartedMessage(options.sessionId, params.params));
      armIdle();
      armTimed(plan?.drop, drop);
      armTimed(plan?.close, fireClose);
      armTimed(plan?.stall, fireStall);
    }
  }

  return {
    terminate(): void {
      clearTimers();
      if (state !== 'closed') ws.terminate();
    },
  };
}
