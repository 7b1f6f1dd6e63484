#!/usr/bin/env node
// Builds the packages (`pnpm build`) only when a source changed since their
// last build, and quietly: the build's own output is shown only when it
// fails. The demo, the Deno and Bun examples and `pnpm stt-stream` start with
// it, so a second run starts at once.
//
//   node scripts/build-if-changed.mjs            build if needed, one status line
//   node scripts/build-if-changed.mjs --check    exit 1 (and say why) when a build is needed
//
// A package needs a build when its dist/ lacks an entry, or when any of its
// inputs (src/ less tests, the scripts/ its build runs, package.json, tsup.config.ts,
// tsconfig.json; the root's tsconfig.base.json, package.json and
// pnpm-lock.yaml) is newer than the oldest file in its dist/. Times, not
// contents: a file saved without a change costs one build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ROOT_INPUTS = ['tsconfig.base.json', 'package.json', 'pnpm-lock.yaml'];
const PACKAGE_INPUTS = ['src', 'scripts', 'package.json', 'tsup.config.ts', 'tsconfig.json'];
const TEST_FILE = /\.test(-d)?\.ts$/;

/** Every file under `path` (or `path` itself), skipping tests. */
function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(path, e.name)) : TEST_FILE.test(e.name) ? [] : [join(path, e.name)]));
}

const mtime = (path) => statSync(path).mtimeMs;

/** Why the packages need a build, or `null` when every dist/ is newer than its inputs. */
export function staleReason() {
  const rootInputs = ROOT_INPUTS.map((f) => join(root, f)).filter((f) => existsSync(f));
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir);
    const manifest = join(pkgDir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (!pkg.scripts?.build) continue;
    // The files the package promises: its entry and its bins' targets in dist/.
    const promised = [pkg.main, ...Object.values(pkg.exports ?? {}).map((e) => (typeof e === 'object' ? e.import : e))]
      .filter((p) => typeof p === 'string' && p.startsWith('./dist/'))
      .concat(existsSync(join(pkgDir, 'src/cli.ts')) ? ['./dist/cli.js'] : []);
    const missing = promised.find((p) => !existsSync(join(pkgDir, p)));
    if (missing) return `${relative(root, join(pkgDir, missing))} is missing`;
    const built = files(join(pkgDir, 'dist'));
    if (built.length === 0) return `${relative(root, join(pkgDir, 'dist'))} is empty`;
    const builtAt = Math.min(...built.map(mtime));
    // Of scripts/, only what the build script runs (core's dts-stubs.mjs), not the measuring ones.
    const used = (f) => !f.startsWith(join(pkgDir, 'scripts')) || pkg.scripts.build.includes(basename(f));
    const inputs = [...rootInputs, ...PACKAGE_INPUTS.flatMap((f) => files(join(pkgDir, f))).filter(used)];
    const newer = inputs.find((f) => mtime(f) > builtAt);
    if (newer) return `${relative(root, newer)} changed`;
  }
  return null;
}

/** The pnpm that started us (`npx -y pnpm@10 demo`), else one on PATH, else `npx -y pnpm@10`. */
function pnpmCommand() {
  const execpath = process.env.npm_execpath;
  if (execpath && /pnpm/.test(execpath)) return [process.execPath, [execpath]];
  const onPath = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0 && /^10\./.test(onPath.stdout.trim())) return ['pnpm', []];
  return ['npx', ['-y', 'pnpm@10']];
}

/**
 * Builds the packages when {@link staleReason} says so: one status line on
 * stderr, the build's output only when it fails (then the process exits
 * with the build's status).
 */
export function ensureBuilt() {
  const why = staleReason();
  if (why) {
    const started = Date.now();
    process.stderr.write(`Building the packages (${why})… `);
    const [cmd, pre] = pnpmCommand();
    const r = spawnSync(cmd, [...pre, 'build'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) {
      process.stderr.write('failed:\n\n');
      process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `${r.error.message}\n` : ''}`);
      process.exit(r.status ?? 1);
    }
    process.stderr.write(`done (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const why = staleReason();
    if (why) console.error(`a build is needed: ${why}`);
    process.exit(why ? 1 : 0);
  }
  ensureBuilt();
}
