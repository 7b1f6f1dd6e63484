// Bundles the subjects under test from the workspace *sources* (the `source`
// export condition) into bench/.build/, so a bench measures the tree as it is,
// not a possibly stale or half-rebuilt dist/. `ws` stays external: our
// transport, the raw baseline and the peers' SDKs all load the same copy.
//
// `buildBefore(commit)` bundles the same client entry from the packages as
// they were at an earlier commit (`git archive`, into bench/.build/), so a row
// can run that build beside the tree's in the same run (rows 3s and 7: the
// CPU guard against the code before a change).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const benchDir = fileURLToPath(new URL('..', import.meta.url));
export const buildDir = `${benchDir}.build/`;
const repoDir = fileURLToPath(new URL('../..', import.meta.url));

const entries = {
  // What a Node client of the library imports.
  client: `export { createTranscriber, g711Decoder, decodeMulaw, WireConverter } from '@stt-stream/core'; export { Resampler } from '@stt-stream/core/resampler';
           export { ReplayBuffer } from '@stt-stream/core/internal';
           export { createWsTransport } from '@stt-stream/node';`,
  emulator: `export { startEmulator, withFault, createToneEngine, dtmfSamples } from '@stt-stream/emulator';`,
  // Row 9: voice activity detection.
  vad: `export * from '@stt-stream/core/vad';`,
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  sourcemap: true,
  external: ['ws', 'bufferutil', 'utf-8-validate'],
  alias: { 'isomorphic-ws': 'ws' },
  // CommonJS dependencies (busboy, …) call require() for Node built-ins.
  banner: { js: "import { createRequire as __benchCreateRequire } from 'node:module'; const require = __benchCreateRequire(import.meta.url);" },
  logLevel: 'error',
};

export async function buildSubjects() {
  mkdirSync(buildDir, { recursive: true });
  for (const [name, contents] of Object.entries(entries)) {
    await build({ ...common, stdin: { contents, resolveDir: benchDir, sourcefile: `${name}.ts`, loader: 'ts' }, outfile: `${buildDir}${name}.mjs` });
  }
}

/**
 * Bundles the client entry from the packages at `commit` (the workspace's
 * `@stt-stream/*` resolved to that commit's sources, other dependencies from
 * today's node_modules) into bench/.build/client-<commit>.mjs; returns its path.
 */
export async function buildBefore(commit) {
  const sha = execFileSync('git', ['-C', repoDir, 'rev-parse', '--verify', `${commit}^{commit}`], { encoding: 'utf8' }).trim();
  const dir = `${buildDir}before-${sha}/`;
  if (!existsSync(`${dir}packages`)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const tar = execFileSync('git', ['-C', repoDir, 'archive', sha, 'packages'], { maxBuffer: 1 << 28 });
    execFileSync('tar', ['-x', '-C', dir], { input: tar });
  }
  // `@stt-stream/<pkg>[/sub]` → that commit's `source` export of the package.
  const atCommit = {
    name: 'workspace-at-commit',
    setup(b) {
      b.onResolve({ filter: /^@stt-stream\/[a-z]+(\/.*)?$/ }, (args) => {
        const [, pkg, sub = ''] = args.path.match(/^@stt-stream\/([a-z]+)(\/.*)?$/);
        const manifest = JSON.parse(readFileSync(`${dir}packages/${pkg}/package.json`, 'utf8'));
        const target = manifest.exports?.[`.${sub}`]?.source;
        if (!target) return { errors: [{ text: `${args.path} has no source export at ${sha}` }] };
        return { path: `${dir}packages/${pkg}/${target.replace(/^\.\//, '')}` };
      });
    },
  };
  const outfile = `${buildDir}client-${sha.slice(0, 7)}.mjs`;
  await build({
    ...common,
    stdin: { contents: entries.client, resolveDir: benchDir, sourcefile: `client-${sha.slice(0, 7)}.ts`, loader: 'ts' },
    plugins: [atCommit],
    // Third-party dependencies of the packages (eventemitter3, p-retry, …) from today's install.
    nodePaths: ['core', 'node'].map((p) => `${repoDir}packages/${p}/node_modules`),
    outfile,
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildSubjects();
  if (process.argv[2]) console.log(await buildBefore(process.argv[2]));
}
