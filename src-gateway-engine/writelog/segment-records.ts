import { grown } from '../memory/typed-arrays.js';
import { RecordKind } from './write-log-format.js';

/** One record as the log knows it: where its data sits in which segment. */
export interface LogRecord {
  seq: number;
  kind: RecordKind;
  offset: number;
  length: number;
  segmentNo: number;
  /** File position of the record's data (writes only). */
  dataPosition: number;
}

/**
 * The records of one segment, column by column, with the segment's bytes.
 *
 * Why columns: a sealed segment holds tens of thousands of records, and the upload keeps them
 * for the whole time it packs the segment (it yields to commands between objects). As one
 * object each (plus a data view each) they survived every young-generation collection in
 * that time, which copied them again and again and then promoted them: under random writes
 * the scavenges took ~5 ms each and fed the old space that full collections sweep.
 */
export class SegmentRecords {
  count = 0;
  seq = new Float64Array(INITIAL_CAPACITY);
  kind = new Uint8Array(INITIAL_CAPACITY);
  offset = new Float64Array(INITIAL_CAPACITY);
  length = new Float64Array(INITIAL_CAPACITY);
  /** Position of each write record's data in `bytes` (and in the segment file). */
  dataPosition = new Float64Array(INITIAL_CAPACITY);
  /** CRC-32 of each write record's data (as its header carries it; verified when scanned). */
  dataCrc = new Uint32Array(INITIAL_CAPACITY);

  constructor(
    readonly segmentNo: number,
    /** The segment file's bytes; write records' data are views of it. */
    readonly bytes: Buffer,
  ) {}

  push(seq: number, kind: RecordKind, offset: number, length: number, dataPosition: number, dataCrc: number): void {
    if (this.count === this.seq.length) this.grow();
    const i = this.count++;
    this.seq[i] = seq;
    this.kind[i] = kind;
    this.offset[i] = offset;
    this.length[i] = length;
    this.dataPosition[i] = dataPosition;
    this.dataCrc[i] = dataCrc;
  }

  /** A write record's data (a view of `bytes`); trims and zeroes have none. */
  data(i: number): Buffer {
    if (this.kind[i] !== RecordKind.Write) throw new Error(`record ${this.seq[i]} of segment ${this.segmentNo} is not a write: it has no data`);
    const at = this.dataPosition[i]!;
    return this.bytes.subarray(at, at + this.length[i]!);
  }

  /** Index of the first record with a sequence above `seq` (`count` if none): sequences ascend. */
  firstAfter(seq: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seq[mid]! <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Record i as an object (replay hands these out; they are few per open). */
  record(i: number): LogRecord {
    return { seq: this.seq[i]!, kind: this.kind[i] as RecordKind, offset: this.offset[i]!, length: this.length[i]!, segmentNo: this.segmentNo, dataPosition: this.dataPosition[i]! };
  }

  private grow(): void {
    const n = this.seq.length * 2;
    this.seq = grown(this.seq, new Float64Array(n));
    this.kind = grown(this.kind, new Uint8Array(n));
    this.offset = grown(this.offset, new Float64Array(n));
    this.length = grown(this.length, new Float64Array(n));
    this.dataPosition = grown(this.dataPosition, new Float64Array(n));
    this.dataCrc = grown(this.dataCrc, new Uint32Array(n));
  }
}

const INITIAL_CAPACITY = 1024;
