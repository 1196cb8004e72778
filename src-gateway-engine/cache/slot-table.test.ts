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

  it('hands out freed slots in file order from where the last one was taken, wrapping around', () => {
    const t = new SlotTable(80);
    for (let i = 0; i < 80; i++) t.reserveFree();
    for (const s of [70, 5, 40, 33, 34, 35, 64]) t.free(s);
    expect([t.reserveFree(), t.reserveFree(), t.reserveFree()]).toEqual([5, 33, 34]);
    t.free(2); // behind the cursor: taken after the wrap
    expect([t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree(), t.reserveFree()]).toEqual([35, 40, 64, 70, 2, -1]);
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
});
