import { defineConfig } from 'tsup';

export default defineConfig({
  // The CLI keeps its `#!/usr/bin/env node` line (esbuild preserves an entry's hashbang).
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
