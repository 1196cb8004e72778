/**
 * The local block cache: fixed-size blocks of every volume of the gateway in one sparse
 * data file on a local directory, for speed only. DESIGN.md invariant 4 — the cache is
 * disposable: losing it (or any part of it) loses nothing, because un-uploaded data lives
 * in the write log. So every doubt is resolved by forgetting: a cache-disk error turns a
 * `get` into a miss and a `put` into `false` (both counted in `errors`), a crash makes the
 * next start cold, and a suspicious index is ignored.
 *
 * Block-state table (one state per slot; the slot is `blockSize` bytes at `slot * blockSize`):
 *
 *   state    key index  LRU  evictable     get reads it  on clean close        after a crash
 *   FREE     no         no   —             no            nothing               nothing
 *   WRITING  no         no   no            no            never (close waits)   nothing
 *   CLEAN    yes        yes  yes, LRU      yes           in the index (warm)   nothing (cold)
 *   DIRTY    yes        no   no — pinned   yes           NOT persisted         nothing (cold)
 *
 *   FREE        → WRITING      put reserves a free (or never-used) slot
 *   CLEAN       → WRITING      put evicts the least recently used CLEAN slot (key unindexed first)
 *   WRITING     → CLEAN|DIRTY  the data write completed and this put is still the newest for its key
 *   WRITING     → FREE         the write failed, or the put was superseded by a newer put of the
 *                              same key, an invalidate or a dropVolume
 *   DIRTY       → CLEAN        markClean (becomes the most recently used)
 *   CLEAN|DIRTY → FREE         invalidate, invalidateRange, dropVolume, a put of the same key
 *                              (at its start), a read error on the slot, a resize that shrinks
 *                              the cache below the slot (a DIRTY block is still in the write log)
 *   WRITING     → FREE         (also) the cache shrank below the slot while it was written
 *
 * WRITING is the transient state of a slot reserved by a put whose data write is under way;
 * it is neither indexed nor evictable, so a slot is only ever named in the key index once
 * its bytes are the key's bytes. DIRTY slots are never evicted: when every slot is DIRTY
 * or WRITING, `put` returns false (counted in `rejectedPuts`) and the caller keeps using
 * its write log. Every transition bumps the slot's generation (`SlotTable.gen`).
 *
 * Races (all bookkeeping is synchronous on the event loop; only file reads and writes
 * overlap, so every race is between an index change and an outstanding read or write):
 *
 * 1. get(K) reads slot S while a put(K2) evicts S and writes K2's bytes into it. The get
 *    notes S's generation before reading and compares after: eviction bumped it, so the get
 *    returns undefined (a miss) — it may have read K2's bytes but never returns them.
 * 2. get(K) while put(K) (same key) is writing: put unindexes K's old slot synchronously
 *    when called (bumping its generation), so a get issued after put() never returns the
 *    old data — it misses until the new write is installed. A get already reading the old
 *    slot fails its generation check. The volume may therefore call put() after appending
 *    to its log without a window where a stale block is served.
 * 3. put(K, A) then put(K, B) overlapping: each put registers itself as K's newest pending
 *    put when called; a put installs only if it is still the newest when its write
 *    completes. Completion order does not matter: B wins because it was called last.
 *    A superseded put frees its slot and resolves true (the cache state reflects the newer
 *    operation). A put that fails (full or I/O error) still supersedes older puts of K, so
 *    after `false` the key is simply not cached.
 * 4. invalidate(K) / invalidateRange / dropVolume during put(K): they drop K's pending
 *    registration, so the in-flight put frees its slot instead of installing.
 * 5. markClean(K) during a dirty put(K): the pending put installs CLEAN.
 * 6. A read error on a slot drops the entry only if the generation is unchanged (the slot
 *    may already hold another key's fresh data by then).
 * 7. close() stops new gets/puts (get → undefined, put → drops the block's old entry and
 *    returns false), waits for every outstanding read and write, fdatasyncs the data file,
 *    and only then snapshots the index; invalidations keep applying until the snapshot is
 *    taken, and put/invalidate/invalidateRange/dropVolume throw SHUTTING_DOWN afterwards
 *    (silently ignoring them could persist a stale block). Close the volumes first.
 *
 * 8. getRun / putRun / putBlocks are get / put of several blocks with fewer syscalls: every
 *    rule above holds per block (a putRun or putBlocks registers each block as its newest
 *    pending put and drops its old entry when called; a getRun serves only the prefix of
 *    blocks whose slot generation did not change while the stretch was read).
 *
 * Persistence: see docs/formats/cache.md. In short, the index is loaded on open only if
 * its signature, version, CRC, geometry (block size and slot count — a capacity change
 * starts cold) and the data file's size/inode/mtime all match; it is then deleted and the
 * deletion fsync'ed before the cache serves, so a crash always leads to a cold start. A
 * cold start truncates the data file to zero.
 */
import { mkdir, open as openFile, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, TidegateError, errnoCode } from '../errors/index.js';
import { openCacheDataFile, type CacheDataFile, type CacheDataFileOpener } from './cache-data-file.js';
import {
  DATA_FILE_NAME,
  DEFAULT_BLOCK_SIZE,
  INDEX_FILE_NAME,
  INDEX_MAX_VOLUME_ID_BYTES,
  INDEX_TEMP_FILE_NAME,
  MAX_BLOCK_SIZE,
  MAX_SLOTS,
  MIN_BLOCK_SIZE,
} from './cache-format.js';
import { decodeIndex, encodeIndex, type DataFileIdentity } from './cache-index-file.js';
import type { CacheStats } from './cache-stats.js';
import { SlotState, SlotTable } from './slot-table.js';

/** Options of `BlockCache.open`; validated once. */
export interface BlockCacheOptions {
  /** Cache directory; created when missing. Owned by one cache at a time. */
  dir: string;
  /** Capacity in bytes; the cache uses `floor(capacityBytes / blockSize)` whole slots. */
  capacityBytes: number;
  /** Slot size in bytes: a power of two from 512 to 1 MiB; 4096 by default. */
  blockSize?: number;
  /** Opens the data file; tests and fault filters wrap the default. */
  openDataFile?: CacheDataFileOpener;
}

/** Options of `put`. */
export interface PutOptions {
  /** Written but not yet uploaded: pinned (never evicted) until `markClean`. */
  dirty?: boolean;
}

interface VolumeEntry {
  readonly id: string;
  readonly ordinal: number;
  /** blockIndex → slot, for CLEAN and DIRTY slots only. */
  readonly blocks: Map<number, number>;
  /** blockIndex → the newest put of that block still writing. */
  readonly pending: Map<number, PendingPut>;
}

interface PendingPut {
  dirty: boolean;
}

interface LoadedState {
  table: SlotTable;
  volumes: Map<string, VolumeEntry>;
  warm: boolean;
  coldReason: string | undefined;
}

/** The gateway's local block cache (see the file-top comment for states, races and crash semantics). */
export class BlockCache {
  /** Slot size in bytes. */
  readonly blockSize: number;
  /** Usable capacity in bytes (whole slots); changed by `resize`. */
  get capacityBytes(): number {
    return this.table.slotCount * this.blockSize;
  }
  /** The cache directory. */
  readonly dir: string;
  /** True when open restored the previous run's index. */
  readonly openedWarm: boolean;
  /** Why open started cold, when it did and an index or data file was there to consider. */
  readonly coldStartReason: string | undefined;

  private readonly file: CacheDataFile;
  private readonly table: SlotTable;
  private readonly volumes: Map<string, VolumeEntry>;
  private readonly byOrdinal = new Map<number, VolumeEntry>();
  private nextOrdinal = 0;

  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private rejectedPuts = 0;
  private errors = 0;

  private outstanding = 0;
  private drained: (() => void) | undefined;
  private closing = false;
  /** The index snapshot has been taken: in-memory changes can no longer reach it. */
  private sealed = false;
  private closePromise: Promise<void> | undefined;
  /** Resizes run one at a time (a grow must never interleave with a shrink's truncate). */
  private resizing: Promise<void> = Promise.resolve();

  private constructor(options: Required<Omit<BlockCacheOptions, 'openDataFile'>>, file: CacheDataFile, loaded: LoadedState) {
    this.dir = options.dir;
    this.blockSize = options.blockSize;
    this.file = file;
    this.table = loaded.table;
    this.volumes = loaded.volumes;
    for (const v of this.volumes.values()) {
      this.byOrdinal.set(v.ordinal, v);
      this.nextOrdinal = Math.max(this.nextOrdinal, v.ordinal + 1);
    }
    this.openedWarm = loaded.warm;
    this.coldStartReason = loaded.coldReason;
  }

  /**
   * Open (creating when missing) the cache in `options.dir`. Warm when a valid index of a
   * clean close is there, cold otherwise; the index is deleted (durably) before this
   * resolves. Rejects with INVALID_ARGUMENT for bad options and IO_ERROR / NO_SPACE when the
   * directory or data file cannot be used at all (the engine may then run uncached).
   */
  static async open(options: BlockCacheOptions): Promise<BlockCache> {
    const blockSize = options.blockSize ?? DEFAULT_BLOCK_SIZE;
    if (!Number.isInteger(blockSize) || blockSize < MIN_BLOCK_SIZE || blockSize > MAX_BLOCK_SIZE || (blockSize & (blockSize - 1)) !== 0) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache block size must be a power of two from ${MIN_BLOCK_SIZE} to ${MAX_BLOCK_SIZE}, got ${blockSize}`);
    }
    if (!Number.isSafeInteger(options.capacityBytes) || options.capacityBytes < blockSize) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache capacity must be a whole number of bytes of at least one block (${blockSize}), got ${options.capacityBytes}`);
    }
    const slotCount = Math.floor(options.capacityBytes / blockSize);
    if (slotCount > MAX_SLOTS) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache capacity exceeds ${MAX_SLOTS} blocks of ${blockSize} bytes`);
    }
    if (typeof options.dir !== 'string' || options.dir === '') {
      throw new TidegateError(ErrorCode.InvalidArgument, 'cache directory is required');
    }
    const dir = options.dir;
    const dataPath = join(dir, DATA_FILE_NAME);
    const indexPath = join(dir, INDEX_FILE_NAME);

    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      throw diskError(`cannot create the cache directory ${dir}`, err);
    }

    // 1. Read the index (if any) and the identity of the data file it must describe.
    let indexBytes: Buffer | undefined;
    let coldReason: string | undefined;
    try {
      indexBytes = await readFile(indexPath);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') coldReason = `cannot read the cache index: ${errnoCode(err) ?? String(err)}`;
    }
    let identity: DataFileIdentity | undefined;
    try {
      const st = await stat(dataPath, { bigint: true });
      identity = { size: st.size, ino: st.ino, mtimeNs: st.mtimeNs };
    } catch (err) {
      if (indexBytes !== undefined) coldReason = `data file missing (${errnoCode(err) ?? String(err)})`;
    }

    // 2. Delete the index before serving: from here on a crash means a cold start.
    try {
      await removeIfPresent(indexPath);
      await removeIfPresent(join(dir, INDEX_TEMP_FILE_NAME));
      await syncDirectory(dir);
    } catch (err) {
      throw diskError(`cannot remove the cache index in ${dir}`, err);
    }

    // 3. Open the data file and decide warm or cold.
    const opener = options.openDataFile ?? openCacheDataFile;
    let file: CacheDataFile;
    try {
      file = await opener(dataPath);
    } catch (err) {
      throw diskError(`cannot open the cache data file ${dataPath}`, err);
    }
    let loaded: LoadedState | undefined;
    if (indexBytes !== undefined && identity !== undefined && coldReason === undefined) {
      const result = restore(indexBytes, identity, blockSize, slotCount);
      if (typeof result === 'string') coldReason = result;
      else loaded = result;
    }
    if (loaded === undefined) {
      loaded = { table: new SlotTable(slotCount), volumes: new Map(), warm: false, coldReason };
      if (identity !== undefined && identity.size > 0n) {
        // Stale slots are unreachable anyway; truncating gives the space back. Best effort.
        try {
          await file.truncate(0);
        } catch {
          /* harmless: nothing references the old bytes */
        }
      }
    }
    return new BlockCache({ dir, capacityBytes: options.capacityBytes, blockSize }, file, loaded);
  }

  /** The cached block, or undefined (not cached, changed while being read, or a cache-disk error). */
  async get(volumeId: string, blockIndex: number): Promise<Buffer | undefined> {
    checkBlockIndex(blockIndex);
    if (this.closing) {
      this.misses++;
      return undefined;
    }
    const slot = this.volumes.get(volumeId)?.blocks.get(blockIndex);
    if (slot === undefined) {
      this.misses++;
      return undefined;
    }
    const table = this.table;
    table.touch(slot);
    const gen = table.gen[slot]!;
    const buf = Buffer.allocUnsafe(this.blockSize);
    this.begin();
    try {
      let bytes: number;
      try {
        bytes = await this.file.read(buf, slot * this.blockSize);
      } catch {
        bytes = -1;
      }
      if (bytes !== this.blockSize) {
        this.errors++;
        this.misses++;
        if (table.gen[slot] === gen) this.dropSlot(slot);
        return undefined;
      }
      if (table.gen[slot] !== gen) {
        this.misses++;
        return undefined;
      }
      this.hits++;
      return buf;
    } finally {
      this.end();
    }
  }

  /**
   * Read the cached prefix of `count` consecutive blocks from `firstBlock` straight into
   * `out` at `outOffset` (room for `count` blocks): one pread per stretch of adjacent slots.
   * Resolves with how many leading blocks were served, each exactly as `get` would have
   * returned it (races 1, 2 and 6 apply per block: a block whose slot changed while being
   * read ends the prefix). Bytes of `out` past the served prefix are unspecified.
   */
  async getRun(volumeId: string, firstBlock: number, count: number, out: Buffer, outOffset: number): Promise<number> {
    checkRange(firstBlock, count);
    const bs = this.blockSize;
    if (count === 0) return 0;
    if (outOffset < 0 || out.length - outOffset < count * bs) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache getRun: buffer too small for ${count} blocks`);
    }
    const blocks = this.closing ? undefined : this.volumes.get(volumeId)?.blocks;
    // The first block's slot is looked up once: most calls (random reads) are one block.
    const first = blocks?.get(firstBlock);
    let n = first === undefined ? 0 : 1;
    while (n > 0 && n < count && blocks!.has(firstBlock + n)) n++;
    if (n === 0) {
      this.misses++;
      return 0;
    }
    const table = this.table;
    if (n === 1) {
      // One block (random reads): no stretch bookkeeping.
      const s = first!;
      table.touch(s);
      const gen = table.gen[s]!;
      this.begin();
      let bytes: number;
      try {
        bytes = await this.file.read(out.subarray(outOffset, outOffset + bs), s * bs);
      } catch {
        bytes = -1;
      } finally {
        this.end();
      }
      if (bytes !== bs) {
        this.errors++;
        this.misses++;
        if (table.gen[s] === gen) this.dropSlot(s);
        return 0;
      }
      if (table.gen[s] !== gen) {
        this.misses++;
        return 0;
      }
      this.hits++;
      if (count > 1) this.misses++;
      return 1;
    }
    const slots = new Int32Array(n);
    const gens = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const s = blocks!.get(firstBlock + k)!;
      slots[k] = s;
      table.touch(s);
      gens[k] = table.gen[s]!;
    }
    // One read per stretch of adjacent slots; `ok[k]` says block k's stretch read completely.
    const ok = new Uint8Array(n);
    const reads: Promise<void>[] = [];
    this.begin();
    try {
      for (const [from, to] of adjacentStretches(slots, n)) {
        const len = (to - from) * bs;
        const at = outOffset + from * bs;
        reads.push(
          this.file.read(out.subarray(at, at + len), slots[from]! * bs).then(
            (bytes) => {
              if (bytes === len) ok.fill(1, from, to);
            },
            () => undefined,
          ),
        );
      }
      await (reads.length === 1 ? reads[0] : Promise.all(reads));
    } finally {
      this.end();
    }
    let served = 0;
    while (served < n) {
      const s = slots[served]!;
      if (ok[served] !== 1) {
        // A read error: forget the slots of the failed stretch that still hold the same data.
        this.errors++;
        for (let k = served; k < n; k++) if (ok[k] !== 1 && table.gen[slots[k]!] === gens[k]) this.dropSlot(slots[k]!);
        break;
      }
      if (table.gen[s] !== gens[served]) break; // changed while being read: a miss
      served++;
    }
    this.hits += served;
    if (served < count) this.misses++;
    return served;
  }

  /**
   * Cache `data` (a whole number of blocks; do not modify it until this settles) as the
   * content of the blocks from `firstBlock`: `put` for each block, with adjacent blocks
   * given adjacent slots where possible so each stretch is one pwrite. Every race guarantee
   * of `put` holds per block (each block registers as its newest pending put when called,
   * and its older entry is dropped at once). Resolves true when every block was cached (or
   * superseded meanwhile), false when some were not (full of DIRTY blocks, a disk error, or
   * closing); those blocks are simply not cached.
   */
  async putRun(volumeId: string, firstBlock: number, data: Buffer, options: PutOptions = {}): Promise<boolean> {
    const bs = this.blockSize;
    if (data.length === 0 || data.length % bs !== 0) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache putRun of ${data.length} bytes; blocks are ${bs} bytes`);
    }
    const count = data.length / bs;
    checkRange(firstBlock, count);
    if (count === 1) return this.put(volumeId, firstBlock, data, options);
    const keys = new Float64Array(count);
    for (let k = 0; k < count; k++) keys[k] = firstBlock + k;
    return this.putBlocks(volumeId, keys, data, options);
  }

  /**
   * `put` of scattered blocks whose data lies back to back: `blocks[k]` is the block whose
   * content is `data[k * blockSize, (k + 1) * blockSize)`, and an entry of -1 skips that
   * stretch of `data` (nothing is cached or dropped for it). A block may appear once. The
   * blocks get a contiguous stretch of never-used slots when there is room, so a whole data
   * object's blocks are one pwrite whatever their numbers; otherwise free or LRU CLEAN
   * slots, one pwrite per stretch adjacent both in the file and in `data`. Every race rule
   * of `put` holds per block; resolves as `putRun` does.
   */
  async putBlocks(volumeId: string, blocks: ArrayLike<number>, data: Buffer, options: PutOptions = {}): Promise<boolean> {
    const bs = this.blockSize;
    const total = blocks.length;
    if (data.length !== total * bs) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache putBlocks of ${data.length} bytes for ${total} blocks of ${bs} bytes`);
    }
    // Which entries of `data` are put (their index in `data`, in order).
    const at = new Int32Array(total);
    let count = 0;
    for (let k = 0; k < total; k++) {
      const b = blocks[k]!;
      if (b === -1) continue;
      checkBlockIndex(b);
      at[count++] = k;
    }
    if (count === 0) return true;
    if (this.closing) {
      for (let j = 0; j < count; j++) this.invalidate(volumeId, blocks[at[j]!]!);
      return false;
    }
    const vol = this.volumeFor(volumeId);
    const dirty = options.dirty === true;
    const mine: PendingPut[] = new Array<PendingPut>(count);
    // CLEAN puts (every cache warm) share one marker: nothing ever changes a clean one, and a
    // block appears once per call. DIRTY ones need their own, as markClean flips one block's.
    const shared: PendingPut | undefined = dirty ? undefined : { dirty: false };
    for (let j = 0; j < count; j++) {
      const b = blocks[at[j]!]!;
      const me: PendingPut = shared ?? { dirty };
      mine[j] = me;
      vol.pending.set(b, me); // supersedes any older put of this block still writing
      this.dropIndexed(vol, b); // the old content is never served again
    }
    // Slots: a contiguous stretch of never-used ones if there is room, else one by one
    // (free, then LRU CLEAN), sorted so blocks freed together land together again.
    const slots = new Int32Array(count);
    let reserved = count;
    const tail = count > 1 ? this.table.reserveTail(count) : -1;
    if (tail >= 0) {
      for (let j = 0; j < count; j++) slots[j] = tail + j;
    } else {
      for (let j = 0; j < count; j++) {
        const s = this.reserveSlot();
        if (s < 0) {
          reserved = j;
          break;
        }
        slots[j] = s;
      }
      if (reserved > 1) slots.subarray(0, reserved).sort();
    }
    let allCached = true;
    if (reserved < count) {
      // Full of DIRTY/WRITING slots: the blocks without a slot are not cached.
      allCached = false;
      this.rejectedPuts += count - reserved;
      for (let j = reserved; j < count; j++) {
        const b = blocks[at[j]!]!;
        if (vol.pending.get(b) === mine[j]) vol.pending.delete(b);
      }
    }
    if (reserved === 0) return false;
    const failed = new Uint8Array(reserved);
    const writes: Promise<void>[] = [];
    this.begin();
    try {
      for (let j = 0; j < reserved; ) {
        // A stretch: adjacent in the data file and in `data`.
        let e = j + 1;
        while (e < reserved && slots[e] === slots[e - 1]! + 1 && at[e] === at[e - 1]! + 1) e++;
        const from = j;
        const to = e;
        writes.push(
          this.file.write(data.subarray(at[from]! * bs, (at[to - 1]! + 1) * bs), slots[from]! * bs).then(
            () => undefined,
            () => {
              failed.fill(1, from, to);
            },
          ),
        );
        j = e;
      }
      await (writes.length === 1 ? writes[0] : Promise.all(writes));
      let errored = false;
      for (let j = 0; j < reserved; j++) {
        const b = blocks[at[j]!]!;
        const s = slots[j]!;
        const me = mine[j]!;
        if (failed[j] === 1) {
          errored = true;
          this.table.free(s);
          if (vol.pending.get(b) === me) vol.pending.delete(b);
          continue;
        }
        if (s >= this.table.slotCount) {
          // The cache shrank below this slot while it was written: the block is not cached.
          this.table.free(s);
          if (vol.pending.get(b) === me) vol.pending.delete(b);
          allCached = false;
          continue;
        }
        if (vol.pending.get(b) !== me) {
          this.table.free(s); // superseded while writing
          continue;
        }
        vol.pending.delete(b);
        this.table.install(s, vol.ordinal, b, me.dirty);
        vol.blocks.set(b, s);
      }
      if (errored) {
        this.errors++;
        allCached = false;
      }
      return allCached;
    } finally {
      this.end();
    }
  }

  /**
   * Cache `data` (exactly `blockSize` bytes; do not modify it until this settles) as the
   * block's content. Any older entry of the block is dropped at once. Resolves true when
   * the block was cached (or superseded meanwhile by a newer put/invalidate of the same
   * block), false when it is not cached: every slot is DIRTY or being written, a cache-disk
   * error (counted), or the cache is closing. Never throws for fullness or disk errors and
   * never evicts a DIRTY block.
   */
  async put(volumeId: string, blockIndex: number, data: Buffer, options: PutOptions = {}): Promise<boolean> {
    checkBlockIndex(blockIndex);
    if (data.length !== this.blockSize) {
      throw new TidegateError(ErrorCode.InvalidArgument, `cache put of ${data.length} bytes; blocks are ${this.blockSize} bytes`);
    }
    if (this.closing) {
      // Still drop the old content: the index written by close() must not keep it.
      this.invalidate(volumeId, blockIndex);
      return false;
    }
    const vol = this.volumeFor(volumeId);
    const me: PendingPut = { dirty: options.dirty === true };
    vol.pending.set(blockIndex, me); // supersedes any older put of this block still writing
    this.dropIndexed(vol, blockIndex); // the old content is never served again
    const slot = this.reserveSlot();
    if (slot < 0) {
      if (vol.pending.get(blockIndex) === me) vol.pending.delete(blockIndex);
      this.rejectedPuts++;
      return false;
    }
    this.begin();
    try {
      try {
        await this.file.write(data, slot * this.blockSize);
      } catch {
        this.errors++;
        this.table.free(slot);
        if (vol.pending.get(blockIndex) === me) vol.pending.delete(blockIndex);
        return false;
      }
      if (slot >= this.table.slotCount) {
        // The cache shrank below this slot while it was written: the block is not cached.
        this.table.free(slot);
        if (vol.pending.get(blockIndex) === me) vol.pending.delete(blockIndex);
        return false;
      }
      if (vol.pending.get(blockIndex) !== me) {
        this.table.free(slot); // superseded while writing
        return true;
      }
      vol.pending.delete(blockIndex);
      this.table.install(slot, vol.ordinal, blockIndex, me.dirty);
      vol.blocks.set(blockIndex, slot);
      return true;
    } finally {
      this.end();
    }
  }

  /** The block's data is uploaded: unpin it (it becomes the most recently used CLEAN block). True if it was dirty. */
  markClean(volumeId: string, blockIndex: number): boolean {
    const vol = this.volumes.get(volumeId);
    if (vol === undefined) return false;
    const pending = vol.pending.get(blockIndex);
    let changed = false;
    if (pending?.dirty) {
      pending.dirty = false;
      changed = true;
    }
    const slot = vol.blocks.get(blockIndex);
    if (slot !== undefined && this.table.state[slot] === SlotState.Dirty) {
      this.table.markClean(slot);
      changed = true;
    }
    return changed;
  }

  /** Forget one block (overwritten or trimmed elsewhere), including a put of it still writing. */
  invalidate(volumeId: string, blockIndex: number): void {
    this.checkNotSealed();
    const vol = this.volumes.get(volumeId);
    if (vol === undefined) return;
    vol.pending.delete(blockIndex);
    this.dropIndexed(vol, blockIndex);
  }

  /** Forget `count` blocks from `firstBlock` (cost bounded by the smaller of `count` and the volume's cached blocks). */
  invalidateRange(volumeId: string, firstBlock: number, count: number): void {
    checkRange(firstBlock, count);
    this.checkNotSealed();
    const vol = this.volumes.get(volumeId);
    if (vol === undefined || count === 0) return;
    const end = firstBlock + count;
    if (count <= vol.blocks.size + vol.pending.size) {
      for (let b = firstBlock; b < end; b++) {
        vol.pending.delete(b);
        this.dropIndexed(vol, b);
      }
      return;
    }
    for (const b of vol.pending.keys()) {
      if (b >= firstBlock && b < end) vol.pending.delete(b);
    }
    for (const b of vol.blocks.keys()) {
      if (b >= firstBlock && b < end) this.dropIndexed(vol, b);
    }
  }

  /** Forget every block of a volume (deleted, or its cache must not be trusted). */
  dropVolume(volumeId: string): void {
    this.checkNotSealed();
    const vol = this.volumes.get(volumeId);
    if (vol === undefined) return;
    vol.pending.clear();
    for (const slot of vol.blocks.values()) this.table.free(slot);
    vol.blocks.clear();
    this.volumes.delete(volumeId);
    this.byOrdinal.delete(vol.ordinal);
  }

  /**
   * Change the capacity while the cache serves. Growing only raises the limit. Shrinking
   * forgets every block in a slot beyond the new end — CLEAN ones, and DIRTY ones too: the
   * cache is disposable, and a block not yet uploaded is still in its volume's write log,
   * which reads consult first — lets writes already under way there finish uncached, then
   * truncates the data file to give the disk space back. Resolves once done.
   */
  resize(capacityBytes: number): Promise<void> {
    const bs = this.blockSize;
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < bs) {
      return Promise.reject(new TidegateError(ErrorCode.InvalidArgument, `cache capacity must be a whole number of bytes of at least one block (${bs}), got ${capacityBytes}`));
    }
    const slots = Math.floor(capacityBytes / bs);
    if (slots > MAX_SLOTS) return Promise.reject(new TidegateError(ErrorCode.InvalidArgument, `cache capacity exceeds ${MAX_SLOTS} blocks of ${bs} bytes`));
    const run = this.resizing.then(() => this.resizeNow(slots));
    this.resizing = run.catch(() => undefined);
    return run;
  }

  private async resizeNow(slots: number): Promise<void> {
    if (this.closing) throw new TidegateError(ErrorCode.ShuttingDown, 'block cache is closing; its capacity cannot change now');
    const table = this.table;
    if (slots >= table.slotCount) {
      table.grow(slots);
      return;
    }
    const end = table.highWaterMark;
    for (let s = slots; s < end; s++) {
      const state = table.state[s];
      if (state === SlotState.Clean || state === SlotState.Dirty) this.dropSlot(s);
    }
    table.shrink(slots);
    // Puts that reserved a slot beyond the new end before the shrink free it when their write ends.
    while (table.writingFrom(slots) && !this.closing) await new Promise((r) => setTimeout(r, 2));
    if (this.closing) return;
    try {
      await this.file.truncate(slots * this.blockSize);
    } catch {
      this.errors++; // only the disk space stays taken; nothing beyond the end is ever read
    }
  }

  /** A snapshot of the counters (see cacheHitPercent & co. for the derived percentages). */
  stats(): CacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      rejectedPuts: this.rejectedPuts,
      errors: this.errors,
      usedBytes: this.table.usedCount * this.blockSize,
      dirtyBytes: this.table.dirtyCount * this.blockSize,
      capacityBytes: this.capacityBytes,
      blockSize: this.blockSize,
    };
  }

  /**
   * Stop serving, wait for outstanding I/O, fdatasync the data file and write the index of
   * CLEAN blocks so the next open is warm. Never rejects: when anything fails (counted in
   * `errors`) no index is left and the next open is cold. Idempotent.
   */
  close(): Promise<void> {
    this.closePromise ??= this.closeNow();
    return this.closePromise;
  }

  private async closeNow(): Promise<void> {
    this.closing = true;
    if (this.outstanding > 0) {
      await new Promise<void>((resolve) => {
        this.drained = resolve;
      });
    }
    let synced = true;
    try {
      await this.file.datasync();
    } catch {
      this.errors++;
      synced = false;
    }
    // The snapshot: from here on, in-memory changes cannot reach the index.
    this.sealed = true;
    const index = synced ? this.snapshotIndex() : undefined;
    try {
      await this.file.close();
    } catch {
      this.errors++;
    }
    if (index === undefined) return;
    const tempPath = join(this.dir, INDEX_TEMP_FILE_NAME);
    try {
      const st = await stat(join(this.dir, DATA_FILE_NAME), { bigint: true });
      const bytes = index({ size: st.size, ino: st.ino, mtimeNs: st.mtimeNs });
      await writeDurably(tempPath, bytes);
      await rename(tempPath, join(this.dir, INDEX_FILE_NAME));
      await syncDirectory(this.dir);
    } catch {
      this.errors++;
      await removeIfPresent(tempPath).catch(() => undefined);
      await removeIfPresent(join(this.dir, INDEX_FILE_NAME)).catch(() => undefined);
    }
  }

  /** Encodes the CLEAN slots (LRU order) once the data file's identity is known. DIRTY slots are left out. */
  private snapshotIndex(): (identity: DataFileIdentity) => Buffer {
    const names: string[] = [];
    const indexOf = new Map<number, number>();
    for (const v of this.volumes.values()) {
      indexOf.set(v.ordinal, names.length);
      names.push(v.id);
    }
    const table = this.table;
    const entryCount = table.cleanCount;
    const entries = new Float64Array(entryCount * 3);
    let i = 0;
    table.forEachCleanOldestFirst((slot) => {
      entries[i++] = indexOf.get(table.vol[slot]!)!;
      entries[i++] = slot;
      entries[i++] = table.block[slot]!;
    });
    const meta = { blockSize: this.blockSize, slotCount: table.slotCount };
    return (dataFile) =>
      encodeIndex({ ...meta, dataFile }, names, entryCount, (emit) => {
        for (let j = 0; j < entries.length; j += 3) emit(entries[j]!, entries[j + 1]!, entries[j + 2]!);
      });
  }

  private volumeFor(volumeId: string): VolumeEntry {
    let vol = this.volumes.get(volumeId);
    if (vol === undefined) {
      if (typeof volumeId !== 'string' || volumeId === '' || Buffer.byteLength(volumeId, 'utf8') > INDEX_MAX_VOLUME_ID_BYTES) {
        throw new TidegateError(ErrorCode.InvalidArgument, 'cache volume id must be a non-empty string of at most 65535 UTF-8 bytes');
      }
      vol = { id: volumeId, ordinal: this.nextOrdinal++, blocks: new Map(), pending: new Map() };
      this.volumes.set(volumeId, vol);
      this.byOrdinal.set(vol.ordinal, vol);
    }
    return vol;
  }

  /** A slot in WRITING for a new put: free first, else evict the LRU CLEAN slot; -1 when all are DIRTY/WRITING. */
  private reserveSlot(): number {
    const table = this.table;
    const free = table.reserveFree();
    if (free >= 0) return free;
    const victim = table.oldestClean();
    if (victim < 0) return -1;
    this.byOrdinal.get(table.vol[victim]!)?.blocks.delete(table.block[victim]!);
    table.reuseClean(victim);
    this.evictions++;
    return victim;
  }

  private dropIndexed(vol: VolumeEntry, blockIndex: number): void {
    const slot = vol.blocks.get(blockIndex);
    if (slot === undefined) return;
    vol.blocks.delete(blockIndex);
    this.table.free(slot);
  }

  /** Unindex and free an indexed (CLEAN/DIRTY) slot. */
  private dropSlot(slot: number): void {
    const table = this.table;
    const state = table.state[slot];
    if (state !== SlotState.Clean && state !== SlotState.Dirty) return;
    this.byOrdinal.get(table.vol[slot]!)?.blocks.delete(table.block[slot]!);
    table.free(slot);
  }

  private checkNotSealed(): void {
    if (this.sealed) {
      throw new TidegateError(ErrorCode.ShuttingDown, 'block cache is closed; an invalidation now could leave stale data in its index');
    }
  }

  private begin(): void {
    this.outstanding++;
  }

  private end(): void {
    if (--this.outstanding === 0 && this.drained !== undefined) {
      const resolve = this.drained;
      this.drained = undefined;
      resolve();
    }
  }
}

/** Rebuild the table from an index, or say why it cannot be trusted. */
function restore(bytes: Buffer, identity: DataFileIdentity, blockSize: number, slotCount: number): LoadedState | string {
  const decoded = decodeIndex(bytes);
  if (!decoded.ok) return decoded.reason;
  const { meta, volumes: names, entryCount } = decoded.index;
  if (meta.blockSize !== blockSize) return `block size changed (${meta.blockSize} → ${blockSize})`;
  if (meta.slotCount !== slotCount) return `capacity changed (${meta.slotCount} → ${slotCount} blocks)`;
  const df = meta.dataFile;
  if (df.size !== identity.size || df.ino !== identity.ino || df.mtimeNs !== identity.mtimeNs) {
    return 'data file changed since the index was written';
  }
  if (entryCount > slotCount) return 'more entries than slots';
  const table = new SlotTable(slotCount);
  const volumes = new Map<string, VolumeEntry>();
  const byIndex: VolumeEntry[] = names.map((id, ordinal) => {
    const v: VolumeEntry = { id, ordinal, blocks: new Map(), pending: new Map() };
    volumes.set(id, v);
    return v;
  });
  const fileSize = identity.size;
  let bad: string | undefined;
  decoded.index.forEachEntry((volumeIndex, slot, blockIndex) => {
    if (bad !== undefined) return;
    const vol = byIndex[volumeIndex];
    if (vol === undefined) bad = 'entry names an unknown volume';
    else if (!Number.isSafeInteger(blockIndex)) bad = 'entry has an invalid block index';
    else if (BigInt(slot + 1) * BigInt(blockSize) > fileSize) bad = 'entry points past the end of the data file';
    else if (vol.blocks.has(blockIndex)) bad = 'duplicate key';
    else if (!table.restoreClean(slot, vol.ordinal, blockIndex)) bad = 'duplicate or out-of-range slot';
    else vol.blocks.set(blockIndex, slot);
  });
  if (bad !== undefined) return bad;
  table.finishRestore();
  return { table, volumes, warm: true, coldReason: undefined };
}

function checkBlockIndex(blockIndex: number): void {
  if (!Number.isSafeInteger(blockIndex) || blockIndex < 0) {
    throw new TidegateError(ErrorCode.InvalidArgument, `invalid cache block index ${blockIndex}`);
  }
}

function checkRange(firstBlock: number, count: number): void {
  checkBlockIndex(firstBlock);
  if (!Number.isSafeInteger(count) || count < 0 || !Number.isSafeInteger(firstBlock + count)) {
    throw new TidegateError(ErrorCode.InvalidArgument, `invalid cache block count ${count}`);
  }
}

function diskError(message: string, cause: unknown): TidegateError {
  const code = errnoCode(cause) === 'ENOSPC' ? ErrorCode.NoSpace : ErrorCode.IoError;
  return new TidegateError(code, `${message}: ${errnoCode(cause) ?? String(cause)}`, { cause });
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}

async function writeDurably(path: string, bytes: Buffer): Promise<void> {
  const handle = await openFile(path, 'w', 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory so a create/rename/unlink in it survives power loss (skipped where the OS cannot). */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await openFile(dir, 'r');
    await handle.sync();
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err;
  } finally {
    await handle?.close();
  }
}

/** [from, to) index ranges of `slots[0..n)` whose slot numbers are consecutive: one I/O each. */
function* adjacentStretches(slots: ArrayLike<number>, n: number): Generator<[number, number]> {
  for (let k = 0; k < n; ) {
    let e = k + 1;
    while (e < n && slots[e] === slots[e - 1]! + 1) e++;
    yield [k, e];
    k = e;
  }
}
