import { describe, expect, it } from 'vitest';
import { parseFaultParam, validateFaultPlan, withFault } from './fault-plan.ts';
import { mulberry32 } from './prng.ts';
import { startEmulator } from './emulator.ts';
import { dtmfSamples } from './fixtures/dtmf-samples.ts';

describe('validateFaultPlan', () => {
  it('accepts every kind of fault together', () => {
    const plan = {
      key: 'k', times: 2, refuse: { status: 429, retryAfter: '3' }, drop: { afterMs: 10, afterBytes: 3200 },
      close: { code: 4029, afterMs: 5, retryAfter: 2 }, stall: { forMs: 100, afterBytes: 0 }, delayMs: 20, maxSessionSeconds: 1.5, processRate: 0.5,
    };
    expect(validateFaultPlan(plan)).toBe(plan);
  });

  it('an unknown field names it, and the one meant; startEmulator and dtmfSamples refuse unknown options too', async () => {
    expect(() => validateFaultPlan({ close: { code: 1012 }, time: 1 }, 'option `faults`')).toThrow(
      new TypeError('Invalid option `faults`: unknown field `time`; did you mean `times`?'),
    );
    await expect(startEmulator({ apiKey: 'k' } as never)).rejects.toThrow(new TypeError('Unknown option `apiKey` for startEmulator(); did you mean `apiKeys`?'));
    expect(() => dtmfSamples('1', { tone: 80 } as never)).toThrow(new TypeError('Unknown option `tone` for dtmfSamples(); did you mean `toneMs`?'));
  });

  it.each([
    [[], '(root)'],
    [{ times: -1 }, 'times'],
    [{ times: 1.5 }, 'times'],
    [{ key: 3 }, 'key'],
    [{ refuse: { status: 200 } }, 'refuse.status'],
    [{ drop: { afterMs: -5 } }, 'drop.afterMs'],
    [{ drop: 'soon' }, 'drop'],
    [{ close: { afterMs: 5 } }, 'close.code'],
    [{ close: { code: 1005 } }, 'close.code'],
    [{ close: { code: 5000 } }, 'close.code'],
    [{ stall: { afterMs: 5 } }, 'stall.forMs'],
    [{ delayMs: 'x' }, 'delayMs'],
    [{ maxSessionSeconds: 0 }, 'maxSessionSeconds'],
    [{ processRate: 0 }, 'processRate'],
    [{ processRate: -1 }, 'processRate'],
    [{ processRate: Infinity }, 'processRate'],
    [{ processRate: '2' }, 'processRate'],
  ])('rejects %j naming `%s`', (plan, field) => {
    expect(() => validateFaultPlan(plan)).toThrow(new RegExp(`\`${field.replace(/[.()]/g, '\\$&')}\``));
  });
});

describe('parseFaultParam and withFault', () => {
  it('round-trip a plan through a URL, keeping the other parameters', () => {
    const url = withFault('ws://127.0.0.1:1/v1/stt/stream?model_id=m', { key: 'a', times: 1, drop: { afterMs: 5 } });
    const parsed = new URL(url);
    expect(parsed.searchParams.get('model_id')).toBe('m');
    expect(parseFaultParam(parsed.searchParams.get('fault') ?? '')).toEqual({ key: 'a', times: 1, drop: { afterMs: 5 } });
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseFaultParam('{')).toThrow(/not valid JSON/);
  });
});

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(c()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});
