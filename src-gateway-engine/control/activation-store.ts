/**
 * The gateway's control-plane state on disk, in `<dataDir>/control/` (folder 0700):
 *
 *   activation.json          the credentials received at activation (0600); present = activated
 *   pending-activation.json  an activation key waiting for the administrator, with the CA
 *                            pinned for it (0600), so a restarted engine keeps polling and
 *                            `tidegate activate` talks to the control plane with the same trust
 *
 * Both are written atomically (private-file.ts): after a crash each is the old or the new one.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { controlDir } from './gateway-key.js';
import { ensurePrivateDir, removePrivateFile, writePrivateFile } from './private-file.js';

/** What activation.json holds. */
export interface ActivationRecord {
  /** The control plane's origin, `https://host:port`. */
  controlPlaneUrl: string;
  gatewayId: string;
  accountId: string;
  name: string;
  timezone: string;
  /** The CA pinned for every later connection. */
  caCertPem: string;
  activatedAt: string;
}

/** What pending-activation.json holds. */
export interface PendingActivationRecord {
  controlPlaneUrl: string;
  /** The CA pinned for this activation (given, embedded, or trusted on first use). */
  caCertPem: string;
  activationKey: string;
  expiresAt: string;
}

/** Path of activation.json in a data dir. */
export function activationPath(dataDir: string): string {
  return join(controlDir(dataDir), 'activation.json');
}

/** Path of pending-activation.json in a data dir. */
export function pendingActivationPath(dataDir: string): string {
  return join(controlDir(dataDir), 'pending-activation.json');
}

/** The stored credentials, or null when the gateway was never activated. Throws CORRUPT for a damaged file. */
export async function loadActivation(dataDir: string): Promise<ActivationRecord | null> {
  const raw = await readJson(activationPath(dataDir));
  if (raw === null) return null;
  const fields = ['controlPlaneUrl', 'gatewayId', 'accountId', 'name', 'timezone', 'caCertPem', 'activatedAt'] as const;
  return pickStrings(raw, fields, activationPath(dataDir));
}

/** Stores the credentials (atomically, 0600). */
export async function saveActivation(dataDir: string, record: ActivationRecord): Promise<void> {
  await ensurePrivateDir(controlDir(dataDir));
  await writePrivateFile(activationPath(dataDir), `${JSON.stringify(record, null, 1)}\n`);
}

/** The pending activation, or null. Throws CORRUPT for a damaged file. */
export async function loadPendingActivation(dataDir: string): Promise<PendingActivationRecord | null> {
  const raw = await readJson(pendingActivationPath(dataDir));
  if (raw === null) return null;
  return pickStrings(raw, ['controlPlaneUrl', 'caCertPem', 'activationKey', 'expiresAt'] as const, pendingActivationPath(dataDir));
}

/** Stores the pending activation (atomically, 0600). */
export async function savePendingActivation(dataDir: string, record: PendingActivationRecord): Promise<void> {
  await ensurePrivateDir(controlDir(dataDir));
  await writePrivateFile(pendingActivationPath(dataDir), `${JSON.stringify(record, null, 1)}\n`);
}

/** Forgets the pending activation; with `activationKey`, only if the file still names that key (a newer attempt's file stays). */
export async function clearPendingActivation(dataDir: string, activationKey?: string): Promise<void> {
  if (activationKey !== undefined) {
    const current = await loadPendingActivation(dataDir).catch(() => null);
    if (current !== null && current.activationKey !== activationKey) return;
  }
  await removePrivateFile(pendingActivationPath(dataDir));
}

/**
 * The CA the gateway pinned for the control plane at `origin`: the pending activation's, else
 * the activation's; null when it pinned none for that origin. For `tidegate activate`, which
 * must talk to the same control plane with the same trust as the engine.
 */
export async function readPinnedControlCa(dataDir: string, origin: string): Promise<string | null> {
  const pending = await loadPendingActivation(dataDir);
  if (pending?.controlPlaneUrl === origin) return pending.caCertPem;
  const active = await loadActivation(dataDir);
  return active?.controlPlaneUrl === origin ? active.caCertPem : null;
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new TidegateError(ErrorCode.IoError, `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new TidegateError(ErrorCode.Corrupt, `${path} is not a JSON object; delete it and activate the gateway again`);
}

function pickStrings<K extends string>(raw: Record<string, unknown>, keys: readonly K[], path: string): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const k of keys) {
    const v = raw[k];
    if (typeof v !== 'string' || v === '') throw new TidegateError(ErrorCode.Corrupt, `${path} has no valid "${k}"; delete it and activate the gateway again`);
    out[k] = v;
  }
  return out;
}
