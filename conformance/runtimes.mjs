// Where the runtimes of the conformance runs are: Node (this one, and others
// the machine has), Deno and Bun from their npm packages in node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;

/** Environment for Deno and Bun: no update checks, no prompts, no colour, nothing fetched. */
export const runtimeEnv = {
  ...process.env,
  DENO_NO_UPDATE_CHECK: '1',
  DENO_NO_PROMPT: '1',
  NO_COLOR: '1',
};

function firstExisting(paths) {
  return paths.find((p) => existsSync(p));
}

/** The Deno binary of the `deno` npm package (its real executable, not the Node shim in .bin). */
export function denoBin() {
  return firstExisting([join(root, 'node_modules/deno/deno'), join(root, 'node_modules/.bin/deno')]);
}

/** The Bun binary of the `bun` npm package (postinstall puts the executable at bin/bun.exe). */
export function bunBin() {
  return firstExisting([join(root, 'node_modules/bun/bin/bun.exe'), join(root, 'node_modules/.bin/bun')]);
}

/** `deno run` flags that keep Deno on node_modules and off the network. */
export const denoRunFlags = ['run', '-A', '--no-lock', '--node-modules-dir=manual', '--cached-only'];

export function versionOf(bin, args = ['--version']) {
  try {
    return execFileSync(bin, args, { encoding: 'utf8', env: runtimeEnv, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0];
  } catch {
    return null;
  }
}

/**
 * Node binaries to run: this one, those in STT_STREAM_NODES (separated like
 * PATH), and any found in the usual version-manager places; the newest of
 * each major version.
 */
export function nodeBins() {
  const candidates = [process.execPath];
  for (const p of (process.env.STT_STREAM_NODES ?? '').split(delimiter)) if (p) candidates.push(p);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['node20', 'node22', 'node24', 'node25', 'node26']) candidates.push(join(dir, name));
  }
  const globs = [
    [join(homedir(), '.nvm/versions/node'), 'bin/node'],
    ['/usr/local/n/versions/node', 'bin/node'],
    [join(homedir(), '.volta/tools/image/node'), 'bin/node'],
    [join(homedir(), '.local/share/fnm/node-versions'), 'installation/bin/node'],
    ['/opt/hostedtoolcache/node', 'x64/bin/node'],
  ];
  for (const [dir, tail] of globs) {
    if (!existsSync(dir)) continue;
    for (const v of readdirSync(dir)) candidates.push(join(dir, v, tail));
  }
  const byMajor = new Map();
  const seen = new Set();
  for (const c of candidates) {
    if (!existsSync(c)) continue;
    const real = realpathSync(c);
    if (seen.has(real)) continue;
    seen.add(real);
    const version = versionOf(real, ['-p', 'process.versions.node']);
    if (!version) continue;
    const major = Number(version.split('.')[0]);
    if (major < 20) continue;
    const prev = byMajor.get(major);
    if (!prev || compareVersions(version, prev.version) > 0) byMajor.set(major, { bin: real, version, major });
  }
  return [...byMajor.values()].sort((a, b) => a.major - b.major);
}

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}
