import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findElectronBinary } from './electron-binary.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project folder with node_modules/electron as npm leaves it: with or without a downloaded binary. */
function project(o: { installed?: boolean; pathTxt?: string; binary?: boolean }): string {
  const root = mkdtempSync(join(tmpdir(), 'tidegate-electron-binary-'));
  dirs.push(root);
  if (o.installed === false) return root;
  const pkg = join(root, 'node_modules', 'electron');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  // An index.js that fails loudly: finding the binary must never load the package (it would try to download).
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'electron', version: '45.3.4', main: 'index.js' }));
  writeFileSync(join(pkg, 'index.js'), "throw new Error('electron/index.js was loaded');\n");
  if (o.pathTxt !== undefined) writeFileSync(join(pkg, 'path.txt'), o.pathTxt);
  if (o.binary === true) writeFileSync(join(pkg, 'dist', o.pathTxt ?? 'electron'), '');
  return root;
}

describe('findElectronBinary', () => {
  it('finds the downloaded binary that path.txt names', () => {
    const root = project({ pathTxt: 'electron', binary: true });
    expect(findElectronBinary(root, {})).toEqual({ path: join(root, 'node_modules', 'electron', 'dist', 'electron') });
  });

  it('says why when the binary was never downloaded, without loading the package', () => {
    expect(findElectronBinary(project({}), {})).toEqual({ path: null, reason: expect.stringContaining('not downloaded') });
  });

  it('says why when path.txt names a binary that is not there', () => {
    expect(findElectronBinary(project({ pathTxt: 'electron' }), {})).toEqual({ path: null, reason: expect.stringContaining('missing') });
  });

  it('says why when the electron package is not installed', () => {
    expect(findElectronBinary(project({ installed: false }), {})).toEqual({ path: null, reason: 'the electron package is not installed' });
  });

  it('honours $ELECTRON_OVERRIDE_DIST_PATH as the package itself does', () => {
    const root = project({});
    const dist = mkdtempSync(join(tmpdir(), 'tidegate-electron-dist-'));
    dirs.push(dist);
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: dist })).toMatchObject({ path: null });
    writeFileSync(join(dist, 'electron'), '');
    expect(findElectronBinary(root, { ELECTRON_OVERRIDE_DIST_PATH: dist })).toEqual({ path: join(dist, 'electron') });
  });
});
