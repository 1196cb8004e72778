import type { DiskAllocation, StorageInfo } from '../../../../src-main/ipc/ipc-contract.js';
import { formatBytes } from '../../components/format/format-bytes.js';
import { CACHE_TO_BUFFER_RATIO, type SizingGuidance } from './sizing-guidance.js';

export interface CapacityCheck {
  /** Problems that block applying. */
  errors: string[];
  /** Things the administrator should know but may accept. */
  warnings: string[];
}

/**
 * Checks new cache and upload-buffer capacities against the disks (from `storage.describe`)
 * and, when given, the sizing guidance. The engine checks again; this only says it earlier.
 */
export function checkCapacities(info: StorageInfo, cacheBytes: number | null, uploadBufferBytes: number | null, guidance: SizingGuidance | null = null): CapacityCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (cacheBytes === null) errors.push('Enter a cache size (a positive number).');
  if (uploadBufferBytes === null) errors.push('Enter an upload buffer size (a positive number).');
  if (cacheBytes !== null) checkOne('cache', info.cache, cacheBytes, errors, warnings);
  if (uploadBufferBytes !== null) {
    checkOne('upload buffer', info.uploadBuffer, uploadBufferBytes, errors, warnings);
    if (uploadBufferBytes < info.uploadBuffer.usedBytes) {
      errors.push(`The upload buffer holds ${formatBytes(info.uploadBuffer.usedBytes)} not yet uploaded; it cannot be smaller than that.`);
    }
  }
  if (cacheBytes !== null && uploadBufferBytes !== null) {
    if (cacheBytes < uploadBufferBytes * CACHE_TO_BUFFER_RATIO) {
      warnings.push(`The cache (${formatBytes(cacheBytes)}) is smaller than 1.1 × the upload buffer (${formatBytes(Math.ceil(uploadBufferBytes * CACHE_TO_BUFFER_RATIO))}); writes waiting for upload could push hot data out.`);
    }
    if (sameFilesystem(info.cache, info.uploadBuffer)) {
      const growth = Math.max(0, cacheBytes - heldBytes(info.cache)) + Math.max(0, uploadBufferBytes - heldBytes(info.uploadBuffer));
      if (growth > info.cache.filesystemFreeBytes) {
        warnings.push(`Cache and upload buffer share a filesystem with ${formatBytes(info.cache.filesystemFreeBytes)} free; together they can grow by ${formatBytes(growth)}.`);
      }
    }
  }
  if (guidance) {
    if (uploadBufferBytes !== null && uploadBufferBytes < guidance.uploadBufferBytes) warnings.push(`The upload buffer is below the guidance of ${formatBytes(guidance.uploadBufferBytes)}.`);
    if (cacheBytes !== null && cacheBytes < guidance.minCacheBytes) warnings.push(`The cache is below the guidance of ${formatBytes(guidance.minCacheBytes)}.`);
  }
  return { errors, warnings };
}

function checkOne(what: string, alloc: DiskAllocation, bytes: number, errors: string[], warnings: string[]): void {
  if (bytes > alloc.filesystemBytes) {
    errors.push(`The ${what} (${formatBytes(bytes)}) is larger than the whole filesystem holding ${alloc.path} (${formatBytes(alloc.filesystemBytes)}).`);
  } else if (bytes - heldBytes(alloc) > alloc.filesystemFreeBytes) {
    warnings.push(`The filesystem holding the ${what} (${alloc.path}) has only ${formatBytes(alloc.filesystemFreeBytes)} free; the ${what} could not fill ${formatBytes(bytes)}.`);
  }
}

// Disk the allocation already holds: its data plus, for the upload buffer, the write logs' kept
// segment files, which later writes reuse (the engine's own fit check counts them the same way).
function heldBytes(alloc: DiskAllocation): number {
  return alloc.usedBytes + (alloc.keptBytes ?? 0);
}

// The engine reports the filesystem of each folder; equal size and free space means the same one.
function sameFilesystem(a: DiskAllocation, b: DiskAllocation): boolean {
  return a.filesystemBytes === b.filesystemBytes && a.filesystemFreeBytes === b.filesystemFreeBytes;
}
