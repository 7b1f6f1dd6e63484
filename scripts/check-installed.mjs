#!/usr/bin/env node
// The packages as a user installs them. Packs every packages/*
// (`pnpm pack`: publishConfig applied, workspace:* replaced), installs the
// tarballs with plain `npm install` into a fresh project in the system temp
// directory (outside the workspace, so nothing resolves from it), and there:
//   1. for each package entry (`exports` subpaths), the value exports its
//      `.d.ts` declares (TypeScript's checker, type-only exports left out)
//      must equal the keys of the module at run time, on Node, Bun and Deno;
//   2. a consumer (scripts/installed/consumer*.ts) compiles with
//      `tsc --strict --skipLibCheck false`, only @types/node added;
//   3. that consumer runs on Node: the emulator, fileSource → createTranscriber,
//      transcribe, and the SttErrors it catches, with their codes;
//   4. @stt-stream/browser is bundled by Vite for the browser and the page
//      runs in Chromium: its exports, and a refused option's TypeError;
//   5. a JavaScript user's first hour (scripts/installed/first-hour*.mjs):
//      a misspelt option is a TypeError naming the right one, `url` goes where
//      it says, no key fails at once with `unauthenticated` (on Node, and
//      core's part on Bun and Deno too, the same output);
//   6. the CLI as the README says: `npx stt-stream --help`, `npx stt-stream
//      emulator`, `npx stt-stream transcribe … -o x.srt` against it, and no key.
//
// Run after `pnpm build`. Needs the npm registry (typescript, @types/node,
// vite and the packages' own dependencies); nothing else from the network.
// Exits 1 on any failure; removes its temporary directory.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import ts from 'typescript';
import { chromium } from 'playwright-core';
import { bunBin, denoBin, root, runtimeEnv } from '../conformance/runtimes.mjs';

const pnpm = process.env.npm_execpath?.includes('pnpm') ? [process.execPath, process.env.npm_execpath] : ['pnpm'];
const fixtures = join(root, 'scripts/installed');
const failures = [];
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

function fail(message) {
  failures.push(message);
  console.log(`  ✗ ${message}`);
}

/** Runs a command; on failure records it with its output. Returns the result. */
function run(what, cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 90_000, maxBuffer: 1 << 26, ...options });
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
    fail(`${what} failed (${why})\n${`${r.stdout ?? ''}${r.stderr ?? ''}`.trim().replace(/^/gm, '    | ')}`);
  }
  return r;
}

const tmp = mkdtempSync(join(tmpdir(), 'stt-installed-'));
const app = join(tmp, 'app');
try {
  // --- pack and install ---------------------------------------------------
  const tarballs = [];
  const packages = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const pkgDir = join(root, 'packages', dir);
    if (!existsSync(join(pkgDir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    if (pkg.private) continue;
    if (!existsSync(join(pkgDir, 'dist'))) throw new Error(`${pkg.name}: dist/ is missing: run \`pnpm build\` first`);
    const out = execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', tmp], { cwd: pkgDir, encoding: 'utf8' });
    tarballs.push(out.trim().split('\n').pop().trim());
    packages.push(pkg.name);
  }
  console.log(`packed ${packages.join(', ')}`);

  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'stt-stream-installed-check', private: true, type: 'module' }, null, 2));
  const install = run(
    'npm install of the tarballs',
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-progress', '--loglevel=error', '--prefer-offline', ...tarballs, 'typescript@5.9', '@types/node@20', 'vite@7'],
    { cwd: app, timeout: 100_000, env: { ...process.env, npm_config_update_notifier: 'false' } },
  );
  if (install.status !== 0) throw new Error('cannot go on without the installed packages');
  console.log(`npm install ${packages.join(' ')} (tarballs) typescript@5.9 @types/node@20 vite@7: ok (${elapsed()})`);

  // --- 1. declared value exports = runtime exports --------------------------
  const specifiers = [];
  for (const name of packages) {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'));
    for (const sub of Object.keys(pkg.exports ?? { '.': null })) {
      if (sub.endsWith('.json')) continue;
      specifiers.push(sub === '.' ? name : `${name}${sub.slice(1)}`);
    }
  }
  const declared = declaredExports(specifiers);
  console.log('\nvalue exports declared by each entry\'s .d.ts, and at run time:');
  for (const spec of specifiers) {
    const d = declared.get(spec);
    console.log(`  ${spec}: ${d.values.length} values, ${d.types.length} types declared`);
  }
  const keysScript = join(app, 'keys.mjs');
  writeFileSync(
    keysScript,
    `const out = {};\nfor (const spec of ${JSON.stringify(specifiers)}) {\n` +
      `  try { out[spec] = Object.keys(await import(spec)).sort(); } catch (err) { out[spec] = { error: String(err?.stack ?? err) }; }\n` +
      `}\nconsole.log(JSON.stringify(out));\n`,
  );
  const runtimes = [['Node', process.execPath, [keysScript]]];
  const bun = bunBin();
  const deno = denoBin();
  if (bun) runtimes.push(['Bun', bun, [keysScript]]);
  else fail('Bun (npm package `bun`) is not installed in the workspace');
  // Deno resolves the bare specifiers from this project's node_modules (manual mode), offline.
  if (deno) runtimes.push(['Deno', deno, ['run', '-A', '--no-lock', '--node-modules-dir=manual', '--cached-only', keysScript]]);
  else fail('Deno (npm package `deno`) is not installed in the workspace');
  for (const [runtime, bin, args] of runtimes) {
    const r = run(`listing the exports on ${runtime}`, bin, args, { cwd: app, env: runtimeEnv });
    if (r.status !== 0) continue;
    const actual = JSON.parse(r.stdout.trim().split('\n').pop());
    for (const spec of specifiers) compareExports(`${spec} on ${runtime}`, declared.get(spec).values, actual[spec]);
  }

  // --- 2. a strict consumer compiles ------------------------------------------
  console.log('\nconsumer compiles (tsc --strict --skipLibCheck false, module nodenext, @types/node only):');
  for (const f of ['consumer.ts', 'consumer-browser.ts']) cpSync(join(fixtures, f), join(app, f));
  const tsc = run('tsc on consumer.ts, consumer-browser.ts', process.execPath, [
    join(app, 'node_modules/typescript/bin/tsc'),
    '--strict', '--skipLibCheck', 'false', '--noEmit',
    '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node',
    'consumer.ts', 'consumer-browser.ts',
  ], { cwd: app });
  if (tsc.status === 0) console.log('  ok  consumer.ts, consumer-browser.ts');

  // --- 3. the consumer runs -------------------------------------------------
  console.log('\nconsumer runs on Node (emulator, createTranscriber, transcribe, SttError):');
  const js = ts.transpileModule(readFileSync(join(app, 'consumer.ts'), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  writeFileSync(join(app, 'consumer.mjs'), js);
  const consumer = run('the consumer program', process.execPath, ['consumer.mjs'], { cwd: app, timeout: 30_000 });
  if (consumer.status === 0) process.stdout.write(consumer.stdout);

  // --- 4. the browser package, bundled by Vite, in Chromium -------------------
  console.log('\n@stt-stream/browser bundled by Vite, in Chromium:');
  cpSync(join(fixtures, 'web'), join(app, 'web'), { recursive: true });
  const vite = run('vite build', process.execPath, [join(app, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error', 'web'], { cwd: app });
  if (vite.status === 0) {
    const page = await loadInChromium(join(app, 'web/dist'));
    if (page.error) fail(`the page failed: ${page.error}`);
    else {
      compareExports('@stt-stream/browser in the Vite bundle', declared.get('@stt-stream/browser').values, page.result.keys);
      for (const [name, type] of Object.entries(page.result.types)) {
        if (type === 'function') console.log(`  ok  ${name} is a function`);
        else fail(`in the page, ${name} is ${type}, not a function`);
      }
      const thrown = page.result.thrown;
      const expected = 'Invalid option `apiKey`: anyone who opens the page can read an API key;';
      if (thrown?.isTypeError && thrown.message.startsWith(expected) && !thrown.message.includes('sk_test_page_key_89')) {
        console.log(`  ok  createTranscriber({ apiKey }) throws TypeError "${expected} …"`);
      } else fail(`createTranscriber({ apiKey }) in the page: expected a TypeError starting "${expected}", got ${JSON.stringify(thrown)}`);
    }
  }

  // --- 5. a JavaScript user's first hour -----------------------------------------
  console.log('\nfirst hour, from JavaScript (a misspelt option, `url`, no key):');
  for (const f of ['first-hour.mjs', 'first-hour-core.mjs']) cpSync(join(fixtures, f), join(app, f));
  const firstHour = run('first-hour.mjs on Node', process.execPath, ['first-hour.mjs'], { cwd: app, timeout: 30_000 });
  if (firstHour.status === 0) process.stdout.write(firstHour.stdout);
  const coreRuns = [['Node', process.execPath, ['first-hour-core.mjs']]];
  if (bun) coreRuns.push(['Bun', bun, ['first-hour-core.mjs']]);
  if (deno) coreRuns.push(['Deno', deno, ['run', '-A', '--no-lock', '--node-modules-dir=manual', '--cached-only', 'first-hour-core.mjs']]);
  const coreOut = new Map();
  for (const [runtime, bin, args] of coreRuns) {
    const r = run(`first-hour-core.mjs on ${runtime}`, bin, args, { cwd: app, env: runtimeEnv, timeout: 30_000 });
    if (r.status === 0) coreOut.set(runtime, r.stdout.trim().split('\n').pop());
  }
  const nodeCore = coreOut.get('Node') ? JSON.parse(coreOut.get('Node')) : null;
  const expectedCore = {
    unknownBatch: { class: 'TypeError', message: 'Unknown option `baseURL` for transcribe(); did you mean `baseUrl`?' },
    unknownTransport: { class: 'TypeError', message: 'Unknown option `header` for createWebSocketTransport(); did you mean `headers`?' },
    noKeyBatch: { class: 'SttAuthError', code: 'unauthenticated', message: firstHourMessage('transcribe') },
    noKeyStream: { class: 'SttAuthError', code: 'unauthenticated', message: firstHourMessage('stream') },
    connects: 0,
  };
  if (nodeCore) {
    for (const [key, value] of Object.entries(expectedCore)) {
      if (JSON.stringify(nodeCore[key]) === JSON.stringify(value)) console.log(`  ok  @stt-stream/core ${key}: ${JSON.stringify(value)}`);
      else fail(`@stt-stream/core ${key}: expected ${JSON.stringify(value)}, got ${JSON.stringify(nodeCore[key])}`);
    }
  }
  for (const [runtime, line] of coreOut) {
    if (runtime === 'Node') continue;
    if (line === coreOut.get('Node')) console.log(`  ok  the same on ${runtime}`);
    else fail(`first-hour-core.mjs on ${runtime} differs from Node:\n    ${line}\n    ${coreOut.get('Node')}`);
  }

  // --- 6. the CLI, as the README says -------------------------------------------
  console.log('\nthe CLI as the README says (npx stt-stream in the project):');
  await cliAsTheReadmeSays();
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

console.log('');
for (const f of failures) console.log(`✗ ${f.split('\n')[0]}`);
console.log(`${failures.length === 0 ? 'installed packages ok' : `${failures.length} failure(s)`} (${elapsed()})`);
process.exit(failures.length === 0 ? 0 : 1);

/** The no-key message of batch calls (`transcribe`) or streams. */
function firstHourMessage(api) {
  const pass =
    api === 'stream'
      ? 'pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY) or `token`'
      : 'pass `apiKey` (e.g. `apiKey: process.env.STT_STREAM_API_KEY`, or LLM_STATS_API_KEY)';
  return `${api === 'stream' ? 'No API key or token' : 'No API key'} for the hosted gateway (gateway.llm-stats.com): ${pass}; or, to use a server that needs none such as the local emulator, pass its \`url\``;
}

/**
 * `npx stt-stream …` in the installed project, as the README's command-line
 * section has it: the help, the emulator, a transcription against it written
 * to an .srt (the format from the extension), and no key for the hosted gateway.
 */
async function cliAsTheReadmeSays() {
  // A user's shell: none of the npm_* / pnpm settings this check runs under, no key.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_)/i.test(k)));
  env.npm_config_update_notifier = 'false';
  delete env.STT_STREAM_API_KEY;
  delete env.LLM_STATS_API_KEY;
  delete env.STT_STREAM_URL;
  const npx = (args, options = {}) => spawnSync('npx', ['stt-stream', ...args], { cwd: app, env, encoding: 'utf8', timeout: 60_000, ...options });
  const help = npx(['--help']);
  if (help.status === 0 && /transcribe/.test(help.stdout)) console.log('  ok  npx stt-stream --help');
  else fail(`npx stt-stream --help: exit ${help.status}\n${help.stdout}${help.stderr}`);

  cpSync(join(root, 'examples/audio/dtmf-demo.wav'), join(app, 'demo.wav'));
  const noKey = npx(['transcribe', 'demo.wav']);
  if (noKey.status === 3 && noKey.stderr.startsWith('stt-stream: No API key. Set STT_STREAM_API_KEY (or LLM_STATS_API_KEY) in the environment:\n')) {
    console.log('  ok  npx stt-stream transcribe demo.wav, no key: exit 3, "No API key. Set STT_STREAM_API_KEY …"');
  } else fail(`npx stt-stream transcribe without a key: exit ${noKey.status}\n${noKey.stderr}`);

  // Its own process group: npx's child (the emulator) gets the Ctrl-C too.
  const emulator = spawn('npx', ['stt-stream', 'emulator', '--port', '0'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    let out = '';
    const httpUrl = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 30_000);
      emulator.stdout.on('data', (d) => {
        out += d;
        const m = /batch:\s+(http:\/\/\S+)\/v1\/stt\/transcribe/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      emulator.on('exit', () => resolve(null));
    });
    if (!httpUrl) {
      fail(`npx stt-stream emulator --port 0 did not start:\n${out}`);
      return;
    }
    console.log(`  ok  npx stt-stream emulator --port 0: ${httpUrl}`);
    const r = await new Promise((resolve) => {
      const child = spawn('npx', ['stt-stream', 'transcribe', 'demo.wav', '--url', httpUrl, '-o', 'demo.srt'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    const srt = existsSync(join(app, 'demo.srt')) ? readFileSync(join(app, 'demo.srt'), 'utf8') : '';
    const cues = srt.trim().split('\n\n').map((cue) => cue.split('\n').slice(2).join(' '));
    if (r.code === 0 && JSON.stringify(cues) === JSON.stringify(['one two three four', 'five six seven eight', 'pound star zero'])) {
      console.log(`  ok  npx stt-stream transcribe demo.wav --url ${httpUrl} -o demo.srt: ${cues.length} cues`);
    } else fail(`npx stt-stream transcribe … -o demo.srt: exit ${r.code}, cues ${JSON.stringify(cues)}\n${r.stderr}`);
  } finally {
    if (emulator.exitCode === null) {
      const exited = new Promise((resolve) => emulator.on('exit', resolve));
      process.kill(-emulator.pid, 'SIGINT');
      await exited;
    }
  }
}

/**
 * The exports each specifier's declarations give a consumer in the installed
 * project (module nodenext, the `types` condition): value names (classes,
 * functions, constants) and type-only names.
 */
function declaredExports(specs) {
  const probe = join(app, 'probe.mts');
  writeFileSync(probe, specs.map((s, i) => `import * as m${i} from ${JSON.stringify(s)};\nvoid m${i};\n`).join(''));
  const program = ts.createProgram([probe], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.full.d.ts'],
    types: ['node'],
    typeRoots: [join(app, 'node_modules/@types')],
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(probe);
  const out = new Map();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement)) continue;
    const spec = statement.moduleSpecifier.text;
    const module = checker.getSymbolAtLocation(statement.moduleSpecifier);
    if (!module) throw new Error(`TypeScript cannot resolve the declarations of ${spec}`);
    const values = [];
    const types = [];
    for (const symbol of checker.getExportsOfModule(module)) {
      let target = symbol;
      let typeOnly = false;
      if (symbol.flags & ts.SymbolFlags.Alias) {
        typeOnly = checker.getTypeOnlyAliasDeclaration?.(symbol) !== undefined;
        target = checker.getAliasedSymbol(symbol);
      }
      (!typeOnly && target.flags & ts.SymbolFlags.Value ? values : types).push(symbol.name);
    }
    out.set(spec, { values: values.sort(), types: types.sort() });
  }
  return out;
}

function compareExports(where, declaredValues, actual) {
  if (!Array.isArray(actual)) {
    fail(`${where}: import failed: ${actual?.error ?? 'no result'}`);
    return;
  }
  const missing = declaredValues.filter((n) => !actual.includes(n));
  const extra = actual.filter((n) => !declaredValues.includes(n));
  if (missing.length === 0 && extra.length === 0) console.log(`  ok  ${where}: ${actual.length} value exports, as declared`);
  else {
    const parts = [];
    if (missing.length) parts.push(`missing at run time: ${missing.join(', ')}`);
    if (extra.length) parts.push(`not declared: ${extra.join(', ')}`);
    fail(`${where}: ${parts.join('; ')}`);
  }
}

/** Serves `dir` on 127.0.0.1 and loads its index.html in headless Chromium; returns what the page put in `window.__sttResult`. */
async function loadInChromium(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = await browser.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__sttResult !== undefined, undefined, { timeout: 10_000 }).catch(() => {});
    const result = await page.evaluate(() => window.__sttResult);
    if (!result) return { error: `no result from the page${errors.length ? `: ${errors.join('; ')}` : ''}` };
    if (errors.length) return { error: errors.join('; ') };
    return { result };
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
