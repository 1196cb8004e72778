import { describe, expect, it } from 'vitest';
import { SlotState, SlotTable } from './slot-table.js';

function lru(t: SlotTable): number[] {
  const order: number[] = [];
  t.forEachCleanOldestFirst((s) => order.push(s));
  return order;
}

describe('SlotTable', () => {
  it('hands out free slots, keeps LRU order over CLEAN slots only, and never offers DIRTY ones', () => {
    const t = new SlotTable(4);
    const slots = [0, 1, 2, 3].map(() => t.reserveFree());
    expect(slots).toEqual([0, 1, 2, 3]);
    expect(t.reserveFree()).toBe(-1);
    t.install(0, 0, 10, false);
    t.install(1, 0, 11, true);
    t.install(2, 0, 12, false);
    t.install(3, 0, 13, false);
    expect(lru(t)).toEqual([0, 2, 3]);
    t.touch(0);
    expect(lru(t)).toEqual([2, 3, 0]);
    expect(t.oldestClean()).toBe(2);
    t.markClean(1);
    expect(lru(t)).toEqual([2, 3, 0, 1]);
    expect([t.cleanCount, t.dirtyCount, t.writingCount]).toEqual([4, 0, 0]);
  });

  it('bumps the generation on every transition and reuses freed slots first', () => {
    const t = new SlotTable(8);
    const s = t.reserveFree();
    const g0 = t.gen[s]!;
    t.install(s, 1, 5, false);
    expect(t.gen[s]).toBe(g0 + 1);
    t.reuseClean(s);
    expect(t.state[s]).toBe(SlotState.Writing);
    expect(t.gen[s]).toBe(g0 + 2);
    t.free(s);
    expect(t.gen[s]).toBe(g0 + 3);
    expect(t.reserveFree()).toBe(s);
    expect(t.usedCount).toBe(1);
  });

  it('grows its arrays as slots are used, keeping contents', () => {
    const t = new SlotTable(10_000);
    for (let i = 0; i < 10_000; i++) {
      const s = t.reserveFree();
      t.install(s, 7, 2 ** 33 + i, i % 3 === 0);
    }
    expect(t.reserveFree()).toBe(-1);
    expect(t.block[9_999]).toBe(2 ** 33 + 9_999);
    expect(t.vol[5_000]).toBe(7);
    expect(t.dirtyCount).toBe(3_334);
    expect(lru(t).length).toBe(6_666);
  });

  it('restores in LRU order and rejects duplicate or out-of-range slots', () => {
    const t = new SlotTable(8);
    expect(t.restoreClean(5, 0, 1)).toBe(true);
    expect(t.restoreClean(2, 0, 2)).toBe(true);
    expect(t.restoreClean(5, 0, 3)).toBe(false);
    expect(t.restoreClean(8, 0, 3)).toBe(false);
    t.finishRestore();
    expect(lru(t)).toEqual([5, 2]);
    const got = new Set<number>();
    for (let s = t.reserveFree(); s !== -1; s = t.reserveFree()) got.add(s);
    expect([...got].sort()).toEqual([0, 1, 3, 4, 6, 7]);
  });

  it('grow raises the limit; a shrink keeps slots beyond the end off the free list and out of the tail', () => {
    const t = new SlotTable(4);
    for (let i = 0; i < 4; i++) t.reserveFree();
    expect(t.reserveFree()).toBe(-1);
    t.grow(6);
    expect(t.slotCount).toBe(6);
    expect(t.reserveFree()).toBe(4);
    // Slots 0..4 WRITING; free 1 and 3; shrink to 3 while slot 4 is still being written.
    t.free(1);
    t.free(3);
    t.shrink(3);
    expect(t.slotCount).toBe(3);
    expect(t.writingFrom(3)).toBe(true);
    expect(t.hasTail(1)).toBe(false);
    expect(t.reserveTail(1)).toBe(-1);
    expect(t.reserveFree()).toBe(1); // 3 left the free list
    expect(t.reserveFree()).toBe(-1);
    t.free(4); // the write beyond the end finished: freed, not reusable
    expect(t.writingFrom(3)).toBe(false);
    expect(t.reserveFree()).toBe(-1);
    // Growing again brings the free slots beyond the old end back, then the never-used tail.
    t.grow(8);
    const got = [t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree()].sort((a, b) => a - b);
    expect(got).toEqual([3, 4, 5, 6, 7]);
    expect(t.reserveFree()).toBe(-1);
  });

  it('oldestChunk: the aligned stretch around the LRU slot, only when every slot in it is FREE or CLEAN', () => {
    const t = new SlotTable(16);
    for (let i = 0; i < 16; i++) t.install(t.reserveFree(), 0, 100 + i, false);
    t.touch(4); // LRU order now 0..3, 5..15, 4
    t.free(6); // a FREE slot inside the first stretch of 8 is fine
    expect(t.oldestChunk(8)).toBe(0);
    t.touch(0);
    t.touch(1);
    t.touch(2);
    t.touch(3); // oldest is 5 now: still the stretch 0..7
    expect(t.oldestChunk(8)).toBe(0);
    for (const s of [5, 7]) t.touch(s); // oldest is 8: the stretch 8..15
    expect(t.oldestChunk(8)).toBe(8);
    // A DIRTY or WRITING slot in the stretch rules it out.
    t.free(12);
    expect(t.reserveFree()).toBe(12); // freed last, handed out first
    expect(t.oldestChunk(8)).toBe(-1);
  });

  it('takeChunk moves FREE and CLEAN slots to WRITING, out of the free list and the LRU list', () => {
    const t = new SlotTable(8);
    for (let i = 0; i < 8; i++) t.install(t.reserveFree(), 0, i, false);
    t.free(1);
    t.free(3);
    t.free(6); // free list: 6, 3, 1
    const g = t.gen[2]!;
    t.takeChunk(0, 4);
    for (let s = 0; s < 4; s++) expect(t.state[s]).toBe(SlotState.Writing);
    expect(t.gen[2]).toBe(g + 1);
    expect([t.cleanCount, t.writingCount, t.usedCount]).toEqual([3, 4, 7]);
    expect(lru(t)).toEqual([4, 5, 7]);
    expect(t.reserveFree()).toBe(6); // 3 and 1 left the free list with the stretch
    expect(t.reserveFree()).toBe(-1);
    // Freed again, they rejoin it.
    t.free(1);
    t.free(3);
    expect([t.reserveFree(), t.reserveFree(), t.reserveFree()]).toEqual([3, 1, -1]);
  });

  it('a shrink drops free slots beyond the end from the free list, a grow brings them back', () => {
    const t = new SlotTable(8);
    for (let i = 0; i < 8; i++) t.reserveFree();
    for (let s = 0; s < 8; s++) t.free(s);
    t.shrink(4);
    const got: number[] = [];
    for (let s = t.reserveFree(); s !== -1; s = t.reserveFree()) got.push(s);
    expect(got.sort()).toEqual([0, 1, 2, 3]);
    t.grow(8);
    expect([t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree()].sort()).toEqual([-1, 4, 5, 6, 7]);
  });
});
