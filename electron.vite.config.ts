import { defineConfig } from 'electron-vite';

// The Electron build (main, preload, renderer). Its entries arrive with the console issue;
// until then `npm run build` compiles the engine and the CLI with tsc and does not call this.
export default defineConfig({
  main: { build: { outDir: 'out/main', lib: { entry: 'src-main/electron/main.ts' } } },
  preload: { build: { outDir: 'out/preload', lib: { entry: 'src-main/electron/preload.ts' } } },
  renderer: { root: 'src-renderer', build: { outDir: 'out/renderer' } },
});
