import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the `stt-stream` bin; browser.ts is what the `browser` export condition resolves to.
  entry: ['src/index.ts', 'src/cli.ts', 'src/browser.ts'],
  format: ['esm'],
  // No shared chunk: esbuild drops `export * from '@stt-stream/core'` (an external) when it
  // moves it into one, and dist/index.js then lacks every core export. Each entry stands
  // alone (the CLI carries its own copy); scripts/check-installed.mjs guards the exports.
  splitting: false,
  dts: { entry: ['src/index.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
