import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE } from '../remote/remote-format.js';
import { RecordKind } from '../writelog/write-log-format.js';
import { packRecords, type PackableRecord, type PackedObject } from './segment-packer.js';

function blockOf(tag: number): Buffer {
  return Buffer.alloc(BLOCK_SIZE, tag & 0xff);
}
function w(seq: number, first: number, count: number, tag = seq): PackableRecord {
  const data = Buffer.concat(Array.from({ length: count }, (_, k) => blockOf(tag * 7 + k)));
  return { seq, kind: RecordKind.Write, offset: first * BLOCK_SIZE, length: count * BLOCK_SIZE, data };
}
function t(seq: number, first: number, count: number, kind: RecordKind = RecordKind.Trim): PackableRecord {
  return { seq, kind, offset: first * BLOCK_SIZE, length: count * BLOCK_SIZE, data: undefined };
}

/** Apply records in order to a block → content model (undefined = zero / unmapped). */
function applyRecords(records: PackableRecord[]): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const r of records) {
    const first = r.offset / BLOCK_SIZE;
    for (let k = 0; k < r.length / BLOCK_SIZE; k++) {
      if (r.kind === RecordKind.Write) m.set(first + k, r.data!.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
      else m.delete(first + k);
    }
  }
  return m;
}

/** Apply objects as the map does: per object zero extents first, then data extents. */
function applyObjects(objects: PackedObject[]): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const o of objects) {
    for (const z of o.zeroExtents) for (let k = 0; k < z.blockCount; k++) m.delete(z.firstBlock + k);
    for (const d of o.dataExtents) {
      const all = Buffer.concat(d.data);
      expect(all.length).toBe(d.blockCount * BLOCK_SIZE);
      for (let k = 0; k < d.blockCount; k++) m.set(d.firstBlock + k, all.subarray(k * BLOCK_SIZE, (k + 1) * BLOCK_SIZE));
    }
    // The folded CRC is the CRC of the data region.
    expect(o.dataCrc).toBe(crc32(Buffer.concat(o.dataExtents.flatMap((d) => d.data))));
  }
  return m;
}

describe('packRecords', () => {
  it('write-write to a block in one object keeps only the later data', () => {
    const [o] = packRecords([w(1, 5, 2, 1), w(2, 6, 1, 2)], 1 << 20);
    expect(o!.firstSeq).toBe(1);
    expect(o!.lastSeq).toBe(2);
    expect(o!.zeroExtents).toEqual([]);
    expect(o!.dataExtents.map((d) => [d.firstBlock, d.blockCount])).toEqual([[5, 2]]);
    expect(Buffer.concat(o!.dataExtents[0]!.data).subarray(BLOCK_SIZE)).toEqual(blockOf(2 * 7));
  });

  it('write then trim drops the written blocks the trim covers and records a zero extent', () => {
    const [o] = packRecords([w(1, 0, 4), t(2, 1, 2)], 1 << 20);
    expect(o!.dataExtents.map((d) => [d.firstBlock, d.blockCount])).toEqual([[0, 1], [3, 1]]);
    expect(o!.zeroExtents).toEqual([{ firstBlock: 1, blockCount: 2 }]);
  });

  it('trim then write keeps the write (zero extents apply before data extents)', () => {
    const objs = packRecords([t(1, 0, 10, RecordKind.Zero), w(2, 3, 1)], 1 << 20);
    expect(objs).toHaveLength(1);
    expect(applyObjects(objs)).toEqual(applyRecords([t(1, 0, 10), w(2, 3, 1)]));
    expect(objs[0]!.dataExtents.map((d) => d.firstBlock)).toEqual([3]);
  });

  it('a huge trim over few written blocks walks the written blocks, not the range', () => {
    const objs = packRecords([w(1, 2 ** 33 - 8, 1), w(2, 10, 1), t(3, 0, 2 ** 33)], 1 << 20);
    expect(objs[0]!.dataExtents).toEqual([]);
    expect(objs[0]!.zeroExtents).toEqual([{ firstBlock: 0, blockCount: 2 ** 33 }]);
  });

  it('splits into objects of about objectBytes, in sequence order, with contiguous seq ranges', () => {
    const recs = Array.from({ length: 10 }, (_, i) => w(i + 1, i * 3, 1));
    const objs = packRecords(recs, 3 * BLOCK_SIZE);
    expect(objs.map((o) => [o.firstSeq, o.lastSeq])).toEqual([[1, 3], [4, 6], [7, 9], [10, 10]]);
    // A record bigger than an object is not split: it fills one object alone.
    const big = packRecords([w(1, 0, 1), w(2, 100, 8), w(3, 200, 1)], 2 * BLOCK_SIZE);
    expect(big.map((o) => [o.firstSeq, o.lastSeq, o.dataExtents.reduce((s, d) => s + d.blockCount, 0)])).toEqual([[1, 2, 9], [3, 3, 1]]);
  });

  it('packs runs: adjacent records become one extent of several views, a whole record keeps its logged CRC', () => {
    const a = w(1, 10, 4);
    const b = w(2, 14, 2);
    const c = w(3, 3, 1);
    const [o] = packRecords([a, b, { ...c, dataCrc: 0x1234 }], 1 << 20);
    expect(o!.dataExtents.map((d) => [d.firstBlock, d.blockCount, d.data.length])).toEqual([[3, 1, 1], [10, 6, 2]]);
    expect(o!.dataExtents[1]!.data[0]).toBe(a.data); // a view of the record's data, not a copy
    // The given CRC is trusted (it was verified when the segment was read back).
    expect(o!.dataCrc).not.toBe(crc32(Buffer.concat(o!.dataExtents.flatMap((d) => d.data))));
  });

  it('an overlapped record keeps only its visible parts, with their own CRCs', () => {
    const [o] = packRecords([{ ...w(1, 0, 8), dataCrc: 1 }, w(2, 2, 2), t(3, 5, 1)], 1 << 20);
    expect(o!.dataExtents.map((d) => [d.firstBlock, d.blockCount])).toEqual([[0, 5], [6, 2]]);
    expect(o!.dataCrc).toBe(crc32(Buffer.concat(o!.dataExtents.flatMap((d) => d.data))));
  });

  it('caps zero extents per object', () => {
    const recs = Array.from({ length: 7 }, (_, i) => t(i + 1, i * 10, 1));
    const objs = packRecords(recs, 1 << 30, 3);
    expect(objs.map((o) => o.zeroExtents.length)).toEqual([3, 3, 1]);
  });

  it('packs one object of tens of thousands of small, overlapping trims and writes exactly', () => {
    // An fstrim of a fragmented file system between writes: the case the sweep is for.
    let x = 99;
    const next = (n: number): number => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x % n;
    };
    const records = Array.from({ length: 30_000 }, (_, i) =>
      i % 10 === 0 ? w(i + 1, next(5000), 1 + next(3)) : t(i + 1, next(5000), 1 + next(4), i % 3 === 0 ? RecordKind.Zero : RecordKind.Trim),
    );
    const objs = packRecords(records, 1 << 30);
    expect(objs).toHaveLength(1);
    const got = applyObjects(objs);
    const want = applyRecords(records);
    expect([...got.keys()].sort((a, b) => a - b)).toEqual([...want.keys()].sort((a, b) => a - b));
    const wrong = [...want].filter(([b, data]) => !got.get(b)!.equals(data)).map(([b]) => b);
    expect(wrong).toEqual([]);
  });

  it('property: applying the packed objects in order equals applying the records in order', () => {
    const rec = fc.oneof(
      fc.record({ kind: fc.constant('w' as const), first: fc.integer({ min: 0, max: 40 }), count: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constantFrom('t' as const, 'z' as const), first: fc.integer({ min: 0, max: 40 }), count: fc.integer({ min: 1, max: 20 }) }),
    );
    fc.assert(
      fc.property(fc.array(rec, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 12 }), (specs, objBlocks) => {
        const records = specs.map((s, i) =>
          s.kind === 'w' ? w(i + 1, s.first, s.count) : t(i + 1, s.first, s.count, s.kind === 't' ? RecordKind.Trim : RecordKind.Zero),
        );
        // Half the writes carry their (correct) logged CRC, as records read back from the log do.
        for (const r of records) if (r.data && r.seq % 2 === 0) r.dataCrc = crc32(r.data);
        const objs = packRecords(records, objBlocks * BLOCK_SIZE);
        expect(applyObjects(objs)).toEqual(applyRecords(records));
        // Every record is in exactly one object, in order.
        expect(objs[0]!.firstSeq).toBe(1);
        expect(objs[objs.length - 1]!.lastSeq).toBe(records.length);
        for (let i = 1; i < objs.length; i++) expect(objs[i]!.firstSeq).toBe(objs[i - 1]!.lastSeq + 1);
        // Data extents are sorted, disjoint runs.
        for (const o of objs) {
          for (let i = 1; i < o.dataExtents.length; i++) {
            const p = o.dataExtents[i - 1]!;
            expect(o.dataExtents[i]!.firstBlock).toBeGreaterThan(p.firstBlock + p.blockCount - 1);
          }
        }
      }),
      { numRuns: 300, seed: 17 },
    );
  });
});
