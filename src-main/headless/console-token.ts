/**
 * The headless console's access token: 32 random bytes (base64url) in DATA_DIR/console-token
 * (0600), made on first start and kept, so a bookmarked URL keeps working across restarts.
 * Delete the file to revoke every browser's access (a new token is made on the next start).
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Path of the token file in a data dir. */
export function consoleTokenPath(dataDir: string): string {
  return join(dataDir, 'console-token');
}

/** Read the token, or make one. */
export async function loadOrCreateConsoleToken(dataDir: string): Promise<string> {
  const path = consoleTokenPath(dataDir);
  try {
    const t = (await readFile(path, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(t)) {
      await chmod(path, 0o600);
      return t;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('base64url');
  await writeFile(path, `${token}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
  return token;
}
