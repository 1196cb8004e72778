/**
 * Warnings about the local disks of the gateway, with stable codes the console and the
 * control plane can key on:
 *
 *   FILESYSTEM_TOO_SMALL    critical  a capacity is more than its filesystem can give (what it
 *                                     already uses plus the free space; shared when the cache
 *                                     and the upload buffer are on one filesystem)
 *   FILESYSTEM_NEARLY_FULL  warning   less than 5 % of a filesystem is free (critical < 1 %)
 *   CACHE_BELOW_GUIDANCE    warning   cache < 1.1 × upload buffer (AWS Storage Gateway's sizing rule)
 *   UPLOAD_BUFFER_HIGH      warning   a volume's write log is more than 80 % used (critical ≥ 95 %);
 *                                     writers of that volume are slowed when it is full
 *   CACHE_DIRTY_HIGH        warning   more than 80 % of the cache holds data not yet uploaded
 */
import { formatSize } from '../config/size.js';
import type { DiskAllocation, StorageWarning } from '../runtime/engine-commands.js';

/** Stable warning codes. */
export const StorageWarningCode = {
  FilesystemTooSmall: 'FILESYSTEM_TOO_SMALL',
  FilesystemNearlyFull: 'FILESYSTEM_NEARLY_FULL',
  CacheBelowGuidance: 'CACHE_BELOW_GUIDANCE',
  UploadBufferHigh: 'UPLOAD_BUFFER_HIGH',
  CacheDirtyHigh: 'CACHE_DIRTY_HIGH',
} as const;

/** AWS's guidance: the cache should be at least 1.1 times the upload buffer. */
export const CACHE_TO_UPLOAD_BUFFER_RATIO = 1.1;
const HIGH_PERCENT = 80;
const CRITICAL_PERCENT = 95;
const NEARLY_FULL_FREE_PERCENT = 5;
const FULL_FREE_PERCENT = 1;

/** What the warnings are worked out from. */
export interface StorageFacts {
  cache: DiskAllocation;
  uploadBuffer: DiskAllocation;
  /** Both live on one filesystem (they share its free space). */
  sameFilesystem: boolean;
  /** Cache bytes written but not yet uploaded. */
  cacheDirtyBytes: number;
  /** The volume whose write log is fullest, when any volume is open. */
  fullestLog?: { volume: string; usedBytes: number; capacityBytes: number };
}

/** Every warning that applies, most severe first. */
export function storageWarnings(f: StorageFacts): StorageWarning[] {
  const out: StorageWarning[] = [];
  // What an allocation may still take from its filesystem (kept log files already hold theirs).
  const need = (a: DiskAllocation): number => Math.max(0, a.capacityBytes - a.usedBytes - (a.keptBytes ?? 0));
  if (f.sameFilesystem) {
    const missing = need(f.cache) + need(f.uploadBuffer) - f.cache.filesystemFreeBytes;
    if (missing > 0) {
      out.push({
        code: StorageWarningCode.FilesystemTooSmall,
        severity: 'critical',
        message: `the cache (${formatSize(f.cache.capacityBytes)}) and the upload buffer (${formatSize(f.uploadBuffer.capacityBytes)}) need ${formatSize(missing)} more than the filesystem holding ${f.cache.path} has free (${formatSize(f.cache.filesystemFreeBytes)}); lower them or free disk space`,
      });
    }
  } else {
    for (const [what, a] of [['cache', f.cache], ['upload buffer', f.uploadBuffer]] as const) {
      const missing = need(a) - a.filesystemFreeBytes;
      if (missing > 0) {
        out.push({
          code: StorageWarningCode.FilesystemTooSmall,
          severity: 'critical',
          message: `the ${what} (${formatSize(a.capacityBytes)}) needs ${formatSize(missing)} more than the filesystem holding ${a.path} has free (${formatSize(a.filesystemFreeBytes)}); lower it or free disk space`,
        });
      }
    }
  }
  for (const a of f.sameFilesystem ? [f.cache] : [f.cache, f.uploadBuffer]) {
    if (a.filesystemBytes <= 0) continue;
    const freePercent = (100 * a.filesystemFreeBytes) / a.filesystemBytes;
    if (freePercent < NEARLY_FULL_FREE_PERCENT) {
      out.push({
        code: StorageWarningCode.FilesystemNearlyFull,
        severity: freePercent < FULL_FREE_PERCENT ? 'critical' : 'warning',
        message: `the filesystem holding ${a.path} is nearly full: ${formatSize(a.filesystemFreeBytes)} free of ${formatSize(a.filesystemBytes)} (${freePercent.toFixed(1)} %)`,
      });
    }
  }
  const log = f.fullestLog;
  if (log !== undefined && log.capacityBytes > 0) {
    const percent = (100 * log.usedBytes) / log.capacityBytes;
    if (percent > HIGH_PERCENT) {
      out.push({
        code: StorageWarningCode.UploadBufferHigh,
        severity: percent >= CRITICAL_PERCENT ? 'critical' : 'warning',
        message: `the upload buffer of volume ${log.volume} is ${Math.min(100, percent).toFixed(0)} % used (${formatSize(log.usedBytes)} of ${formatSize(log.capacityBytes)}); its writers are slowed when it is full — check the object store and the upload bandwidth, or enlarge the upload buffer`,
      });
    }
  }
  if (f.cache.capacityBytes > 0) {
    const percent = (100 * f.cacheDirtyBytes) / f.cache.capacityBytes;
    if (percent > HIGH_PERCENT) {
      out.push({
        code: StorageWarningCode.CacheDirtyHigh,
        severity: 'warning',
        message: `${Math.min(100, percent).toFixed(0)} % of the cache holds data not yet uploaded (${formatSize(f.cacheDirtyBytes)}); reads of other data will miss the cache more often`,
      });
    }
  }
  if (f.cache.capacityBytes < CACHE_TO_UPLOAD_BUFFER_RATIO * f.uploadBuffer.capacityBytes) {
    out.push({
      code: StorageWarningCode.CacheBelowGuidance,
      severity: 'warning',
      message: `the cache (${formatSize(f.cache.capacityBytes)}) is smaller than 1.1 × the upload buffer (${formatSize(f.uploadBuffer.capacityBytes)}); give it at least ${formatSize(Math.ceil(CACHE_TO_UPLOAD_BUFFER_RATIO * f.uploadBuffer.capacityBytes))}`,
    });
  }
  return out.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1));
}
