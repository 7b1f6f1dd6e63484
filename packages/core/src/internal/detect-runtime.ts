// The only place that asks which runtime this is. Keep it that way.

/** Which JavaScript runtime we run in, as far as the transport needs to know. */
export type RuntimeName = 'node' | 'deno' | 'bun' | 'browser' | 'unknown';

export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === 'object' && g.Deno !== null) return 'deno';
  if (typeof g.Bun === 'object' && g.Bun !== null) return 'bun';
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (typeof proc?.versions?.node === 'string') return 'node';
  if (typeof g.document === 'object' || typeof g.WorkerGlobalScope === 'function') return 'browser';
  return 'unknown';
}

/**
 * Whether the runtime's global `WebSocket` accepts `{ headers, protocols }` as
 * its second argument (Deno, Bun, and undici's in Node 22+). Browsers do not.
 */
export function nativeWebSocketTakesHeaders(): boolean {
  const runtime = detectRuntime();
  return runtime === 'deno' || runtime === 'bun' || runtime === 'node';
}
