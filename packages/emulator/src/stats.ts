/**
 * The counters an emulator keeps, for tests to assert on.
 *
 * @module
 */
import type { FaultPlan } from './fault-plan.ts';

/**
 * One upgrade attempt on the streaming endpoint (refused ones included).
 *
 * @example How much audio the first connection sent
 * ```ts
 * emulator.stats.perConnection[0]?.audioBytes;
 * ```
 */
export interface ConnectionRecord {
  /** 0-based attempt number: the `index` a `faults` function saw. */
  index: number;
  requestId: string;
  /** Set once the upgrade is accepted. */
  sessionId: string | null;
  /** HTTP status of a refused upgrade, else `null`. */
  refusedStatus: number | null;
  /** The fault plan that applied, if any. */
  plan: FaultPlan | null;
  /** Bytes of audio received (including a message a fault stopped from being heard). */
  audioBytes: number;
  /** Seconds of audio heard by the engine. */
  audioSeconds: number;
  messagesIn: number;
  messagesOut: number;
  /** Audio (binary) messages received, and the largest of them in bytes: how the client framed its audio. */
  audioMessages: number;
  maxAudioMessageBytes: number;
  /** Faults that fired, in order: `drop`, `close:1012`, `stall`, `session_limit`. */
  faults: string[];
  /** The close code of the connection once closed (1006 when dropped). */
  closeCode: number | null;
}

/**
 * One request to the batch endpoint.
 *
 * @example Statuses of all batch requests
 * ```ts
 * emulator.stats.batch.map((r) => r.status); // [429, 200]
 * ```
 */
export interface BatchRecord {
  index: number;
  requestId: string;
  status: number | null;
}

/**
 * Live counters of an emulator (the object is updated in place).
 *
 * @example Assert on reconnects
 * ```ts
 * expect(emulator.stats.connections).toBe(2);
 * expect(emulator.stats.perConnection[0]?.faults).toEqual(['drop']);
 * ```
 */
export interface EmulatorStats {
  /** Upgrade attempts on the streaming endpoint, refused ones included. */
  connections: number;
  /** Upgrades accepted. */
  accepted: number;
  /** Upgrades refused with an HTTP status. */
  refused: number;
  /** Connections open now. */
  active: number;
  /** Bytes of audio received over all connections. */
  audioBytes: number;
  /** One record per upgrade attempt, by `index`. */
  perConnection: ConnectionRecord[];
  /** Requests to `POST /v1/stt/transcribe`. */
  batchRequests: number;
  /** One record per batch request, by `index`. */
  batch: BatchRecord[];
}

/**
 * Zeroed counters.
 *
 * @example Fresh counters
 * ```ts
 * const stats = createStats();
 * stats.connections; // 0
 * ```
 */
export function createStats(): EmulatorStats {
  return { connections: 0, accepted: 0, refused: 0, active: 0, audioBytes: 0, perConnection: [], batchRequests: 0, batch: [] };
}
