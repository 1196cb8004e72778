/**
 * The in-memory slot table of the block cache: per-slot state, owner key, generation and
 * the intrusive LRU list over CLEAN slots, all in typed arrays (25 bytes per slot, no
 * allocation per access). The state machine itself is described at the top of
 * block-cache.ts; this file only keeps the bookkeeping consistent (counts, links, gens).
 *
 * Arrays grow by doubling up to `slotCount`, so a large, mostly empty cache costs little.
 * Slots are handed out from the FREE ones first, then from the never-used tail
 * (`highWater`), which keeps the sparse data file as small as the working set.
 *
 * FREE slots are found in a bitmap by a cursor that moves forward through the file
 * (next fit), not taken from a most-recently-freed stack: a put of many blocks then gets
 * the freed slots in file order, so wherever a stretch was freed together (a large
 * overwrite, a deleted volume) its blocks land in it again and are written with one pwrite,
 * instead of the stack handing out slots freed one by one by small random writes first.
 *
 * `slotCount` changes at runtime (`grow`, `shrink`). Slots at or beyond it are never handed
 * out and never become available; after a shrink `highWater` may stay above it while writes
 * to such slots finish (no tail is handed out then).
 */

import { grown } from '../memory/typed-arrays.js';

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
  /** LRU links (CLEAN slots). */
  private prev: Int32Array;
  private next: Int32Array;
  /** One bit per FREE slot that may be handed out (below both highWater and slotCount). */
  private freeBits: Uint32Array;
  private freeCount = 0;
  /** Where the search for the next FREE slot starts. */
  private cursor = 0;

  private length: number;
  private lruHead = NONE; // most recently used
  private lruTail = NONE; // least recently used
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
    this.freeBits = new Uint32Array(bitmapWords(this.length));
  }

  /** Number of slots the cache may use. */
  get slotCount(): number {
    return this.count;
  }

  /** Slots below this have been handed out at least once; the data file holds nothing beyond. */
  get highWaterMark(): number {
    return this.highWater;
  }

  /** Raise the number of usable slots to `n`; FREE slots that were beyond the old end become available. */
  grow(n: number): void {
    const old = this.count;
    if (n <= old) return;
    this.count = n;
    for (let s = old; s < Math.min(this.highWater, n); s++) if (this.state[s] === SlotState.Free) this.markFree(s);
  }

  /**
   * Lower the number of usable slots to `n`. The caller has already freed every CLEAN and
   * DIRTY slot at or beyond `n`; FREE ones there stop being available, WRITING ones are freed
   * by `free()` when their writes end and are never handed out again.
   */
  shrink(n: number): void {
    if (n >= this.count) return;
    const old = this.count;
    this.count = n;
    for (let s = n; s < Math.min(this.highWater, old); s++) if (this.isMarkedFree(s)) this.unmarkFree(s);
    if (this.cursor >= n) this.cursor = 0;
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
    let s = this.freeCount > 0 ? this.nextMarkedFree() : NONE;
    if (s !== NONE) {
      this.unmarkFree(s);
      this.cursor = s + 1;
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
    this.markFree(s);
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

  /** Mark the FREE slots below the high-water mark as available (after restoring). */
  finishRestore(): void {
    this.freeBits.fill(0);
    this.freeCount = 0;
    this.cursor = 0;
    for (let s = 0; s < this.highWater; s++) if (this.state[s] === SlotState.Free) this.markFree(s);
  }

  private markFree(s: number): void {
    this.freeBits[s >>> 5]! |= 1 << (s & 31);
    this.freeCount++;
  }

  private unmarkFree(s: number): void {
    this.freeBits[s >>> 5]! &= ~(1 << (s & 31));
    this.freeCount--;
  }

  private isMarkedFree(s: number): boolean {
    return (this.freeBits[s >>> 5]! & (1 << (s & 31))) !== 0;
  }

  /** The first marked slot at or after the cursor, wrapping around; the caller checked freeCount > 0. */
  private nextMarkedFree(): number {
    const bits = this.freeBits;
    const words = bitmapWords(Math.min(this.highWater, this.count));
    const start = this.cursor >>> 5;
    // The cursor's own word, without the slots before the cursor; then the words after it;
    // then, wrapping, every word from the start (the cursor's word again, whole).
    let w = start < words ? bits[start]! & (~0 << (this.cursor & 31)) : 0;
    if (w !== 0) return (start << 5) + lowestBit(w);
    for (let i = start + 1; i < words; i++) if ((w = bits[i]!) !== 0) return (i << 5) + lowestBit(w);
    for (let i = 0; i <= Math.min(start, words - 1); i++) if ((w = bits[i]!) !== 0) return (i << 5) + lowestBit(w);
    return NONE;
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
    this.state = grown(this.state, new Uint8Array(len));
    this.gen = grown(this.gen, new Uint32Array(len));
    this.vol = grown(this.vol, new Uint32Array(len));
    this.block = grown(this.block, new Float64Array(len));
    this.prev = grown(this.prev, new Int32Array(len));
    this.next = grown(this.next, new Int32Array(len));
    this.freeBits = grown(this.freeBits, new Uint32Array(bitmapWords(len)));
    this.length = len;
  }
}

function bitmapWords(slots: number): number {
  return (slots + 31) >>> 5;
}

/** Index of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(w: number): number {
  return 31 - Math.clz32(w & -w);
}
