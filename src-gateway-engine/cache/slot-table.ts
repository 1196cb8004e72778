/**
 * The in-memory slot table of the block cache: per-slot state, owner key, generation and
 * the intrusive LRU list over CLEAN slots, all in typed arrays (25 bytes per slot, no
 * allocation per access). The state machine itself is described at the top of
 * block-cache.ts; this file only keeps the bookkeeping consistent (counts, links, gens).
 *
 * Arrays grow by doubling up to `slotCount`, so a large, mostly empty cache costs little.
 * Slots are handed out from the free list first, then from the never-used tail
 * (`highWater`), which keeps the sparse data file as small as the working set.
 *
 * `slotCount` changes at runtime (`grow`, `shrink`). Slots at or beyond it are never handed
 * out and never join the free list; after a shrink `highWater` may stay above it while writes
 * to such slots finish (no tail is handed out then).
 */

/** Slot states (see the block-state table in block-cache.ts). */
export const SlotState = {
  Free: 0,
  Writing: 1,
  Clean: 2,
  Dirty: 3,
} as const;
export type SlotState = (typeof SlotState)[keyof typeof SlotState];

const NONE = -1;
const INITIAL_LENGTH = 4096;

/** Slot bookkeeping for one cache; not safe to share between caches. */
export class SlotTable {
  private count: number;

  /** SlotState per slot. */
  state: Uint8Array;
  /** Bumped on every transition; a reader that sees the same value before and after its read read this slot's current data. */
  gen: Uint32Array;
  /** Volume ordinal of the key held (CLEAN/DIRTY only). */
  vol: Uint32Array;
  /** Block index of the key held (CLEAN/DIRTY only); exact up to 2^53. */
  block: Float64Array;
  /** LRU links (CLEAN slots); `next` doubles as the free-list link (FREE slots). */
  private prev: Int32Array;
  private next: Int32Array;

  private length: number;
  private lruHead = NONE; // most recently used
  private lruTail = NONE; // least recently used
  private freeHead = NONE;
  private highWater = 0; // slots >= highWater have never been handed out

  cleanCount = 0;
  dirtyCount = 0;
  writingCount = 0;

  constructor(slotCount: number) {
    this.count = slotCount;
    this.length = Math.min(slotCount, INITIAL_LENGTH);
    this.state = new Uint8Array(this.length);
    this.gen = new Uint32Array(this.length);
    this.vol = new Uint32Array(this.length);
    this.block = new Float64Array(this.length);
    this.prev = new Int32Array(this.length);
    this.next = new Int32Array(this.length);
  }

  /** Number of slots the cache may use. */
  get slotCount(): number {
    return this.count;
  }

  /** Slots below this have been handed out at least once; the data file holds nothing beyond. */
  get highWaterMark(): number {
    return this.highWater;
  }

  /** Raise the number of usable slots to `n`; FREE slots that were beyond the old end join the free list. */
  grow(n: number): void {
    const old = this.count;
    if (n <= old) return;
    this.count = n;
    for (let s = Math.min(this.highWater, n) - 1; s >= old; s--) {
      if (this.state[s] === SlotState.Free) {
        this.next[s] = this.freeHead;
        this.freeHead = s;
      }
    }
  }

  /**
   * Lower the number of usable slots to `n`. The caller has already freed every CLEAN and
   * DIRTY slot at or beyond `n`; FREE ones there leave the free list, WRITING ones are freed
   * by `free()` when their writes end and are never handed out again.
   */
  shrink(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    let kept = NONE;
    for (let s = this.freeHead; s !== NONE; ) {
      const after = this.next[s]!;
      if (s < n) {
        if (kept === NONE) this.freeHead = s;
        else this.next[kept] = s;
        kept = s;
      }
      s = after;
    }
    if (kept === NONE) this.freeHead = NONE;
    else this.next[kept] = NONE;
  }

  /** True while slots at or beyond `from` are still being written (after a shrink). */
  writingFrom(from: number): boolean {
    for (let s = from; s < this.highWater; s++) if (this.state[s] === SlotState.Writing) return true;
    return false;
  }

  /** Slots holding or about to hold data (WRITING, CLEAN, DIRTY). */
  get usedCount(): number {
    return this.cleanCount + this.dirtyCount + this.writingCount;
  }

  /** A FREE (or never-used) slot moved to WRITING, or -1 when there is none. Never evicts. */
  reserveFree(): number {
    let s = this.freeHead;
    if (s !== NONE) {
      this.freeHead = this.next[s]!;
    } else if (this.highWater < this.slotCount) {
      s = this.highWater++;
      this.ensureLength(this.highWater);
    } else {
      return NONE;
    }
    this.state[s] = SlotState.Writing;
    this.gen[s] = (this.gen[s]! + 1) >>> 0;
    this.writingCount++;
    return s;
  }

  /**
   * `n` consecutive never-used slots from the high-water mark moved to WRITING (so a run of
   * blocks lands in one contiguous stretch of the data file); the first slot, or -1 when the
   * tail has fewer than `n` left. Never evicts.
   */
  reserveTail(n: number): number {
    if (n <= 0 || this.slotCount - this.highWater < n) return NONE;
    const first = this.highWater;
    this.highWater += n;
    this.ensureLength(this.highWater);
    for (let s = first; s < first + n; s++) {
      this.state[s] = SlotState.Writing;
      this.gen[s] = (this.gen[s]! + 1) >>> 0;
    }
    this.writingCount += n;
    return first;
  }

  /** True when `n` never-used slots remain above the high-water mark. */
  hasTail(n: number): boolean {
    return this.slotCount - this.highWater >= n;
  }

  /** The least recently used CLEAN slot, or -1. */
  oldestClean(): number {
    return this.lruTail;
  }

  /** A CLEAN slot (already removed from the caller's key index) moved to WRITING. */
  reuseClean(s: number): void {
    this.lruUnlink(s);
    this.cleanCount--;
    this.state[s] = SlotState.Writing;
    this.gen[s] = (this.gen[s]! + 1) >>> 0;
    this.writingCount++;
  }

  /** A WRITING slot whose data write completed becomes CLEAN (at the MRU end) or DIRTY. */
  install(s: number, vol: number, block: number, dirty: boolean): void {
    this.writingCount--;
    this.vol[s] = vol;
    this.block[s] = block;
    this.gen[s] = (this.gen[s]! + 1) >>> 0;
    if (dirty) {
      this.state[s] = SlotState.Dirty;
      this.dirtyCount++;
    } else {
      this.state[s] = SlotState.Clean;
      this.cleanCount++;
      this.lruPushHead(s);
    }
  }

  /** Any non-FREE slot back to FREE. */
  free(s: number): void {
    switch (this.state[s]) {
      case SlotState.Clean:
        this.lruUnlink(s);
        this.cleanCount--;
        break;
      case SlotState.Dirty:
        this.dirtyCount--;
        break;
      case SlotState.Writing:
        this.writingCount--;
        break;
      default:
        return;
    }
    this.state[s] = SlotState.Free;
    this.gen[s] = (this.gen[s]! + 1) >>> 0;
    if (s >= this.count) return; // beyond the end after a shrink: never handed out again
    this.next[s] = this.freeHead;
    this.freeHead = s;
  }

  /** A CLEAN slot was read: move it to the MRU end. No-op for other states. */
  touch(s: number): void {
    if (this.state[s] !== SlotState.Clean || this.lruHead === s) return;
    this.lruUnlink(s);
    this.lruPushHead(s);
  }

  /** DIRTY → CLEAN (at the MRU end). No-op for other states. */
  markClean(s: number): void {
    if (this.state[s] !== SlotState.Dirty) return;
    this.dirtyCount--;
    this.cleanCount++;
    this.state[s] = SlotState.Clean;
    this.lruPushHead(s);
  }

  /** Visit CLEAN slots from least to most recently used. */
  forEachCleanOldestFirst(visit: (slot: number) => void): void {
    for (let s = this.lruTail; s !== NONE; s = this.prev[s]!) visit(s);
  }

  /**
   * Restore a CLEAN slot from a persisted index, as the new MRU; call in LRU order
   * (oldest first) on a fresh table, then `finishRestore()`. False for an out-of-range or
   * already restored slot (the caller then discards the whole table).
   */
  restoreClean(s: number, vol: number, block: number): boolean {
    if (!Number.isInteger(s) || s < 0 || s >= this.slotCount) return false;
    this.ensureLength(s + 1);
    if (this.state[s] !== SlotState.Free) return false;
    this.state[s] = SlotState.Clean;
    this.vol[s] = vol;
    this.block[s] = block;
    this.cleanCount++;
    this.lruPushHead(s);
    if (s >= this.highWater) this.highWater = s + 1;
    return true;
  }

  /** Thread the FREE slots below the high-water mark onto the free list (after restoring). */
  finishRestore(): void {
    this.freeHead = NONE;
    for (let s = this.highWater - 1; s >= 0; s--) {
      if (this.state[s] === SlotState.Free) {
        this.next[s] = this.freeHead;
        this.freeHead = s;
      }
    }
  }

  private lruPushHead(s: number): void {
    this.prev[s] = NONE;
    this.next[s] = this.lruHead;
    if (this.lruHead !== NONE) this.prev[this.lruHead] = s;
    this.lruHead = s;
    if (this.lruTail === NONE) this.lruTail = s;
  }

  private lruUnlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== NONE) this.next[p] = n;
    else this.lruHead = n;
    if (n !== NONE) this.prev[n] = p;
    else this.lruTail = p;
    this.prev[s] = NONE;
    this.next[s] = NONE;
  }

  private ensureLength(needed: number): void {
    if (needed <= this.length) return;
    let len = this.length === 0 ? INITIAL_LENGTH : this.length;
    while (len < needed) len *= 2;
    len = Math.min(len, this.slotCount);
    this.state = grow(this.state, new Uint8Array(len));
    this.gen = grow(this.gen, new Uint32Array(len));
    this.vol = grow(this.vol, new Uint32Array(len));
    this.block = grow(this.block, new Float64Array(len));
    this.prev = grow(this.prev, new Int32Array(len));
    this.next = grow(this.next, new Int32Array(len));
    this.length = len;
  }
}

function grow<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(old: T, bigger: T): T {
  bigger.set(old as never);
  return bigger;
}
