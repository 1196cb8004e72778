/**
 * Checks a `storage.configure` request against the disks and what they hold, and turns it
 * into the new capacities to apply. Pure: the engine gathers the facts and applies the plan.
 *
 * The upload buffer is the volumes' write logs together: each volume's log gets an equal
 * share, `uploadBufferBytes / max(1, volumes)` (a volume created later gets the same share, so
 * the total grows with it). A share below two log segments (or the CLI's 8 MiB floor) is
 * refused, and so is a share below what any volume's log holds now: un-uploaded data is never
 * dropped. A cache may shrink below its use (it forgets blocks; see BlockCache.resize).
 * Growing is refused when the filesystem cannot give the extra space; shrinking never is.
 */
import { formatSize } from '../config/size.js';
import { ErrorCode, TidegateError } from '../errors/index.js';

/** Smallest upload buffer share a volume's write log may get (`tidegate serve` refuses less too). */
export const MIN_WRITE_LOG_BYTES = 8 * 1024 * 1024;

/** What the check needs to know. */
export interface StorageNow {
  cache: { capacityBytes: number; usedBytes: number; blockSize: number; maxBytes: number };
  writeLog: {
    /** Each volume's current share. */
    perVolumeBytes: number;
    segmentBytes: number;
    /** usedBytes: records not yet uploaded; keptBytes: uploaded segments' files kept for reuse. */
    volumes: Array<{ name: string; usedBytes: number; keptBytes?: number }>;
  };
  /** Free space of the filesystems holding the cache and the write logs; equal `device` = shared. */
  cacheFs: { device: number; freeBytes: number };
  writeLogFs: { device: number; freeBytes: number };
}

/** The capacities to apply; absent = unchanged. */
export interface StoragePlan {
  cacheBytes?: number;
  writeLogBytesPerVolume?: number;
}

/** The plan for `params`, or INVALID_ARGUMENT with a sentence saying what to change. */
export function planStorageChange(params: unknown, now: StorageNow): StoragePlan {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw invalid('storage settings must be an object { cacheBytes?, uploadBufferBytes? }');
  const p = params as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (key !== 'cacheBytes' && key !== 'uploadBufferBytes') throw invalid(`unknown storage setting "${key}" (known: cacheBytes, uploadBufferBytes)`);
  }
  const plan: StoragePlan = {};
  if (p.cacheBytes !== undefined) {
    const bytes = positiveInteger(p.cacheBytes, 'cacheBytes');
    if (bytes < now.cache.blockSize) throw invalid(`cacheBytes must be at least one cache block (${formatSize(now.cache.blockSize)}); got ${formatSize(bytes)}`);
    if (bytes > now.cache.maxBytes) throw invalid(`cacheBytes can be at most ${formatSize(now.cache.maxBytes)}; got ${formatSize(bytes)}`);
    plan.cacheBytes = bytes;
  }
  const volumes = now.writeLog.volumes;
  const shares = Math.max(1, volumes.length);
  if (p.uploadBufferBytes !== undefined) {
    const total = positiveInteger(p.uploadBufferBytes, 'uploadBufferBytes');
    const per = Math.floor(total / shares);
    const min = Math.max(MIN_WRITE_LOG_BYTES, 2 * now.writeLog.segmentBytes);
    const each = shares === 1 ? 'the upload buffer' : `each of the ${shares} volumes' share of the upload buffer`;
    if (per < min) {
      throw invalid(`${each} must be at least ${formatSize(min)} (two ${formatSize(now.writeLog.segmentBytes)} log segments, and no less than ${formatSize(MIN_WRITE_LOG_BYTES)}): give uploadBufferBytes at least ${formatSize(min * shares)}; got ${formatSize(total)}`);
    }
    const fullest = volumes.reduce<{ name: string; usedBytes: number } | undefined>((m, v) => (m === undefined || v.usedBytes > m.usedBytes ? v : m), undefined);
    if (fullest !== undefined && per < fullest.usedBytes) {
      throw invalid(
        `volume ${fullest.name} holds ${formatSize(fullest.usedBytes)} not yet uploaded; ${each} cannot go below that (un-uploaded data is never dropped): give uploadBufferBytes at least ${formatSize(fullest.usedBytes * shares)}, or wait for uploads`,
      );
    }
    plan.writeLogBytesPerVolume = per;
  }
  checkFits(plan, now, shares);
  return plan;
}

/** Refuse a change that makes the allocations need more than their filesystem has free. */
function checkFits(plan: StoragePlan, now: StorageNow, shares: number): void {
  // Kept log files already hold their disk: a larger share takes only the rest from the filesystem.
  const logUsed = now.writeLog.volumes.reduce((n, v) => n + v.usedBytes + (v.keptBytes ?? 0), 0);
  // What each allocation may still take from its filesystem; a shrunk cache forgets blocks first.
  const cacheNeed = (cap: number): number => Math.max(0, cap - Math.min(now.cache.usedBytes, cap));
  const logNeed = (perVolume: number): number => Math.max(0, perVolume * shares - logUsed);
  const before = { cache: cacheNeed(now.cache.capacityBytes), log: logNeed(now.writeLog.perVolumeBytes) };
  const after = { cache: cacheNeed(plan.cacheBytes ?? now.cache.capacityBytes), log: logNeed(plan.writeLogBytesPerVolume ?? now.writeLog.perVolumeBytes) };
  if (now.cacheFs.device === now.writeLogFs.device) {
    const free = now.cacheFs.freeBytes;
    const need = after.cache + after.log;
    if (need > free && need > before.cache + before.log) {
      throw invalid(`the cache and the upload buffer would need ${formatSize(need)} more disk space, but their filesystem has ${formatSize(free)} free`);
    }
    return;
  }
  if (after.cache > now.cacheFs.freeBytes && after.cache > before.cache) {
    throw invalid(`the cache would need ${formatSize(after.cache)} more disk space, but its filesystem has ${formatSize(now.cacheFs.freeBytes)} free`);
  }
  if (after.log > now.writeLogFs.freeBytes && after.log > before.log) {
    throw invalid(`the upload buffer would need ${formatSize(after.log)} more disk space, but its filesystem has ${formatSize(now.writeLogFs.freeBytes)} free`);
  }
}

function positiveInteger(x: unknown, name: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0) throw invalid(`${name} must be a positive integer number of bytes (got ${JSON.stringify(x)})`);
  return x;
}

function invalid(message: string): TidegateError {
  return new TidegateError(ErrorCode.InvalidArgument, message);
}
