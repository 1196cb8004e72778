/**
 * Packs log records (block-aligned, in sequence order) into data-object contents of about
 * `objectBytes` each. Within one object later writes to a block replace earlier ones
 * (coalescing), and a trim drops earlier writes it covers; so zero extents can be applied
 * before data extents without changing the result.
 */
import { BLOCK_SIZE } from '../remote/remote-format.js';
import type { DataObjectContent } from '../remote/data-object.js';
import { RecordKind } from '../writelog/write-log-format.js';

export interface PackableRecord {
  seq: number;
  kind: RecordKind;
  offset: number;
  length: number;
  data: Buffer | undefined;
}

/** An object's content without its number (assigned when it is queued). */
export type PackedObject = Omit<DataObjectContent, 'objNo' | 'epoch'>;

/** Split records into object contents. */
export function packRecords(records: PackableRecord[], objectBytes: number, maxExtents = 65536): PackedObject[] {
  const out: PackedObject[] = [];
  let blocks = new Map<number, Buffer>();
  let zeroes: Array<{ firstBlock: number; blockCount: number }> = [];
  let firstSeq = 0;
  let lastSeq = 0;
  const finish = (): void => {
    if (firstSeq === 0) return;
    out.push({ firstSeq, lastSeq, zeroExtents: zeroes, dataExtents: runsOf(blocks) });
    blocks = new Map();
    zeroes = [];
    firstSeq = 0;
  };
  for (const r of records) {
    if (firstSeq === 0) firstSeq = r.seq;
    lastSeq = r.seq;
    const first = r.offset / BLOCK_SIZE;
    const count = r.length / BLOCK_SIZE;
    if (r.kind === RecordKind.Write) {
      const data = r.data!;
      for (let i = 0; i < count; i++) blocks.set(first + i, data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE));
    } else {
      if (blocks.size < count) {
        for (const b of blocks.keys()) if (b >= first && b < first + count) blocks.delete(b);
      } else {
        for (let i = 0; i < count; i++) blocks.delete(first + i);
      }
      zeroes.push({ firstBlock: first, blockCount: count });
    }
    if (blocks.size * BLOCK_SIZE >= objectBytes || zeroes.length >= maxExtents) finish();
  }
  finish();
  return out;
}

function runsOf(blocks: Map<number, Buffer>): PackedObject['dataExtents'] {
  const sorted = [...blocks.keys()].sort((a, b) => a - b);
  const runs: PackedObject['dataExtents'] = [];
  for (const b of sorted) {
    const last = runs[runs.length - 1];
    if (last && last.firstBlock + last.blockCount === b) {
      last.blockCount++;
      last.data.push(blocks.get(b)!);
    } else {
      runs.push({ firstBlock: b, blockCount: 1, data: [blocks.get(b)!] });
    }
  }
  return runs;
}
