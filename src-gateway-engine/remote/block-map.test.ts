import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { crc32 } from 'node:zlib';
import { BlockMap, PAGE_BLOCKS, SPARSE_MAX, locationObject, locationOffset, packLocation } from './block-map.js';
import { CHECKPOINT_SIGNATURE } from './remote-format.js';

/** The model: block → packed location, absent = unmapped. */
type Model = Map<number, number>;

type Op =
  | { op: 'set'; first: number; count: number; objNo: number; off: number }
  | { op: 'clear'; first: number; count: number };

// Blocks within a few pages, so runs collide, straddle page edges and fill whole pages.
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('set' as const),
    first: fc.oneof(fc.integer({ min: 0, max: 4 * PAGE_BLOCKS }), fc.constantFrom(0, PAGE_BLOCKS, 2 * PAGE_BLOCKS, PAGE_BLOCKS - 1)),
    count: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(PAGE_BLOCKS, PAGE_BLOCKS + 1, 2 * PAGE_BLOCKS, PAGE_BLOCKS - 1)),
    objNo: fc.integer({ min: 1, max: 2 ** 32 - 1 }),
    off: fc.integer({ min: 0, max: 65536 - 2 * PAGE_BLOCKS - 1 }),
  }),
  fc.record({
    op: fc.constant('clear' as const),
    first: fc.integer({ min: 0, max: 5 * PAGE_BLOCKS }),
    count: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 3 * PAGE_BLOCKS })),
  }),
);

function apply(map: BlockMap, model: Model, o: Op): void {
  if (o.op === 'set') {
    map.setRun(o.first, o.count, o.objNo, o.off);
    for (let k = 0; k < o.count; k++) model.set(o.first + k, packLocation(o.objNo, o.off + k));
  } else {
    map.clearRange(o.first, o.count);
    for (let k = 0; k < o.count; k++) model.delete(o.first + k);
  }
}

function checkAgainst(map: BlockMap, model: Model, upTo: number): void {
  for (let b = 0; b < upTo; b++) {
    const got = map.get(b);
    const want = model.get(b) ?? 0;
    if (got !== want) throw new Error(`block ${b}: map ${got} (obj ${locationObject(got)} off ${locationOffset(got)}), model ${want}`);
  }
}

describe('BlockMap against a Map model', () => {
  it('setRun / clearRange / get agree with the model (linear pages, their conversion, partial clears)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
        const map = new BlockMap();
        const model: Model = new Map();
        for (const o of ops) apply(map, model, o);
        checkAgainst(map, model, 7 * PAGE_BLOCKS);
        // Pages are dropped once empty: the map never holds a page the model has no block in.
        const pages = new Set([...model.keys()].map((b) => Math.floor(b / PAGE_BLOCKS)));
        expect(map.pageCount).toBe(pages.size);
      }),
      { numRuns: 300, seed: 7 },
    );
  });

  it('mappedRuns lists every mapped block exactly once, in order, as runs of at most 256 contiguous blocks', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 20 }), (ops) => {
        const map = new BlockMap();
        const model: Model = new Map();
        for (const o of ops) apply(map, model, o);
        const seen: Model = new Map();
        let lastEnd = -1;
        for (const r of map.mappedRuns()) {
          expect(r.count).toBeGreaterThan(0);
          expect(r.count).toBeLessThanOrEqual(256);
          expect(r.firstBlock).toBeGreaterThanOrEqual(lastEnd);
          lastEnd = r.firstBlock + r.count;
          for (let k = 0; k < r.count; k++) seen.set(r.firstBlock + k, packLocation(r.objNo, r.off + k));
        }
        expect([...seen.entries()].sort((a, b) => a[0] - b[0])).toEqual([...model.entries()].sort((a, b) => a[0] - b[0]));
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it('serialize/deserialize round-trips every map', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 20 }), (ops) => {
        const map = new BlockMap();
        const model: Model = new Map();
        for (const o of ops) apply(map, model, o);
        const back = BlockMap.deserialize(map.serialize(), 'cp');
        checkAgainst(back, model, 7 * PAGE_BLOCKS);
        expect(back.pageCount).toBe(map.pageCount);
        expect(back.serialize()).toEqual(map.serialize());
        // The copy is live: further edits behave (full pages keep their mapped counts).
        back.clearRange(0, 7 * PAGE_BLOCKS);
        expect(back.pageCount).toBe(0);
      }),
      { numRuns: 50, seed: 13 },
    );
  });
});

describe('BlockMap pages and cost', () => {
  it('a whole-page run is a linear page; writing into it converts it to a full page with the same mapping', () => {
    const map = new BlockMap();
    map.setRun(PAGE_BLOCKS, PAGE_BLOCKS, 5, 100);
    const linearBytes = map.memoryBytes;
    expect(map.pageCount).toBe(1);
    map.setRun(PAGE_BLOCKS + 10, 1, 6, 0);
    expect(map.memoryBytes).toBeGreaterThan(linearBytes);
    expect(map.get(PAGE_BLOCKS + 9)).toBe(packLocation(5, 109));
    expect(map.get(PAGE_BLOCKS + 10)).toBe(packLocation(6, 0));
    expect(map.get(2 * PAGE_BLOCKS - 1)).toBe(packLocation(5, 100 + PAGE_BLOCKS - 1));
    // Clearing part of a linear page converts it too, and only the cleared blocks go.
    const m2 = new BlockMap();
    m2.setRun(0, PAGE_BLOCKS, 9, 0);
    m2.clearRange(1, PAGE_BLOCKS - 2);
    expect(m2.get(0)).toBe(packLocation(9, 0));
    expect(m2.get(1)).toBe(0);
    expect(m2.get(PAGE_BLOCKS - 1)).toBe(packLocation(9, PAGE_BLOCKS - 1));
    m2.clearRange(0, 1);
    m2.clearRange(PAGE_BLOCKS - 1, 1);
    expect(m2.pageCount).toBe(0);
  });

  it('a page whose offsets would pass 65535 is stored as a full page, not a wrapped linear one', () => {
    const map = new BlockMap();
    map.setRun(0, PAGE_BLOCKS, 3, 65536 - 10);
    expect(map.get(0)).toBe(packLocation(3, 65526));
    expect(map.get(9)).toBe(packLocation(3, 65535));
  });

  it('huge clearRange over a sparse 32 TiB address space visits only the pages present', () => {
    const blocks32TiB = (32 * 1024 ** 4) / 4096; // 2^33 blocks
    const map = new BlockMap();
    const far = blocks32TiB - 5 * PAGE_BLOCKS;
    map.setRun(0, 3, 1, 0);
    map.setRun(far, 2 * PAGE_BLOCKS, 2, 0);
    map.setRun(blocks32TiB - 1, 1, 3, 0);
    // Count page lookups: a loop over 8 Mi pages would call has() millions of times.
    const pages = (map as unknown as { pages: Map<number, unknown> }).pages;
    let lookups = 0;
    const realHas = pages.has.bind(pages);
    const realGet = pages.get.bind(pages);
    pages.has = (k: number) => (lookups++, realHas(k));
    pages.get = (k: number) => (lookups++, realGet(k));
    map.clearRange(1, blocks32TiB - 2); // everything but block 0 and the very last block
    expect(lookups).toBeLessThan(100);
    expect(map.get(0)).toBe(packLocation(1, 0));
    expect(map.get(1)).toBe(0);
    expect(map.get(far)).toBe(0);
    expect(map.get(blocks32TiB - 1)).toBe(packLocation(3, 0));
    expect(map.pageCount).toBe(2);
  });

  it('memoryBytes grows with written data, not with the address range', () => {
    const small = new BlockMap();
    small.setRun(0, 1, 1, 0);
    const wide = new BlockMap();
    wide.setRun(0, 1, 1, 0);
    wide.setRun(2 ** 33 - 1, 1, 1, 1); // the other end of a 32 TiB volume
    expect(wide.memoryBytes).toBe(2 * small.memoryBytes);
    const seq = new BlockMap();
    // 1 GiB written sequentially, 8 MiB objects whose data starts after a one-block header: linear pages.
    for (let o = 0; o < 128; o++) seq.setRun(o * 2 * PAGE_BLOCKS, 2 * PAGE_BLOCKS, o + 1, 1);
    expect(seq.pageCount).toBe(256);
    expect(seq.memoryBytes).toBeLessThan(64 * 1024);
    const scattered = new BlockMap();
    for (let p = 0; p < 256; p++) scattered.setRun(p * PAGE_BLOCKS + 3, 1, 7, p);
    expect(scattered.memoryBytes).toBeGreaterThan(seq.memoryBytes);
    expect(scattered.memoryBytes).toBeLessThan(256 * 256);
  });

  it('random 4 KiB writes scattered over 32 TiB cost bytes per page, not a 6 KiB page each, in memory and in the checkpoint', () => {
    const map = new BlockMap();
    const model: Model = new Map();
    let x = 12345;
    const next = (): number => (x = (x * 1103515245 + 12345) % 2 ** 31);
    for (let w = 0; w < 20_000; w++) {
      const block = (next() * 4) % 2 ** 33; // somewhere in 32 TiB of 4 KiB blocks
      map.setRun(block, 1, 1 + (w >> 11), w & 2047);
      model.set(block, packLocation(1 + (w >> 11), w & 2047));
    }
    const pages = new Set([...model.keys()].map((b) => Math.floor(b / PAGE_BLOCKS)));
    expect(pages.size).toBeGreaterThan(15_000);
    expect(map.pageCount).toBe(pages.size);
    expect(map.memoryBytes / map.pageCount).toBeLessThan(200);
    const cp = map.serialize();
    expect(cp.length / map.pageCount).toBeLessThan(20);
    const back = BlockMap.deserialize(cp, 'cp');
    for (const [b, loc] of model) expect(back.get(b)).toBe(loc);
  });

  it(`a page stays sparse up to ${SPARSE_MAX} mapped blocks, then becomes full, with the same mapping either way`, () => {
    const map = new BlockMap();
    const model: Model = new Map();
    // Every other block of page 3, in a shuffled order, then overwrites and a clear in the middle.
    const order = Array.from({ length: SPARSE_MAX }, (_, k) => (k * 37) % SPARSE_MAX);
    for (const k of order) {
      map.setRun(3 * PAGE_BLOCKS + 2 * k, 1, 9, k);
      model.set(3 * PAGE_BLOCKS + 2 * k, packLocation(9, k));
    }
    const sparseBytes = map.memoryBytes;
    expect(sparseBytes).toBeLessThan(2 * 1024);
    map.setRun(3 * PAGE_BLOCKS + 10, 1, 11, 500); // an overwrite: still sparse
    model.set(3 * PAGE_BLOCKS + 10, packLocation(11, 500));
    expect(map.memoryBytes).toBe(sparseBytes);
    map.clearRange(3 * PAGE_BLOCKS + 20, 40);
    for (let b = 3 * PAGE_BLOCKS + 20; b < 3 * PAGE_BLOCKS + 60; b++) model.delete(b);
    checkAgainst(map, model, 5 * PAGE_BLOCKS);
    for (let k = 0; k < 40; k++) {
      map.setRun(3 * PAGE_BLOCKS + 2 * k + 1, 1, 12, k); // odd blocks: past SPARSE_MAX on the way
      model.set(3 * PAGE_BLOCKS + 2 * k + 1, packLocation(12, k));
    }
    expect(map.memoryBytes).toBeGreaterThan(6 * 1024);
    checkAgainst(map, model, 5 * PAGE_BLOCKS);
    const runs = [...map.mappedRuns()];
    expect(runs.reduce((n, r) => n + r.count, 0)).toBe(model.size);
  });

  it('a version-1 checkpoint (full and linear pages only) still loads; its sparse-enough pages become sparse', () => {
    const obj = new Uint32Array(PAGE_BLOCKS);
    const off = new Uint16Array(PAGE_BLOCKS);
    obj[5] = 77;
    off[5] = 300;
    const parts = [CHECKPOINT_SIGNATURE, u32(1), u32(2)];
    parts.push(u32(0), Buffer.from([1]), u32(4), u16(0)); // page 0: linear, object 4
    parts.push(u32(9), Buffer.from([0]), Buffer.from(obj.buffer), Buffer.from(off.buffer)); // page 9: full, one block
    const body = Buffer.concat(parts);
    const map = BlockMap.deserialize(Buffer.concat([body, u32(crc32(body))]), 'v1');
    expect(map.get(7)).toBe(packLocation(4, 7));
    expect(map.get(9 * PAGE_BLOCKS + 5)).toBe(packLocation(77, 300));
    expect(map.get(9 * PAGE_BLOCKS + 6)).toBe(0);
    expect(map.memoryBytes).toBeLessThan(1024);
  });
});

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v, 0);
  return b;
}

describe('BlockMap checkpoint corruption', () => {
  function sample(): Buffer {
    const map = new BlockMap();
    map.setRun(0, PAGE_BLOCKS, 2, 0); // linear
    map.setRun(5000, 17, 3, 40); // sparse
    map.setRun(9000, 300, 4, 0); // full
    return map.serialize();
  }

  it('any flipped byte is CORRUPT', () => {
    const good = sample();
    for (const pos of [0, 7, 8, 12, 16, 20, 30, good.length - 200, good.length - 5, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[pos]! ^= 0x10;
      expect(() => BlockMap.deserialize(bad, 'cp'), `byte ${pos}`).toThrow(expect.objectContaining({ code: ErrorCode.Corrupt }));
    }
  });

  it('a truncated or empty checkpoint is CORRUPT', () => {
    const good = sample();
    for (const len of [0, 10, 19, 20, good.length - 1]) {
      expect(() => BlockMap.deserialize(good.subarray(0, len), 'cp')).toThrow(expect.objectContaining({ code: ErrorCode.Corrupt }));
    }
  });
});
