/** The local block cache: speed only, disposable (DESIGN.md §2, invariant 4). */
export { BlockCache, type BlockCacheOptions, type PutOptions } from './block-cache.js';
export { type CacheStats, cacheHitPercent, cachePercentDirty, cachePercentUsed } from './cache-stats.js';
export { openCacheDataFile, type CacheDataFile, type CacheDataFileOpener } from './cache-data-file.js';
