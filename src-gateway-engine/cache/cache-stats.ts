/**
 * Counters of the block cache and the derived percentages storage administrators know
 * from AWS Storage Gateway (CacheHitPercent, CachePercentUsed, CachePercentDirty).
 */

/** A point-in-time snapshot of the cache's counters (counters are since `open`). */
export interface CacheStats {
  /** `get`s answered from the cache. */
  hits: number;
  /** `get`s not answered from the cache (not cached, lost a race, or a read error). */
  misses: number;
  /** CLEAN blocks dropped to make room. */
  evictions: number;
  /** `put`s refused because every slot was DIRTY or being written. */
  rejectedPuts: number;
  /** Cache-disk I/O errors absorbed (a `get` became a miss or a `put` returned false). */
  errors: number;
  /** Bytes of slots holding data or being written. */
  usedBytes: number;
  /** Bytes of DIRTY slots (pinned until `markClean`). */
  dirtyBytes: number;
  /** Usable capacity: whole slots only. */
  capacityBytes: number;
  blockSize: number;
}

/** Percent of reads answered by the cache; 0 before the first read. */
export function cacheHitPercent(stats: Pick<CacheStats, 'hits' | 'misses'>): number {
  const reads = stats.hits + stats.misses;
  return reads === 0 ? 0 : (stats.hits / reads) * 100;
}

/** Percent of the cache's capacity holding data. */
export function cachePercentUsed(stats: Pick<CacheStats, 'usedBytes' | 'capacityBytes'>): number {
  return stats.capacityBytes === 0 ? 0 : (stats.usedBytes / stats.capacityBytes) * 100;
}

/** Percent of the cache's capacity holding data not yet uploaded (DIRTY). */
export function cachePercentDirty(stats: Pick<CacheStats, 'dirtyBytes' | 'capacityBytes'>): number {
  return stats.capacityBytes === 0 ? 0 : (stats.dirtyBytes / stats.capacityBytes) * 100;
}
