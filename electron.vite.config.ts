import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'electron-vite';

const root = dirname(fileURLToPath(import.meta.url));
const outNode = join(root, 'out', 'node') + sep;

/**
 * Main bundles only src-main/electron/. Everything else it imports (supervisor, handlers, engine,
 * control plane) is loaded from tsc's output in out/node, so that code exists once, with its own
 * import.meta.url (engineProcessEntryPath, the headless renderer dir).
 */
function nodeCodeFromOutNode(): Plugin {
  const electronDir = join(root, 'src-main', 'electron') + sep;
  return {
    name: 'tidegate:node-code-from-out-node',
    enforce: 'pre',
    resolveId(source, importer) {
      if (importer === undefined || !source.startsWith('.')) return null;
      const target = resolve(dirname(importer), source);
      if (target.startsWith(electronDir)) return null;
      const rel = relative(root, target);
      if (!/^src-(main|gateway-engine|control-plane)[\\/]/.test(rel)) return null;
      return { id: join(outNode, rel), external: true };
    },
  };
}

/** Fail the preload build if the bundle would require anything but 'electron' (a sandboxed preload cannot). */
function preloadRequiresOnlyElectron(): Plugin {
  return {
    name: 'tidegate:preload-requires-only-electron',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        const others = chunk.type === 'chunk' ? chunk.imports.filter((m) => m !== 'electron') : [];
        if (others.length > 0) this.error(`the sandboxed preload may require only 'electron', but ${chunk.fileName} requires ${others.join(', ')}`);
      }
    },
  };
}

// The Electron build (main, preload, renderer), run by `npm run build` after tsc has compiled
// the engine, control plane and CLI into out/node.
export default defineConfig({
  // ESM (package.json "type": "module"), loading the tsc-compiled node code from out/node.
  main: {
    plugins: [nodeCodeFromOutNode()],
    build: {
      outDir: 'out/main',
      lib: { entry: { index: 'src-main/electron/main.ts' } },
      // out/node/… as a path from out/main/index.js, however deep the importing source file sat.
      rollupOptions: { makeAbsoluteExternalsRelative: false, output: { paths: (id) => (id.startsWith(outNode) ? `../node/${relative(outNode, id).split(sep).join('/')}` : id) } },
    },
  },
  // A sandboxed preload must be one CommonJS file that requires nothing but 'electron'.
  preload: {
    plugins: [preloadRequiresOnlyElectron()],
    build: {
      outDir: 'out/preload',
      lib: { entry: 'src-main/electron/preload.ts', formats: ['cjs'] },
      rollupOptions: { output: { entryFileNames: 'index.cjs', inlineDynamicImports: true } },
    },
  },
  // The console. base './': the same build loads from file:// in Electron and from / on the
  // headless server. JSX comes from esbuild (src-renderer/tsconfig.json "jsx": "react-jsx").
  renderer: {
    root: 'src-renderer',
    base: './',
    build: {
      outDir: 'out/renderer',
      emptyOutDir: true,
      minify: true,
      // One local bundle (react, recharts, react-query): no network to save, so no splitting.
      chunkSizeWarningLimit: 1024,
      rollupOptions: {
        // electron-vite looks for src/renderer/index.html unless told.
        input: join(root, 'src-renderer', 'index.html'),
        onwarn(warning, warn) {
          // react-query marks its modules "use client" (for server components); harmless in a bundle.
          if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
          warn(warning);
        },
      },
    },
  },
});
