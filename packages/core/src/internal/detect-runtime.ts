// The only place that asks which runtime this is. Keep it that way.

/** Which JavaScript runtime we run in, as far as the transport needs to know. */
export type RuntimeName = 'node' | 'deno' | 'bun' | 'browser' | 'unknown';

/** Deno, Bun or Node, else `undefined` (the server runtimes, checked first by {@link detectRuntime}). */
function serverRuntime(): 'node' | 'deno' | 'bun' | undefined {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Deno === 'object' && g.Deno !== null) return 'deno';
  if (typeof g.Bun === 'object' && g.Bun !== null) return 'bun';
  const proc = g.process as { versions?: { node?: string } } | undefined;
  if (typeof proc?.versions?.node === 'string') return 'node';
  return undefined;
}

export function detectRuntime(): RuntimeName {
  const g = globalThis as Record<string, unknown>;
  return serverRuntime() ?? (typeof g.document === 'object' || typeof g.WorkerGlobalScope === 'function' ? 'browser' : 'unknown');
}

/**
 * Whether the runtime's global `WebSocket` accepts `{ headers, protocols }` as
 * its second argument (Deno, Bun, and undici's in Node 22+). Browsers do not.
 * (Asks only for the server runtimes, so a browser bundle carries no more of
 * the detection than that.)
 */
export function nativeWebSocketTakesHeaders(): boolean {
  return serverRuntime() !== undefined;
}
