// Lets Node 20 run the conformance TypeScript as it is: `node --import ./conformance/ts-hooks.mjs file.ts`.
// Types are stripped with esbuild (a dev dependency already); nothing else changes.
import { register } from 'node:module';

register('./ts-loader.mjs', import.meta.url);
