import { describe, expect, it } from 'vitest';
import { connect } from '../test/ws-client.ts';
import { runCli, type CliIo } from './cli-run.ts';
import { dtmfSamples } from './fixtures/dtmf-samples.ts';

function fakeIo() {
  let out = '';
  let err = '';
  let signal: ((s: string) => void) | undefined;
  const io: CliIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    onSignal: (h) => void (signal = h),
  };
  return { io, out: () => out, err: () => err, signal: (s: string) => signal?.(s) };
}

describe('runCli', () => {
  it('prints the URLs, serves, and stops cleanly on SIGTERM', async () => {
    const fake = fakeIo();
    const { emulator, exitCode } = await runCli(['--port', '0', '--api-key', 'k1', '--close-code', '1012', '--close-after-ms', '5000'], fake.io);
    expect(emulator).toBeDefined();
    expect(fake.out()).toContain(emulator?.url);
    expect(fake.out()).toContain(`${emulator?.httpUrl}/v1/stt/transcribe`);
    expect(fake.out()).toContain('"code":1012');
    expect(fake.out()).not.toContain('k1');

    const client = connect(`${emulator?.url}?model_id=m`, { headers: { Authorization: 'Bearer k1' } });
    await client.opened;
    client.sendAudio(dtmfSamples('3').samples, 1600);
    client.sendJson({ type: 'end' });
    await client.closed;
    expect(client.messages.find((m) => m.is_final)?.text).toBe('three');

    fake.signal('SIGTERM');
    expect(await exitCode).toBe(0);
    expect(fake.err()).toContain('SIGTERM');
  });

  it('prints one JSON line with --json', async () => {
    const fake = fakeIo();
    const { emulator, exitCode } = await runCli(['--json'], fake.io);
    expect(JSON.parse(fake.out())).toEqual({ url: emulator?.url, httpUrl: emulator?.httpUrl });
    fake.signal('SIGINT');
    expect(await exitCode).toBe(0);
  });

  it('exits 0 for --help and non-zero for bad flags or a busy port', async () => {
    const help = fakeIo();
    expect(await (await runCli(['--help'], help.io)).exitCode).toBe(0);
    expect(help.out()).toContain('--drop-after-ms');

    const bad = fakeIo();
    expect(await (await runCli(['--stall-ms', 'soon'], bad.io)).exitCode).not.toBe(0);
    expect(bad.err()).toContain('--stall-ms must be a non-negative number');

    const first = fakeIo();
    const running = await runCli(['--json'], first.io);
    const busy = fakeIo();
    expect(await (await runCli(['--port', String(running.emulator?.port)], busy.io)).exitCode).toBe(1);
    expect(busy.err()).toContain('cannot start');
    first.signal('SIGTERM');
    await running.exitCode;
  });
});
