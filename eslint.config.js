// Lint rules, with the import boundaries of DESIGN.md §1 enforced per folder.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const otherPackages = (...names) => names.map((n) => ({ group: [`**/${n}/**`, n], message: `${n} is another process; talk to it through its public contract.` }));

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
    files: ['src-main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/src-gateway-engine/**', '!**/src-gateway-engine/index.js'], message: 'Import the engine through src-gateway-engine/index.ts only.' },
          { group: ['**/src-control-plane/**', '!**/src-control-plane/index.js'], message: 'Import the control plane through src-control-plane/index.ts only.' },
          ...otherPackages('src-renderer'),
        ],
      }],
    },
  },
  {
    // The console: browser code; `import type` of main's IPC contract only.
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/src-main/**'], allowTypeImports: true, message: 'The renderer may only `import type` from main.' },
          ...otherPackages('src-gateway-engine', 'src-control-plane'),
        ],
      }],
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
