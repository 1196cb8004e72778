/**
 * The embedded control plane's own account: on first start it creates the account `local`
 * and writes its token to `<dataDir>/admin-token` (0600), which `tidegate activate` uses when no
 * `--token` is given. The token is written to a temporary file (exclusive create, 0600) that is
 * then renamed into place, so a crash never leaves a partial token file.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';
import type { AccountStore } from '../state/index.js';

/** Name of the embedded control plane's account. */
export const LOCAL_ACCOUNT_NAME = 'local';

/** Make sure the `local` account exists and its token is in `tokenFile`; returns the file, or null when the token is lost. */
export async function ensureLocalAccount(accounts: AccountStore, tokenFile: string, logger: ControlPlaneLogger): Promise<string | null> {
  const existing = await readFile(tokenFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (existing !== null && existing.trim() !== '') return tokenFile;
  if ((await accounts.list()).some((a) => a.name === LOCAL_ACCOUNT_NAME)) {
    // Only the token's hash is stored: it cannot be written again.
    logger.warn(`account "${LOCAL_ACCOUNT_NAME}" exists but ${tokenFile} is missing; create a token with "tidegate control-plane account create NAME"`);
    return null;
  }
  const { account, token } = await accounts.create(LOCAL_ACCOUNT_NAME);
  await writeSecretFile(tokenFile, `${token}\n`);
  logger.info('created the local administrator account', { accountId: account.id, tokenFile });
  return tokenFile;
}

/** Write `text` to `path` readable by the owner only (0600), atomically. */
export async function writeSecretFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
