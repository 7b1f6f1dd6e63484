import { defineConfig } from 'tsup';

export default defineConfig({
  // cli.ts is the `stt-stream` bin; browser.ts is what the `browser` export condition resolves to.
  entry: ['src/index.ts', 'src/cli.ts', 'src/browser.ts'],
  format: ['esm'],
  dts: { entry: ['src/index.ts'] },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
