import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli-program.ts';

describe('parseCliArgs', () => {
  it('has sensible defaults', () => {
    expect(parseCliArgs([])).toEqual({
      options: { port: 0, host: '127.0.0.1', engine: 'tone', idleTimeoutMs: 10_000, urlFaults: true, ffmpeg: 'ffmpeg' },
      json: false,
    });
  });

  it('reads repeatable keys, the engine, limits and the batch statuses', () => {
    const { options, json } = parseCliArgs([
      '--port', '8080', '--host', '0.0.0.0', '--api-key', 'a', '--api-key', 'b', '--engine', 'silent',
      '--idle-timeout-ms', '500', '--max-session-seconds', '60', '--batch-statuses', '429, 502', '--retry-after', '3',
      '--no-url-faults', '--no-ffmpeg', '--json',
    ]);
    expect(json).toBe(true);
    expect(options).toEqual({
      port: 8080, host: '0.0.0.0', apiKeys: ['a', 'b'], engine: 'silent', idleTimeoutMs: 500, maxSessionSeconds: 60,
      batchFaults: { statuses: [429, 502], retryAfter: 3 }, urlFaults: false, ffmpeg: false,
    });
  });

  it('turns fault flags into a fault plan', () => {
    expect(parseCliArgs(['--drop-after-ms', '1500']).options.faults).toEqual({ drop: { afterMs: 1500 } });
    expect(parseCliArgs(['--close-code', '4029', '--close-after-bytes', '32000', '--retry-after', '2', '--fault-times', '1']).options.faults).toEqual({
      close: { code: 4029, afterBytes: 32000, retryAfter: 2 },
      times: 1,
    });
    expect(parseCliArgs(['--refuse-status', '503', '--retry-after', '5']).options.faults).toEqual({ refuse: { status: 503, retryAfter: 5 } });
    expect(parseCliArgs(['--stall-ms', '2000', '--stall-after-ms', '100', '--delay-ms', '50']).options.faults).toEqual({
      stall: { forMs: 2000, afterMs: 100 },
      delayMs: 50,
    });
    expect(parseCliArgs(['--process-rate', '0.5']).options.faults).toEqual({ processRate: 0.5 });
  });

  it('rejects bad values with a clear error', () => {
    expect(() => parseCliArgs(['--port', 'abc'])).toThrow(/--port must be a non-negative integer/);
    expect(() => parseCliArgs(['--engine', 'whisper'])).toThrow(/--engine must be tone or silent/);
    expect(() => parseCliArgs(['--close-after-ms', '10'])).toThrow(/need --close-code/);
    expect(() => parseCliArgs(['--close-code', '1006'])).toThrow(/close\.code/);
    expect(() => parseCliArgs(['--refuse-status', '200'])).toThrow(/refuse\.status/);
    expect(() => parseCliArgs(['--process-rate', '0'])).toThrow(/processRate/);
  });
});
