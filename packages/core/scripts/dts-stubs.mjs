#!/usr/bin/env node
// After tsup: the declaration bundler shares the types of several entries in a
// chunk (`transcribe-<hash>.d.ts`) that the entries import as `./transcribe-<hash>.js`.
// TypeScript maps that specifier to the `.d.ts`; Deno, type-checking a local
// copy of the package (a workspace link), looks for the `.js` itself. A
// types-only stub beside each such chunk, pointing at its declarations with
// Deno's `@ts-self-types`, serves both; nothing imports it at run time.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';

const dist = new URL('../dist/', import.meta.url);
for (const name of readdirSync(dist)) {
  if (!name.endsWith('.d.ts')) continue;
  const js = name.replace(/\.d\.ts$/, '.js');
  if (existsSync(new URL(js, dist))) continue;
  writeFileSync(new URL(js, dist), `// @ts-self-types="./${name}"\n// Types only (shared declarations of the entries); nothing to run.\nexport {};\n`);
}
