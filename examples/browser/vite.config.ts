import { defaultClientConditions, defineConfig } from 'vite';

export default defineConfig({
  // In this workspace, build from the packages' TypeScript sources (their
  // `source` export condition), so no package build is needed first. An app
  // that installs @stt-stream/browser from npm needs none of this.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  // getUserMedia needs a secure context: http://127.0.0.1 is one.
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
  build: { target: 'es2022' },
});
