import { defineConfig } from 'tsup';

export default defineConfig({
  // internal.ts is `@stt-stream/core/internal` (for the sibling packages, not public). The two
  // entries share one chunk, so both see one copy of each class. resampler.ts is
  // `@stt-stream/core/resampler`, the same class the transcriber loads on demand. vad.ts is
  // `@stt-stream/core/vad` (voice activity detection).
  entry: ['src/index.ts', 'src/internal.ts', 'src/resampler.ts', 'src/vad.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
