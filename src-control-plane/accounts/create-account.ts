/** `tidegate control-plane account create NAME`: a new account and its first API token, in the embedded or the Redis state. */
import { mkdir } from 'node:fs/promises';
import type { AccountRecord } from '../state/index.js';
import { openControlPlaneState } from '../control-plane-server.js';
import { silentControlPlaneLogger, type ControlPlaneLogger } from '../log/control-plane-logger.js';

/** Where the accounts live: the embedded state in `dataDir`, or Redis. */
export interface AccountStateLocation {
  /** Absolute; used when `redisUrl` is null. */
  dataDir: string;
  redisUrl: string | null;
  /** Redis key prefix (default "tidegate:"). */
  redisKeyPrefix?: string;
}

const MAX_ACCOUNT_NAME_CHARS = 64;

/**
 * Create an account and return it with its token (shown once; only its hash is stored). With
 * the embedded state the control plane must not be running on the same folder (its lock).
 */
export async function createAccount(location: AccountStateLocation, name: string, logger: ControlPlaneLogger = silentControlPlaneLogger): Promise<{ account: AccountRecord; token: string }> {
  const chars = [...name].length;
  if (chars < 1 || chars > MAX_ACCOUNT_NAME_CHARS || /[\p{C}]/u.test(name) || name.trim() !== name) {
    throw new RangeError(`account name must be 1-${MAX_ACCOUNT_NAME_CHARS} printable characters without surrounding spaces (got ${JSON.stringify(name)})`);
  }
  if (location.redisUrl === null) await mkdir(location.dataDir, { recursive: true, mode: 0o700 });
  const state = await openControlPlaneState(
    { dataDir: location.dataDir, redis: location.redisUrl === null ? null : { url: location.redisUrl, keyPrefix: location.redisKeyPrefix ?? 'tidegate:' } },
    logger,
  );
  try {
    return await state.accounts.create(name);
  } finally {
    await state.close();
  }
}
