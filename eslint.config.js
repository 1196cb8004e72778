// Lint rules, with the import boundaries of DESIGN.md §1 enforced per folder.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const otherPackages = (...names) => names.map((n) => ({ group: [`**/${n}/**`, n], message: `${n} is another process; talk to it through its public contract.` }));

const mainPatterns = [
  { group: ['**/src-gateway-engine/**', '!**/src-gateway-engine/index.js'], message: 'Import the engine through src-gateway-engine/index.ts only.' },
  { group: ['**/src-control-plane/**', '!**/src-control-plane/index.js'], message: 'Import the control plane through src-control-plane/index.ts only.' },
  ...otherPackages('src-renderer'),
];

// DESIGN.md §5: raw ipcMain only in the trusted wrapper, raw ipcRenderer only in the preload bridge.
const IPC_MAIN_FILE = 'src-main/ipc/electron-ipc.ts';
const IPC_RENDERER_FILE = 'src-main/electron/preload-bridge.ts';
const rawIpc = (...names) => ({
  name: 'electron',
  importNames: names,
  message: `Raw ${names.join('/')} lives in ${IPC_MAIN_FILE} (register handlers through createTrustedRegistrar) and ${IPC_RENDERER_FILE} (the window.tidegate API).`,
});
// The same ban for the ways around an import: electron.ipcMain, const { ipcMain } = electron, require('electron').
const rawIpcSyntax = [
  { selector: 'MemberExpression[property.name=/^ipc(Main|Renderer)$/]', message: `Use the typed IPC wrappers (${IPC_MAIN_FILE}, ${IPC_RENDERER_FILE}), not raw ipcMain/ipcRenderer.` },
  { selector: 'ObjectPattern > Property[key.name=/^ipc(Main|Renderer)$/]', message: `Use the typed IPC wrappers (${IPC_MAIN_FILE}, ${IPC_RENDERER_FILE}), not raw ipcMain/ipcRenderer.` },
  { selector: "CallExpression[callee.name='require'][arguments.0.value='electron']", message: 'Import Electron (in src-main/electron/ only); never require it.' },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'reports/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The engine: Node only. Never electron, never the DOM, never another src-* package.
    files: ['src-gateway-engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The engine runs without Electron.' }], patterns: otherPackages('src-main', 'src-renderer', 'src-control-plane') }],
      'no-restricted-globals': ['error', 'window', 'document', 'navigator', 'localStorage'],
    },
  },
  {
    // Main: may import the engine's and the (embedded) control plane's public index.ts only.
    // Only the desktop app (src-main/electron/) and its ipcMain wrapper load Electron, so the CLI and
    // the headless console run where there is none; raw ipcMain/ipcRenderer are banned (below).
    files: ['src-main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src-main/electron/ (and the ipcMain wrapper src-main/ipc/electron-ipc.ts) may load Electron: the CLI and the headless console run without it.' }], patterns: mainPatterns }],
      'no-restricted-syntax': ['error', ...rawIpcSyntax],
    },
  },
  {
    files: ['src-main/electron/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [rawIpc('ipcMain', 'ipcRenderer')], patterns: mainPatterns }] },
  },
  {
    files: [IPC_MAIN_FILE],
    rules: { 'no-restricted-imports': ['error', { paths: [rawIpc('ipcRenderer')], patterns: mainPatterns }] },
  },
  {
    files: [IPC_RENDERER_FILE],
    rules: { 'no-restricted-imports': ['error', { paths: [rawIpc('ipcMain')], patterns: mainPatterns }] },
  },
  {
    // The console: browser code; `import type` of main's IPC contract only. Its tsconfig has
    // Node's types (the contract's types reach the engine's sources), so Node is banned here.
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/src-main/**'], allowTypeImports: true, message: 'The renderer may only `import type` from main.' },
          { group: ['node:*'], message: 'The console runs in a browser (sandboxed): no Node modules.' },
          ...otherPackages('src-gateway-engine', 'src-control-plane'),
        ],
      }],
      'no-restricted-globals': ['error', 'process', 'Buffer', 'require', 'global', '__dirname', '__filename'],
    },
  },
  {
    // The control plane: Node only; `import type` of the engine's wire contract.
    files: ['src-control-plane/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The control plane runs without Electron.' }] }],
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/src-gateway-engine/**'], allowTypeImports: true, message: 'The control plane may only `import type` from the engine.' },
          ...otherPackages('src-main', 'src-renderer'),
        ],
      }],
    },
  },
);
