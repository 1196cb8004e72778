import { mkdtemp, readFile, rm, stat, writeFile, appendFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { BlockCache, type BlockCacheOptions } from './block-cache.js';
import { openCacheDataFile } from './cache-data-file.js';
import { DATA_FILE_NAME, INDEX_FILE_NAME } from './cache-format.js';
import { cacheHitPercent, cachePercentDirty, cachePercentUsed } from './cache-stats.js';
import { MemoryDataFile, deferred, faultyOpener, type Faults } from './test/fake-data-files.js';

const BS = 512;

/** A block whose content names its key and version, so a wrong read is recognisable. */
function block(vol: string, index: number, version = 0): Buffer {
  const b = Buffer.alloc(BS, 0xa5);
  b.write(`${vol}:${index}:${version}`, 0, 'utf8');
  return b;
}

let dir: string;
const open: BlockCache[] = [];

async function openCache(slots: number, extra: Partial<BlockCacheOptions> = {}): Promise<BlockCache> {
  const c = await BlockCache.open({ dir, capacityBytes: slots * BS, blockSize: BS, ...extra });
  open.push(c);
  return c;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tidegate-cache-'));
});

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  await rm(dir, { recursive: true, force: true });
});

describe('basic access and accounting', () => {
  it('returns what was put, per volume, and counts hits and misses', async () => {
    const c = await openCache(8);
    expect(await c.get('v1', 0)).toBeUndefined();
    expect(await c.put('v1', 0, block('v1', 0))).toBe(true);
    expect(await c.put('v2', 0, block('v2', 0))).toBe(true);
    expect(await c.get('v1', 0)).toEqual(block('v1', 0));
    expect(await c.get('v2', 0)).toEqual(block('v2', 0));
    expect(await c.get('v2', 1)).toBeUndefined();
    const s = c.stats();
    expect(s).toMatchObject({ hits: 2, misses: 2, errors: 0, usedBytes: 2 * BS, dirtyBytes: 0, capacityBytes: 8 * BS });
    expect(cacheHitPercent(s)).toBe(50);
    expect(cachePercentUsed(s)).toBe(25);
    expect(cachePercentDirty(s)).toBe(0);
  });

  it('handles block indexes up to 2^33 and beyond', async () => {
    const c = await openCache(4);
    const big = 2 ** 33 + 7;
    await c.put('v', big, block('v', big));
    expect(await c.get('v', big)).toEqual(block('v', big));
    expect(await c.get('v', 7)).toBeUndefined();
  });

  it('replaces a block on a second put', async () => {
    const c = await openCache(4);
    await c.put('v', 5, block('v', 5, 1));
    await c.put('v', 5, block('v', 5, 2));
    expect(await c.get('v', 5)).toEqual(block('v', 5, 2));
    expect(c.stats().usedBytes).toBe(BS);
  });

  it('rejects bad arguments with INVALID_ARGUMENT', async () => {
    await expect(BlockCache.open({ dir, capacityBytes: 4096, blockSize: 1000 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(BlockCache.open({ dir, capacityBytes: 100, blockSize: 512 })).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    const c = await openCache(4);
    await expect(c.put('v', 0, Buffer.alloc(BS - 1))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(c.put('v', -1, block('v', 0))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(c.get('v', 1.5)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(c.put('', 0, block('', 0))).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});

describe('LRU eviction', () => {
  it('evicts the least recently used clean block, where a get refreshes recency', async () => {
    const c = await openCache(3);
    await c.put('v', 1, block('v', 1));
    await c.put('v', 2, block('v', 2));
    await c.put('v', 3, block('v', 3));
    await c.get('v', 1); // order now (LRU→MRU): 2, 3, 1
    await c.put('v', 4, block('v', 4)); // evicts 2
    expect(await c.get('v', 2)).toBeUndefined();
    await c.put('v', 5, block('v', 5)); // evicts 3
    expect(await c.get('v', 3)).toBeUndefined();
    expect(await c.get('v', 1)).toEqual(block('v', 1));
    expect(await c.get('v', 4)).toEqual(block('v', 4));
    expect(await c.get('v', 5)).toEqual(block('v', 5));
    expect(c.stats().evictions).toBe(2);
    expect(c.stats().usedBytes).toBe(3 * BS);
  });

  it('a put of many blocks fills freed slots before it evicts anything, however scattered they are', async () => {
    // Overwrites free their blocks' slots all over the file; the warm that follows must use
    // them rather than evict other live blocks to get contiguous slots (the cache would empty).
    const c = await openCache(512);
    const all = Array.from({ length: 512 }, (_, k) => k);
    expect(await c.putBlocks('v', all, Buffer.concat(all.map((k) => block('v', k))))).toBe(true);
    const overwritten = all.filter((k) => (k * 389) % 512 < 256);
    for (const k of overwritten) c.invalidate('v', k);
    const fresh = overwritten.map((k) => 1000 + k);
    expect(await c.putBlocks('v', fresh, Buffer.concat(fresh.map((k) => block('v', k))))).toBe(true);
    expect(c.stats().evictions).toBe(0);
    for (const k of all) if (!overwritten.includes(k)) expect(await c.get('v', k)).toEqual(block('v', k));
    for (const k of fresh) expect(await c.get('v', k)).toEqual(block('v', k));
  });

  it('a put of many blocks lands in a stretch freed together with one write, even after scattered frees', async () => {
    // A large overwrite frees one stretch of slots; small random writes then free scattered
    // ones further on. Free slots are taken in file order, so the next warm fills the stretch
    // (one pwrite) instead of the most recently freed scattered slots first (one pwrite each).
    const file = new MemoryDataFile();
    const c = await openCache(1024, { openDataFile: file.opener() });
    const all = Array.from({ length: 1024 }, (_, k) => k);
    expect(await c.putBlocks('v', all, Buffer.concat(all.map((k) => block('v', k))))).toBe(true);
    for (let k = 256; k < 512; k++) c.invalidate('v', k); // the large overwrite
    for (const k of [700, 1000, 900, 610, 800]) c.invalidate('v', k); // scattered, freed last
    const warm = Array.from({ length: 256 }, (_, k) => 5000 + k);
    let writes = 0;
    file.beforeIo = async (kind) => {
      if (kind === 'write') writes++;
    };
    expect(await c.putBlocks('v', warm, Buffer.concat(warm.map((k) => block('v', k))))).toBe(true);
    expect(writes).toBe(1);
    for (const k of warm) expect(await c.get('v', k)).toEqual(block('v', k));
    expect(c.stats().evictions).toBe(0);
  });

  it('reuses freed slots before evicting', async () => {
    const c = await openCache(2);
    await c.put('v', 1, block('v', 1));
    await c.put('v', 2, block('v', 2));
    c.invalidate('v', 1);
    await c.put('v', 3, block('v', 3));
    expect(c.stats().evictions).toBe(0);
    expect(await c.get('v', 2)).toEqual(block('v', 2));
  });
});

describe('dirty pinning', () => {
  it('never evicts dirty blocks; put returns false when every slot is dirty', async () => {
    const c = await openCache(3);
    for (let i = 0; i < 3; i++) expect(await c.put('v', i, block('v', i), { dirty: true })).toBe(true);
    expect(c.stats().dirtyBytes).toBe(3 * BS);
    expect(cachePercentDirty(c.stats())).toBe(100);
    expect(await c.put('v', 10, block('v', 10))).toBe(false);
    expect(await c.put('v', 11, block('v', 11), { dirty: true })).toBe(false);
    expect(c.stats().rejectedPuts).toBe(2);
    expect(c.stats().evictions).toBe(0);
    for (let i = 0; i < 3; i++) expect(await c.get('v', i)).toEqual(block('v', i));
    expect(await c.get('v', 10)).toBeUndefined();
  });

  it('makes a block evictable after markClean', async () => {
    const c = await openCache(3);
    for (let i = 0; i < 3; i++) await c.put('v', i, block('v', i), { dirty: true });
    expect(c.markClean('v', 1)).toBe(true);
    expect(c.markClean('v', 1)).toBe(false);
    expect(c.stats().dirtyBytes).toBe(2 * BS);
    expect(await c.put('v', 10, block('v', 10))).toBe(true);
    expect(c.stats().evictions).toBe(1);
    expect(await c.get('v', 1)).toBeUndefined();
    expect(await c.get('v', 0)).toEqual(block('v', 0));
    expect(await c.get('v', 2)).toEqual(block('v', 2));
    expect(await c.get('v', 10)).toEqual(block('v', 10));
  });

  it('lets a dirty block be rewritten even when every slot is dirty', async () => {
    const c = await openCache(2);
    await c.put('v', 0, block('v', 0, 1), { dirty: true });
    await c.put('v', 1, block('v', 1, 1), { dirty: true });
    expect(await c.put('v', 0, block('v', 0, 2), { dirty: true })).toBe(true);
    expect(await c.get('v', 0)).toEqual(block('v', 0, 2));
    expect(c.stats().dirtyBytes).toBe(2 * BS);
  });

  it('a clean put over a dirty block replaces it as clean', async () => {
    const c = await openCache(2);
    await c.put('v', 0, block('v', 0, 1), { dirty: true });
    await c.put('v', 0, block('v', 0, 2));
    expect(c.stats().dirtyBytes).toBe(0);
    expect(await c.get('v', 0)).toEqual(block('v', 0, 2));
  });
});

describe('resize at runtime', () => {
  it('growing keeps every block and makes room for more', async () => {
    const c = await openCache(2);
    await c.put('v', 0, block('v', 0));
    await c.put('v', 1, block('v', 1), { dirty: true });
    await c.resize(4 * BS);
    expect(c.capacityBytes).toBe(4 * BS);
    await c.put('v', 2, block('v', 2));
    await c.put('v', 3, block('v', 3));
    for (let i = 0; i < 4; i++) expect(await c.get('v', i)).toEqual(block('v', i));
    expect(c.stats()).toMatchObject({ evictions: 0, capacityBytes: 4 * BS, usedBytes: 4 * BS });
  });

  it('shrinking forgets the blocks beyond the new end (clean and dirty), keeps the rest, and truncates the data file', async () => {
    const c = await openCache(8);
    for (let i = 0; i < 6; i++) await c.put('v', i, block('v', i), { dirty: i === 5 });
    await c.resize(3 * BS + 100); // whole slots only
    expect(c.capacityBytes).toBe(3 * BS);
    for (let i = 0; i < 3; i++) expect(await c.get('v', i)).toEqual(block('v', i));
    for (let i = 3; i < 6; i++) expect(await c.get('v', i)).toBeUndefined();
    expect(c.stats()).toMatchObject({ usedBytes: 3 * BS, dirtyBytes: 0 });
    expect((await stat(join(dir, DATA_FILE_NAME))).size).toBeLessThanOrEqual(3 * BS);
    // New puts evict within the smaller cache.
    await c.put('w', 0, block('w', 0));
    expect(c.stats().evictions).toBe(1);
    expect(c.stats().usedBytes).toBe(3 * BS);
  });

  it('a put writing into a slot beyond the new end finishes uncached; the truncate waits for it', async () => {
    const file = new MemoryDataFile();
    const c = await openCache(4, { openDataFile: file.opener() });
    for (let i = 0; i < 3; i++) await c.put('v', i, block('v', i));
    const gate = deferred();
    file.beforeIo = (kind, position) => (kind === 'write' && position === 3 * BS ? gate.promise : Promise.resolve());
    const writing = c.put('v', 3, block('v', 3)); // takes slot 3
    const resized = c.resize(2 * BS);
    await new Promise((r) => setTimeout(r, 20));
    expect(file.bytes.length).toBe(3 * BS); // not truncated yet: slot 3 is being written
    gate.resolve();
    expect(await writing).toBe(false);
    await resized;
    expect(file.bytes.length).toBe(2 * BS);
    expect(await c.get('v', 3)).toBeUndefined();
    expect(c.stats().usedBytes).toBe(2 * BS);
  });

  it('the next open with the new capacity is warm', async () => {
    const c = await openCache(8);
    for (let i = 0; i < 4; i++) await c.put('v', i, block('v', i));
    await c.resize(16 * BS);
    await c.close();
    const again = await openCache(16);
    expect(again.openedWarm).toBe(true);
    expect(await again.get('v', 2)).toEqual(block('v', 2));
  });

  it('refuses less than one block, a fraction, and a closed cache', async () => {
    const c = await openCache(4);
    await expect(c.resize(BS - 1)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await expect(c.resize(4 * BS + 0.5)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    await c.close();
    await expect(c.resize(8 * BS)).rejects.toMatchObject({ code: ErrorCode.ShuttingDown });
    expect(c.capacityBytes).toBe(4 * BS);
  });
});

describe('invalidation', () => {
  it('invalidate, invalidateRange (small and huge counts) and dropVolume forget blocks', async () => {
    const c = await openCache(16);
    for (let i = 0; i < 6; i++) await c.put('a', i, block('a', i), { dirty: i % 2 === 0 });
    await c.put('b', 2, block('b', 2));
    c.invalidate('a', 0);
    expect(await c.get('a', 0)).toBeUndefined();
    c.invalidateRange('a', 1, 2); // 1, 2
    expect(await c.get('a', 1)).toBeUndefined();
    expect(await c.get('a', 2)).toBeUndefined();
    expect(await c.get('a', 3)).toEqual(block('a', 3));
    c.invalidateRange('a', 4, 2 ** 35); // more blocks than cached: walks the map instead
    expect(await c.get('a', 4)).toBeUndefined();
    expect(await c.get('a', 5)).toBeUndefined();
    expect(await c.get('b', 2)).toEqual(block('b', 2)); // other volume untouched
    c.dropVolume('a');
    expect(await c.get('a', 3)).toBeUndefined();
    expect(c.stats().usedBytes).toBe(BS);
    expect(c.stats().dirtyBytes).toBe(0);
    c.invalidate('nope', 1);
    c.dropVolume('nope');
  });
});

describe('races (deterministic interleavings)', () => {
  async function memCache(slots: number, file = new MemoryDataFile()) {
    return { c: await openCache(slots, { openDataFile: file.opener() }), file };
  }

  it('a get whose slot is evicted and rewritten during its read returns undefined, not the new key', async () => {
    const { c, file } = await memCache(1);
    await c.put('v', 1, block('v', 1));
    const gate = deferred();
    let held = false;
    file.beforeIo = (kind) => {
      if (kind === 'read' && !held) {
        held = true;
        return gate.promise;
      }
      return Promise.resolve();
    };
    const reading = c.get('v', 1);
    expect(await c.put('w', 9, block('w', 9))).toBe(true); // evicts v:1, rewrites the same slot
    gate.resolve();
    expect(await reading).toBeUndefined();
    expect(await c.get('w', 9)).toEqual(block('w', 9));
    expect(c.stats().evictions).toBe(1);
  });

  it('the index never names a slot before its data write completes', async () => {
    const { c, file } = await memCache(2);
    const gate = deferred();
    file.beforeIo = (kind) => (kind === 'write' ? gate.promise : Promise.resolve());
    const writing = c.put('v', 1, block('v', 1));
    expect(await c.get('v', 1)).toBeUndefined();
    gate.resolve();
    expect(await writing).toBe(true);
    file.beforeIo = undefined;
    expect(await c.get('v', 1)).toEqual(block('v', 1));
  });

  it('a get after put() was called never returns the old content', async () => {
    const { c, file } = await memCache(2);
    await c.put('v', 1, block('v', 1, 1));
    const gate = deferred();
    file.beforeIo = (kind) => (kind === 'write' ? gate.promise : Promise.resolve());
    const writing = c.put('v', 1, block('v', 1, 2));
    expect(await c.get('v', 1)).toBeUndefined();
    gate.resolve();
    await writing;
    expect(await c.get('v', 1)).toEqual(block('v', 1, 2));
  });

  it('overlapping puts of one block: the last one called wins, whatever order they finish in', async () => {
    const { c, file } = await memCache(4);
    const gates = [deferred(), deferred()];
    let n = 0;
    file.beforeIo = (kind) => (kind === 'write' ? gates[n++]!.promise : Promise.resolve());
    const first = c.put('v', 1, block('v', 1, 1));
    const second = c.put('v', 1, block('v', 1, 2));
    gates[1]!.resolve(); // the second finishes first
    expect(await second).toBe(true);
    gates[0]!.resolve();
    expect(await first).toBe(true); // superseded
    expect(await c.get('v', 1)).toEqual(block('v', 1, 2));
    expect(c.stats().usedBytes).toBe(BS);
  });

  it('invalidate and dropVolume during a put keep it from being installed', async () => {
    const { c, file } = await memCache(4);
    const gate = deferred();
    file.beforeIo = (kind) => (kind === 'write' ? gate.promise : Promise.resolve());
    const p1 = c.put('v', 1, block('v', 1));
    const p2 = c.put('w', 2, block('w', 2), { dirty: true });
    c.invalidate('v', 1);
    c.dropVolume('w');
    gate.resolve();
    await Promise.all([p1, p2]);
    expect(await c.get('v', 1)).toBeUndefined();
    expect(await c.get('w', 2)).toBeUndefined();
    expect(c.stats().usedBytes).toBe(0);
  });

  it('markClean during a dirty put installs the block clean', async () => {
    const { c, file } = await memCache(4);
    const gate = deferred();
    file.beforeIo = (kind) => (kind === 'write' ? gate.promise : Promise.resolve());
    const p = c.put('v', 1, block('v', 1), { dirty: true });
    expect(c.markClean('v', 1)).toBe(true);
    gate.resolve();
    await p;
    expect(c.stats().dirtyBytes).toBe(0);
    expect(c.stats().usedBytes).toBe(BS);
  });

  it('close waits for outstanding writes, then refuses new work', async () => {
    const hooks: Faults = {};
    const c = await openCache(4, { openDataFile: faultyOpener(openCacheDataFile, hooks).opener });
    await c.put('v', 0, block('v', 0));
    const gate = deferred();
    hooks.beforeIo = (kind) => (kind === 'write' ? gate.promise : Promise.resolve());
    const p = c.put('v', 1, block('v', 1));
    const closing = c.close();
    // While closing: gets miss, puts drop the old entry and return false.
    expect(await c.get('v', 0)).toBeUndefined();
    expect(await c.put('v', 0, block('v', 0, 2))).toBe(false);
    gate.resolve();
    expect(await p).toBe(true);
    await closing;
    expect(() => c.invalidate('v', 1)).toThrow(expect.objectContaining({ code: ErrorCode.ShuttingDown }));
    // The index holds v:1 only (v:0 was dropped by the put during close).
    const again = await openCache(4);
    expect(again.openedWarm).toBe(true);
    expect(await again.get('v', 0)).toBeUndefined();
    expect(await again.get('v', 1)).toEqual(block('v', 1));
  });
});

describe('persistence', () => {
  it('is warm after a clean close, keeps LRU order, forgets dirty blocks and deletes the index before serving', async () => {
    const c = await openCache(3);
    await c.put('v', 1, block('v', 1));
    await c.put('v', 2, block('v', 2));
    await c.put('w', 3, block('w', 3), { dirty: true });
    await c.get('v', 1); // LRU→MRU: 2, 1
    await c.close();
    expect(await exists(join(dir, INDEX_FILE_NAME))).toBe(true);

    const d = await openCache(3);
    expect(d.openedWarm).toBe(true);
    expect(await exists(join(dir, INDEX_FILE_NAME))).toBe(false);
    expect(d.stats().usedBytes).toBe(2 * BS);
    expect(d.stats().dirtyBytes).toBe(0);
    expect(await d.get('w', 3)).toBeUndefined();
    // LRU order survived: 2 is the oldest. Fill the free slot, then one more evicts 2.
    await d.put('x', 1, block('x', 1));
    await d.put('x', 2, block('x', 2));
    expect(await d.get('v', 2)).toBeUndefined();
    expect(await d.get('v', 1)).toEqual(block('v', 1));
    expect(await d.get('x', 1)).toEqual(block('x', 1));
  });

  it('starts cold after a crash (no close): the index was deleted at open', async () => {
    const c = await openCache(4);
    await c.put('v', 1, block('v', 1));
    await c.close();
    const { opener, files } = faultyOpener(openCacheDataFile, {});
    const d = await BlockCache.open({ dir, capacityBytes: 4 * BS, blockSize: BS, openDataFile: opener });
    expect(d.openedWarm).toBe(true);
    await d.put('v', 2, block('v', 2));
    // Crash: the process dies without close(); only its file descriptor goes away.
    await files[0]!.close();
    const e = await openCache(4);
    expect(e.openedWarm).toBe(false);
    expect(await e.get('v', 1)).toBeUndefined();
    expect(await e.get('v', 2)).toBeUndefined();
    expect((await stat(join(dir, DATA_FILE_NAME))).size).toBe(0); // cold start gives the space back
  });

  it('starts empty when the cache directory was deleted while stopped', async () => {
    const c = await openCache(4);
    await c.put('v', 1, block('v', 1));
    await c.close();
    await rm(dir, { recursive: true, force: true });
    const d = await openCache(4);
    expect(d.openedWarm).toBe(false);
    expect(await d.get('v', 1)).toBeUndefined();
    expect(await d.put('v', 1, block('v', 1))).toBe(true);
    expect(await d.get('v', 1)).toEqual(block('v', 1));
  });

  it('starts empty when the data file is missing but an index exists', async () => {
    const c = await openCache(4);
    await c.put('v', 1, block('v', 1));
    await c.close();
    await rm(join(dir, DATA_FILE_NAME));
    const d = await openCache(4);
    expect(d.openedWarm).toBe(false);
    expect(d.coldStartReason).toMatch(/data file missing/);
    expect(await d.get('v', 1)).toBeUndefined();
  });

  it('starts empty when the data file changed while stopped', async () => {
    const c = await openCache(4);
    await c.put('v', 1, block('v', 1));
    await c.close();
    await appendFile(join(dir, DATA_FILE_NAME), Buffer.alloc(BS));
    const d = await openCache(4);
    expect(d.openedWarm).toBe(false);
    expect(d.coldStartReason).toMatch(/data file changed/);
  });

  it('starts empty when the capacity or block size changed', async () => {
    const c = await openCache(4);
    await c.put('v', 1, block('v', 1));
    await c.close();
    const d = await openCache(5);
    expect(d.openedWarm).toBe(false);
    expect(d.coldStartReason).toMatch(/capacity changed/);
    await d.put('v', 1, block('v', 1));
    await d.close();
    const e = await BlockCache.open({ dir, capacityBytes: 5 * BS, blockSize: 1024 });
    open.push(e);
    expect(e.openedWarm).toBe(false);
    expect(e.coldStartReason).toMatch(/block size changed/);
  });

  describe('a damaged index means a cold start', () => {
    async function closedCacheIndex(): Promise<Buffer> {
      const c = await openCache(4);
      await c.put('v', 1, block('v', 1));
      await c.put('v', 2, block('v', 2));
      await c.close();
      return readFile(join(dir, INDEX_FILE_NAME));
    }

    const damages: [string, (b: Buffer) => Buffer, RegExp][] = [
      ['a flipped byte', (b) => (b[70]! ^= 0xff, b), /CRC/],
      ['truncation', (b) => b.subarray(0, b.length - 7), /CRC|length|short/],
      ['an empty file', () => Buffer.alloc(0), /short/],
      ['a bad signature', (b) => (b[0] = 0, b), /signature/],
      [
        'another version (with a valid CRC)',
        (b) => {
          b.writeUInt32LE(99, 8);
          b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
          return b;
        },
        /version/,
      ],
      [
        'a duplicate slot (with a valid CRC)',
        (b) => {
          const entries = b.length - 4 - 32; // two 16-byte entries before the trailer
          b.writeUInt32LE(b.readUInt32LE(entries + 4), entries + 16 + 4);
          b.writeUInt32LE(crc32(b.subarray(0, b.length - 4)), b.length - 4);
          return b;
        },
        /duplicate/,
      ],
    ];

    for (const [what, damage, reason] of damages) {
      it(`with ${what}`, async () => {
        const bytes = await closedCacheIndex();
        await writeFile(join(dir, INDEX_FILE_NAME), damage(Buffer.from(bytes)));
        const d = await openCache(4);
        expect(d.openedWarm).toBe(false);
        expect(d.coldStartReason).toMatch(reason);
        expect(await exists(join(dir, INDEX_FILE_NAME))).toBe(false);
        expect(await d.get('v', 1)).toBeUndefined();
        expect(d.stats().usedBytes).toBe(0);
      });
    }
  });
});

describe('cache-disk errors never reach the caller', () => {
  it('a failing write makes put return false, counts an error and drops the old content', async () => {
    const faults: { write?: string } = {};
    const { opener } = faultyOpener(openCacheDataFile, faults);
    const c = await openCache(4, { openDataFile: opener });
    await c.put('v', 1, block('v', 1, 1));
    faults.write = 'ENOSPC';
    expect(await c.put('v', 1, block('v', 1, 2))).toBe(false);
    expect(await c.put('v', 2, block('v', 2), { dirty: true })).toBe(false);
    expect(c.stats().errors).toBe(2);
    expect(c.stats().usedBytes).toBe(0);
    expect(await c.get('v', 1)).toBeUndefined();
    delete faults.write;
    expect(await c.put('v', 1, block('v', 1, 3))).toBe(true);
    expect(await c.get('v', 1)).toEqual(block('v', 1, 3));
  });

  it('a failing read makes get a counted miss and drops the entry', async () => {
    const faults: { read?: string } = {};
    const { opener } = faultyOpener(openCacheDataFile, faults);
    const c = await openCache(4, { openDataFile: opener });
    await c.put('v', 1, block('v', 1), { dirty: true });
    faults.read = 'EIO';
    expect(await c.get('v', 1)).toBeUndefined();
    expect(c.stats()).toMatchObject({ errors: 1, misses: 1, usedBytes: 0, dirtyBytes: 0 });
    delete faults.read;
    expect(await c.get('v', 1)).toBeUndefined();
    expect(c.stats().errors).toBe(1);
  });

  it('a closed file descriptor under the cache: gets miss, puts return false, close still resolves', async () => {
    const { opener, files } = faultyOpener(openCacheDataFile, {});
    const c = await openCache(4, { openDataFile: opener });
    await c.put('v', 1, block('v', 1));
    await files[0]!.close(); // every later read/write fails with EBADF
    expect(await c.get('v', 1)).toBeUndefined();
    expect(await c.put('v', 2, block('v', 2))).toBe(false);
    expect(c.stats().errors).toBe(2);
    await expect(c.close()).resolves.toBeUndefined();
    expect(await exists(join(dir, INDEX_FILE_NAME))).toBe(false); // datasync failed → no index
    const d = await openCache(4);
    expect(d.openedWarm).toBe(false);
  });

  it('a failing fdatasync at close leaves no index', async () => {
    const { opener } = faultyOpener(openCacheDataFile, { datasync: 'EIO' });
    const c = await openCache(4, { openDataFile: opener });
    await c.put('v', 1, block('v', 1));
    await c.close();
    expect(c.stats().errors).toBe(1);
    expect(await exists(join(dir, INDEX_FILE_NAME))).toBe(false);
  });
});
