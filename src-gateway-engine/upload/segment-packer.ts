/**
 * Packs log records (block-aligned, in sequence order) into data-object contents of about
 * `objectBytes` each. Within one object later writes to a block replace earlier ones
 * (coalescing), and a trim drops earlier writes it covers; so zero extents can be applied
 * before data extents without changing the result.
 *
 * Works on runs, not blocks: a record's data becomes one piece (a view of the record's data)
 * unless a newer record of the same object overlaps it, and adjacent pieces become one
 * extent, so a 1 MiB write is one extent and 2,048 random 4 KiB writes are 2,048 views — no
 * per-block map. The object's data CRC is folded from the pieces' CRCs: a whole record's
 * is the CRC its log record carries (verified when the segment was read back), so the data
 * is not read a third time.
 */
import { crc32 } from 'node:zlib';
import { BLOCK_SIZE } from '../remote/remote-format.js';
import type { DataObjectContent } from '../remote/data-object.js';
import { RecordKind } from '../writelog/write-log-format.js';
import { crc32Combine } from './crc32-combine.js';

/**
 * Records by index, in sequence order, as the packer reads them: column by column, so a
 * segment's tens of thousands of records are not as many objects (see SegmentRecords, the
 * uploader's source).
 */
export interface PackSource {
  readonly count: number;
  readonly seq: ArrayLike<number>;
  readonly kind: ArrayLike<number>;
  readonly offset: ArrayLike<number>;
  readonly length: ArrayLike<number>;
  /** CRC-32 of a write record's data when already known (verified); negative: compute it. */
  readonly dataCrc: ArrayLike<number>;
  /** A write record's data. */
  data(i: number): Buffer;
}

/** One record as an object (packRecords). */
export interface PackableRecord {
  seq: number;
  kind: RecordKind;
  offset: number;
  length: number;
  data: Buffer | undefined;
  /** CRC-32 of `data`, when already known (verified); computed otherwise. */
  dataCrc?: number;
}

/** An object's content without its number (assigned when it is queued); `dataCrc` is always set. */
export type PackedObject = Omit<DataObjectContent, 'objNo' | 'epoch'> & { dataCrc: number };

/** Split records into object contents. */
export function packRecords(records: PackableRecord[], objectBytes: number, maxExtents = 65536): PackedObject[] {
  const source: PackSource = {
    count: records.length,
    seq: records.map((r) => r.seq),
    kind: records.map((r) => r.kind),
    offset: records.map((r) => r.offset),
    length: records.map((r) => r.length),
    dataCrc: records.map((r) => r.dataCrc ?? -1),
    data: (i) => records[i]!.data!,
  };
  return [...packObjects(source, 0, objectBytes, maxExtents)];
}

/** Pack the records from index `from` on, one object at a time, so a caller can serve other work between objects. */
export function* packObjects(src: PackSource, from: number, objectBytes: number, maxExtents = 65536): Generator<PackedObject> {
  let start = from;
  let writeBytes = 0;
  let zeroCount = 0;
  for (let i = from; i < src.count; i++) {
    if (src.kind[i] === RecordKind.Write) writeBytes += src.length[i]!;
    else zeroCount++;
    if (writeBytes >= objectBytes || zeroCount >= maxExtents) {
      yield packOne(src, start, i + 1);
      start = i + 1;
      writeBytes = 0;
      zeroCount = 0;
    }
  }
  if (start < src.count) yield packOne(src, start, src.count);
}

/** The visible part of a write record: `count` blocks from `first`, `skip` blocks into its data. */
interface Piece {
  first: number;
  count: number;
  rec: number;
  skip: number;
}

function packOne(src: PackSource, from: number, to: number): PackedObject {
  const zeroExtents: Array<{ firstBlock: number; blockCount: number }> = [];
  let pieces: Piece[] = [];
  for (let i = from; i < to; i++) {
    const first = src.offset[i]! / BLOCK_SIZE;
    const count = src.length[i]! / BLOCK_SIZE;
    if (src.kind[i] === RecordKind.Write) pieces.push({ first, count, rec: i, skip: 0 });
    else zeroExtents.push({ firstBlock: first, blockCount: count });
  }
  pieces.sort((a, b) => a.first - b.first || a.rec - b.rec);
  let overlap = zeroExtents.length > 0;
  for (let k = 1, end = pieces[0]?.first ?? 0; k < pieces.length && !overlap; k++) {
    end = Math.max(end, pieces[k - 1]!.first + pieces[k - 1]!.count);
    if (pieces[k]!.first < end) overlap = true;
  }
  if (overlap) pieces = visiblePieces(src, from, to);

  const dataExtents: PackedObject['dataExtents'] = [];
  let dataCrc = 0;
  for (const p of pieces) {
    const recordData = src.data(p.rec);
    const whole = p.skip === 0 && p.count * BLOCK_SIZE === recordData.length;
    const data = whole ? recordData : recordData.subarray(p.skip * BLOCK_SIZE, (p.skip + p.count) * BLOCK_SIZE);
    const knownCrc = src.dataCrc[p.rec]!;
    const crc = whole && knownCrc >= 0 ? knownCrc : crc32(data);
    dataCrc = crc32Combine(dataCrc, crc, data.length);
    const last = dataExtents[dataExtents.length - 1];
    if (last && last.firstBlock + last.blockCount === p.first) {
      last.blockCount += p.count;
      last.data.push(data);
    } else {
      dataExtents.push({ firstBlock: p.first, blockCount: p.count, data: [data] });
    }
  }
  return { firstSeq: src.seq[from]!, lastSeq: src.seq[to - 1]!, zeroExtents, dataExtents, dataCrc };
}

/**
 * The parts of the object's write records that no newer record of the object (write or
 * trim) covers, sorted by block. A sweep over the records' boundaries, with the records
 * that cover the current position in a heap, newest on top: O(n log n). (Keeping the union
 * of newer records in sorted arrays was quadratic: an object of tens of thousands of small
 * trims, as an fstrim of a fragmented file system sends, blocked the event loop for seconds.)
 */
function visiblePieces(src: PackSource, from: number, to: number): Piece[] {
  const n = to - from;
  const firstOf = (i: number): number => src.offset[i]! / BLOCK_SIZE;
  const endOf = (i: number): number => (src.offset[i]! + src.length[i]!) / BLOCK_SIZE;
  const byFirst = new Int32Array(n);
  const bounds = new Float64Array(2 * n);
  for (let k = 0; k < n; k++) {
    byFirst[k] = from + k;
    bounds[2 * k] = firstOf(from + k);
    bounds[2 * k + 1] = endOf(from + k);
  }
  byFirst.sort((a, b) => firstOf(a) - firstOf(b));
  bounds.sort();
  let distinct = 0;
  for (let b = 0; b < bounds.length; b++) if (distinct === 0 || bounds[b] !== bounds[distinct - 1]) bounds[distinct++] = bounds[b]!;
  const covering = new NewestFirstHeap(n);
  const pieces: Piece[] = [];
  let added = 0;
  for (let b = 0; b + 1 < distinct; b++) {
    const x = bounds[b]!;
    const y = bounds[b + 1]!;
    while (added < n && firstOf(byFirst[added]!) <= x) covering.push(byFirst[added++]!);
    while (covering.size > 0 && endOf(covering.top) <= x) covering.pop();
    // [x, y) is covered by the heap's top, if anything: nothing starts or ends inside.
    if (covering.size === 0) continue;
    const rec = covering.top;
    if (src.kind[rec] !== RecordKind.Write) continue;
    const last = pieces[pieces.length - 1];
    if (last && last.rec === rec && last.first + last.count === x) last.count += y - x;
    else pieces.push({ first: x, count: y - x, rec, skip: x - firstOf(rec) });
  }
  return pieces;
}

/** A binary max-heap of record indices (a larger index is a newer record). */
class NewestFirstHeap {
  private readonly items: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.items = new Int32Array(Math.max(1, capacity));
  }

  get top(): number {
    return this.items[0]!;
  }

  push(rec: number): void {
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! >= rec) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = rec;
  }

  pop(): void {
    const a = this.items;
    const last = a[--this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && a[child + 1]! > a[child]!) child++;
      if (a[child]! <= last) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
  }
}
