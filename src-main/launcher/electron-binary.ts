/**
 * Where the Electron binary of the installed `electron` package is, without loading that
 * package. Loading it runs its index.js, which tries to download the binary when there is none.
 * So this reads what its index.js reads: $ELECTRON_OVERRIDE_DIST_PATH, else dist/ plus the
 * name in path.txt. Then it checks that the file exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The binary's path, or why there is none. */
export type ElectronBinary = { path: string } | { path: null; reason: string };

/** Find the Electron binary next to the `electron` package that `fromDir`'s node_modules resolves. */
export function findElectronBinary(fromDir: string, env: NodeJS.ProcessEnv = process.env): ElectronBinary {
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(join(fromDir, 'noop.js')).resolve('electron/package.json'));
  } catch {
    return { path: null, reason: 'the electron package is not installed' };
  }
  let name: string | null = null;
  try {
    name = readFileSync(join(packageDir, 'path.txt'), 'utf8').trim();
  } catch {
    // no path.txt: the install step did not download a binary
  }
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override !== undefined && override !== '') {
    const path = join(override, name ?? 'electron');
    return existsSync(path) ? { path } : { path: null, reason: `no Electron binary at $ELECTRON_OVERRIDE_DIST_PATH (${path})` };
  }
  if (name === null || name === '') return { path: null, reason: 'the Electron binary was not downloaded (installed with ELECTRON_SKIP_BINARY_DOWNLOAD, or offline)' };
  const path = join(packageDir, 'dist', name);
  return existsSync(path) ? { path } : { path: null, reason: `the Electron binary is missing (${path})` };
}
