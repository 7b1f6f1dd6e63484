// Row 6: bundle weight (esbuild, browser, min+gzip, all dependencies) of what
// a live-captions page imports, ours beside the peers; install size and
// dependency count of each package (production dependencies, transitively).
//   node weight.mjs   → one JSON line
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { benchDir } from './lib/build.mjs';
import { browserEntries, bundleSize } from './lib/bundle.mjs';

const bundles = {};
for (const [label, contents] of Object.entries(browserEntries)) {
  try {
    bundles[label] = await bundleSize(contents, { label: label.replace(/\W+/g, '-') });
  } catch (err) {
    bundles[label] = { error: (err.errors?.[0]?.text ?? String(err)).slice(0, 200) };
  }
}

function findPackageDir(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return null;
  }
}

function dirSize(dir) {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const s = dirSize(p);
      bytes += s.bytes;
      files += s.files;
    } else if (entry.isFile()) {
      bytes += statSync(p).size;
      files++;
    }
  }
  return { bytes, files };
}

/** What `npm pack` would ship: for our workspace packages (their dirs also hold tests). */
function packedSize(dir) {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [info] = JSON.parse(out);
  return { bytes: info.unpackedSize, files: info.entryCount };
}

function install(name) {
  const root = findPackageDir(name, benchDir);
  const seen = new Map();
  const visit = (dir) => {
    if (seen.has(dir)) return;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const ours = !dir.includes('/node_modules/');
    seen.set(dir, { name: pkg.name, ...(ours ? packedSize(dir) : dirSize(dir)) });
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      const d = findPackageDir(dep, dir);
      if (d) visit(d);
    }
  };
  visit(root);
  const all = [...seen.values()];
  return {
    bytes: all.reduce((n, p) => n + p.bytes, 0),
    files: all.reduce((n, p) => n + p.files, 0),
    dependencies: all.length - 1,
    packages: all.map((p) => p.name),
  };
}

const installs = {};
for (const name of ['@stt-stream/browser', '@stt-stream/node', '@deepgram/sdk', 'assemblyai', '@speechmatics/real-time-client', '@soniox/speech-to-text-web']) {
  installs[name] = install(name);
}
console.log(JSON.stringify({ bundles, installs }));
