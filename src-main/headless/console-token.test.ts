import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleTokenPath, loadOrCreateConsoleToken } from './console-token.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-token-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('loadOrCreateConsoleToken', () => {
  it('makes a 32-byte base64url token in DATA_DIR/console-token, readable by the owner only', async () => {
    const t = await loadOrCreateConsoleToken(dir);
    expect(consoleTokenPath(dir)).toBe(join(dir, 'console-token'));
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(await readFile(consoleTokenPath(dir), 'utf8')).toBe(`${t}\n`);
    expect(await mode(consoleTokenPath(dir))).toBe(0o600);
  });

  it('keeps the token across calls (a bookmarked URL keeps working)', async () => {
    const a = await loadOrCreateConsoleToken(dir);
    const b = await loadOrCreateConsoleToken(dir);
    expect(b).toBe(a);
  });

  it('makes a different token in another data dir', async () => {
    const other = await mkdtemp(join(tmpdir(), 'tg-token-'));
    try {
      expect(await loadOrCreateConsoleToken(other)).not.toBe(await loadOrCreateConsoleToken(dir));
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('replaces a malformed or too short token file', async () => {
    for (const junk of ['', 'short', 'has spaces in it but is long enough to pass a length check', '../../etc/passwd-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'x'.repeat(31)]) {
      await writeFile(consoleTokenPath(dir), junk, { mode: 0o600 });
      const t = await loadOrCreateConsoleToken(dir);
      expect(t, junk).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(t, junk).not.toBe(junk);
      expect((await readFile(consoleTokenPath(dir), 'utf8')).trim()).toBe(t);
    }
  });

  it('keeps a well-formed token an administrator wrote, and tightens its permissions', async () => {
    const mine = 'A'.repeat(40);
    await writeFile(consoleTokenPath(dir), `  ${mine}\n`);
    await chmod(consoleTokenPath(dir), 0o644);
    expect(await loadOrCreateConsoleToken(dir)).toBe(mine);
    expect(await mode(consoleTokenPath(dir))).toBe(0o600);
  });

  it('tightens the permissions of a replaced file made readable by others', async () => {
    await writeFile(consoleTokenPath(dir), 'junk');
    await chmod(consoleTokenPath(dir), 0o666);
    await loadOrCreateConsoleToken(dir);
    expect(await mode(consoleTokenPath(dir))).toBe(0o600);
  });
});
