import { defineConfig } from 'tsup';

export default defineConfig({
  // internal.ts is `@stt-stream/core/internal` (for the sibling packages, not public). The two
  // entries share one chunk, so both see one copy of each class.
  entry: ['src/index.ts', 'src/internal.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
