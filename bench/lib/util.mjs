// Small helpers shared by the benches: statistics, machine info, child processes.
import { spawn } from 'node:child_process';
import { cpus, totalmem, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The median of the finite values (a round that failed leaves NaN, which is left out). */
export const median = (xs) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

export const percentile = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

export const fmt = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
export const mib = (bytes) => `${(bytes / 1048576).toFixed(2)} MiB`;
export const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

export function machineInfo() {
  const c = cpus();
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    loadavgAtStart: loadavg().map((x) => +x.toFixed(2)),
    date: new Date().toISOString(),
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const benchDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs a bench script in a fresh Node process; its last stdout line is JSON.
 * Bounded in time: killed (by its own pid) after `timeoutMs`.
 */
export function runNode(script, args, { nodeArgs = [], env = {}, timeoutMs = 300_000, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, `${benchDir}${script}`, ...args.map(String)], {
      cwd: benchDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (onLine) for (const line of String(d).split('\n')) if (line) onLine(line);
    });
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}`);
        resolve(JSON.parse(last));
      } catch (e) {
        reject(new Error(`${script} ${args.join(' ')} failed (${e.message}):\n${err.slice(-4000)}\n${out.slice(-2000)}`));
      }
    });
  });
}

/** Starts a long-running helper process that prints one JSON line when ready. */
export function startNode(script, args = [], { env = {}, nodeArgs = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, `${benchDir}${script}`, ...args.map(String)], {
      cwd: benchDir,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let buf = '';
    const onData = (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        try {
          resolve({ child, info: JSON.parse(buf.slice(0, nl)), stop: () => stopChild(child) });
        } catch (e) {
          reject(e);
        }
      }
    };
    child.stdout.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${script} exited early (${code})`)));
  });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.on('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.stdin.end(); // the helper exits when its stdin closes
  });
}

/** Samples peak RSS (and the caller's gauges) on a timer. */
export function sampler(intervalMs, fn) {
  const peaks = { rss: process.memoryUsage.rss() };
  const t = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peaks.rss) peaks.rss = rss;
    fn?.(peaks);
  }, intervalMs);
  t.unref();
  return { peaks, stop: () => clearInterval(t) };
}

/**
 * The measured window of a paced run: waits until `warmupS` after `t0`, calls
 * `onWindow(true)`, measures this process's CPU and the wall time until `done`
 * and 150 ms after it (the last frames reach the wire), then `onWindow(false)`.
 * Resolves to `{ cpuSeconds, window }` (seconds).
 */
export async function measureWindow({ t0, warmupS, done, onWindow = () => undefined }) {
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + warmupS * 1000 - performance.now())));
  onWindow(true);
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await done;
  await new Promise((r) => setTimeout(r, 150));
  const cpu = process.cpuUsage(cpu0);
  const window = (performance.now() - w0) / 1000;
  onWindow(false);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, window };
}

/** Opens `n` sessions with `open(i)` (resolving to the session), 25 at a time; resolves to them in order. */
export async function openAll(n, open) {
  const sessions = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      sessions[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(25, n) }, worker));
  return sessions;
}

/**
 * Real-time pacing of `n` sessions (rows 3 and 7): session `i` gets `count`
 * ticks, one every `periodMs`, the sessions spread over one period, the
 * first 200 ms from now; `tick(i, k, due)` is called for each (`due`: its
 * `performance.now()` time). Returns `{ t0, done }`: the first tick's time
 * and a promise of the last tick of all.
 */
export function paced(n, periodMs, count, tick) {
  const t0 = performance.now() + 200;
  const done = new Promise((resolveAll) => {
    let finished = 0;
    for (let i = 0; i < n; i++) {
      const offset = (i / n) * periodMs;
      let k = 0;
      const step = () => {
        tick(i, k, t0 + offset + k * periodMs);
        k++;
        if (k === count) {
          if (++finished === n) resolveAll();
          return;
        }
        setTimeout(step, Math.max(0, t0 + offset + k * periodMs - performance.now()));
      };
      setTimeout(step, Math.max(0, t0 + offset - performance.now()));
    }
  });
  return { t0, done };
}
