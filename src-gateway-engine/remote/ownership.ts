/**
 * Invariant 6, one owner: `owner.json` names the gateway that owns a volume and its epoch.
 * A gateway that finds another owner refuses to open the volume unless forced; a forced
 * takeover bumps the epoch and then commits a head with it. Heads are create-only and
 * numbered, so the old owner's next head commit collides and it fail-stops (fencing).
 */
import { hostname } from 'node:os';
import { ErrorCode, TidegateError, hasCode } from '../errors/index.js';
import type { ObjectStore } from '../objectstore/index.js';

export interface OwnerRecord {
  gatewayId: string;
  epoch: number;
  hostname: string;
  pid: number;
  acquiredAt: string;
}

/** Take (or confirm) ownership of a volume; returns our epoch. */
export async function acquireOwnership(
  store: ObjectStore,
  ownerKey: string,
  volumeName: string,
  gatewayId: string,
  force: boolean,
): Promise<OwnerRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readOwner(store, ownerKey);
    const mine: OwnerRecord = { gatewayId, epoch: 1, hostname: hostname(), pid: process.pid, acquiredAt: new Date().toISOString() };
    if (!current) {
      try {
        await store.put(ownerKey, encode(mine), { ifNoneMatch: true });
        return mine;
      } catch (err) {
        if (hasCode(err, ErrorCode.PreconditionFailed)) continue; // someone raced us: look again
        throw err;
      }
    }
    if (current.gatewayId === gatewayId) return current;
    if (!force) {
      throw new TidegateError(
        ErrorCode.VolumeOwned,
        `volume ${volumeName} is owned by gateway ${current.gatewayId} on ${current.hostname} (since ${current.acquiredAt}); use recover --force to take it over`,
      );
    }
    const taken: OwnerRecord = { ...mine, epoch: current.epoch + 1 };
    await store.put(ownerKey, encode(taken));
    return taken;
  }
  throw new TidegateError(ErrorCode.PreconditionFailed, `could not settle the owner of volume ${volumeName}: too many concurrent claims`);
}

/** The current owner, or undefined. */
export async function readOwner(store: ObjectStore, ownerKey: string): Promise<OwnerRecord | undefined> {
  try {
    return JSON.parse((await store.get(ownerKey)).toString('utf8')) as OwnerRecord;
  } catch (err) {
    if (hasCode(err, ErrorCode.NotFound)) return undefined;
    throw err;
  }
}

function encode(o: OwnerRecord): Buffer {
  return Buffer.from(JSON.stringify(o, null, 1));
}
