#!/usr/bin/env node
// Are the packages fit to publish? For every packages/*, on the tarball
// `pnpm pack` makes (publishConfig applied, workspace:* replaced, as it
// would be published):
//   - publint (strict: warnings fail, suggestions are printed),
//   - @arethetypeswrong/cli with the esm-only profile (we ship ESM only, so
//     the CommonJS resolution modes do not apply),
//   - the fields the project promises: `types` first in every export, no
//     `source` condition, sideEffects false, files, engines, repository, license.
// For core also JSR: jsr.json agrees with package.json and deno.json, `deno
// check` passes (offline, npm: specifiers from node_modules), and `deno
// publish --dry-run` passes its slow-types check.
//
// Run after `pnpm build`. Exits 1 on any problem.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { denoBin, root, runtimeEnv } from '../conformance/runtimes.mjs';

const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm'];
const attw = join(root, 'node_modules/.bin/attw');
const problems = [];
const fail = (pkg, message) => problems.push(`${pkg}: ${message}`);
const t0 = Date.now();

const tmp = mkdtempSync(join(tmpdir(), 'stt-packs-'));
try {
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const dev = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const name = dev.name;
    if (dev.private) continue;
    if (!existsSync(join(pkgDir, 'dist'))) {
      fail(name, 'dist/ is missing: run `pnpm build` first');
      continue;
    }

    // The tarball, as published.
    const packOut = execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', tmp], { cwd: pkgDir, encoding: 'utf8' });
    const tarball = packOut.trim().split('\n').pop().trim();
    const published = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
    console.log(`\n${name}: ${files.length} files, ${tarball.split('/').pop()}`);

    // publint on the tarball.
    const { messages, pkg } = await publint({ pack: { tarball: arrayBufferOf(readFileSync(tarball)) }, level: 'suggestion', strict: true });
    for (const m of messages) {
      const line = `publint ${m.type}: ${formatMessage(m, pkg, { color: false })}`;
      console.log(`  ${line}`);
      if (m.type !== 'suggestion') fail(name, line);
    }
    if (messages.length === 0) console.log('  publint: ok');

    // Are the types wrong? (ESM only: node10 and node16-from-CJS do not apply.)
    const a = spawnSync(attw, [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'table-flipped', '--no-emoji', '--no-color'], {
      encoding: 'utf8',
    });
    if (a.status === 0) console.log('  attw (esm-only): ok');
    else {
      console.log(`${a.stdout}${a.stderr}`.replace(/^/gm, '  | '));
      fail(name, 'attw found problems (above)');
    }

    // The fields the project promises.
    const exportsOf = published.exports ?? {};
    for (const [sub, target] of Object.entries(exportsOf)) {
      if (typeof target !== 'object' || target === null) continue;
      const conditions = Object.keys(target);
      if (conditions[0] !== 'types') fail(name, `exports["${sub}"]: \`types\` must come first (got ${conditions.join(', ')})`);
      if ('source' in target) fail(name, `exports["${sub}"]: the \`source\` condition is for development; publishConfig.exports must drop it`);
      if (!('import' in target) && !('default' in target)) fail(name, `exports["${sub}"]: no \`import\`/\`default\` condition`);
    }
    if (published.type !== 'module') fail(name, '`type` must be "module" (ESM only)');
    if (published.sideEffects !== false) fail(name, '`sideEffects` must be false');
    if (!Array.isArray(published.files) || published.files.length === 0) fail(name, '`files` is missing');
    if (!published.engines?.node) fail(name, '`engines.node` is missing');
    if (!published.license) fail(name, '`license` is missing');
    if (!published.repository?.url || published.repository.directory !== `packages/${dir}`) {
      fail(name, '`repository` needs `url` and `directory` (packages/' + dir + ')');
    }
    if (!files.includes('package/LICENSE')) fail(name, 'LICENSE is not in the tarball');
    if (files.some((f) => /\.test\.ts$/.test(f))) fail(name, 'test files are in the tarball');
    for (const [dep, range] of Object.entries(published.dependencies ?? {})) {
      if (String(range).startsWith('workspace:')) fail(name, `dependency ${dep} is still ${range}`);
    }

    if (dir === 'core') checkJsr(pkgDir, dev);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

function checkJsr(pkgDir, dev) {
  const name = dev.name;
  const jsr = JSON.parse(readFileSync(join(pkgDir, 'jsr.json'), 'utf8'));
  const deno = JSON.parse(readFileSync(join(pkgDir, 'deno.json'), 'utf8'));
  if (jsr.name !== dev.name) fail(name, `jsr.json name ${jsr.name} ≠ package.json ${dev.name}`);
  if (jsr.version !== dev.version) fail(name, `jsr.json version ${jsr.version} ≠ package.json ${dev.version}`);
  // jsr.json exports each npm subpath's source (the `source` condition): `.` and `./internal`.
  const sources = Object.fromEntries(
    Object.entries(dev.exports ?? {}).flatMap(([sub, target]) => (typeof target === 'object' && target?.source ? [[sub, target.source]] : [])),
  );
  const jsrExports = typeof jsr.exports === 'string' ? { '.': jsr.exports } : (jsr.exports ?? {});
  if (JSON.stringify(jsrExports) !== JSON.stringify(sources)) {
    fail(name, `jsr.json exports must be ${JSON.stringify(sources)} (what the npm \`source\` conditions point at), got ${JSON.stringify(jsr.exports)}`);
  }
  // Every npm dependency is in both import maps, with the same range.
  const deps = dev.dependencies ?? {};
  for (const [map, file] of [
    [jsr.imports ?? {}, 'jsr.json'],
    [deno.imports ?? {}, 'deno.json'],
  ]) {
    for (const [dep, range] of Object.entries(deps)) {
      if (map[dep] !== `npm:${dep}@${range}`) fail(name, `${file} imports["${dep}"] should be "npm:${dep}@${range}" (package.json), got ${map[dep]}`);
    }
    for (const dep of Object.keys(map)) if (!(dep in deps)) fail(name, `${file} imports["${dep}"] is not a package.json dependency`);
  }
  const bin = denoBin();
  if (!bin) {
    fail(name, 'deno (npm package `deno`) is not installed: cannot check jsr.json');
    return;
  }
  const run = (args) => spawnSync(bin, args, { cwd: pkgDir, env: runtimeEnv, encoding: 'utf8' });
  const check = run(['check', ...Object.values(sources)]);
  if (check.status === 0) console.log(`  deno check ${Object.values(sources).join(' ')} (deno.json: DOM + ES2022 libs): ok`);
  else fail(name, `deno check failed:\n${check.stdout}${check.stderr}`);
  const pub = run(['publish', '--dry-run', '--allow-dirty', '--config', 'jsr.json']);
  if (pub.status === 0) console.log('  deno publish --dry-run --config jsr.json (types, slow types, files): ok');
  else fail(name, `deno publish --dry-run failed:\n${pub.stdout}${pub.stderr}`);
}

console.log('');
for (const p of problems) console.log(`✗ ${p}`);
console.log(`${problems.length === 0 ? 'packages ok' : `${problems.length} problem(s)`} (${Date.now() - t0} ms)`);
process.exit(problems.length === 0 ? 0 : 1);

function arrayBufferOf(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}
