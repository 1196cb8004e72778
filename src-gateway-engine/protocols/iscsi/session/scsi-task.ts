import { copySegment, segmentLength, type DataSegment } from '../pdu/data-segment.js';
import { RESERVED_TAG } from '../pdu/opcodes.js';

/** A protocol violation in a Data-Out sequence; the connection answers with a Reject and drops. */
export class DataOutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataOutError';
  }
}

/** One solicited burst: an R2T we sent and the Data-Out it has brought so far. */
interface OpenR2T {
  ttt: number;
  offset: number;
  length: number;
  received: number;
  nextDataSN: number;
}

/** The burst sizes the session negotiated that shape a write's data phase. */
export interface DataOutLimits {
  immediateData: boolean;
  initialR2T: boolean;
  firstBurstLength: number;
  maxBurstLength: number;
  maxOutstandingR2T: number;
}

/** What the task wants the connection to send next: R2Ts for these ranges. */
export interface R2TRequest {
  ttt: number;
  r2tSN: number;
  offset: number;
  length: number;
}

/**
 * One SCSI command's life on the transport: receive its Data-Out (immediate, unsolicited,
 * then solicited in R2T bursts, in order — DataPDUInOrder and DataSequenceInOrder are Yes),
 * then run, then answer. The data lands in one buffer of exactly EDTL bytes, from
 * `allocate` (the connection lends pooled ones), each PDU's data copied into it once; when
 * the whole write came in one PDU's single chunk that buffer is the PDU's own (no copy).
 */
export class ScsiTask {
  private buffer: Buffer | undefined;
  /** The buffer came from `allocate` (not a PDU's own). */
  private allocated = false;
  private readonly immediate: DataSegment;
  private readonly wanted: number;
  private received = 0;
  /** End of the unsolicited part (immediate + unsolicited Data-Out). */
  private readonly unsolicitedEnd: number;
  private unsolicitedNextDataSN = 0;
  private unsolicitedDone: boolean;
  private nextR2TOffset: number;
  private r2tSN = 0;
  /** R2Ts sent and not yet filled, by target transfer tag; made on the first R2T (most commands never need one). */
  private open: Map<number, OpenR2T> | undefined;
  aborted = false;
  /** Started running on the logical unit. */
  started = false;
  /** Holds a share of the connection's solicited-data budget. */
  budgeted = false;

  constructor(
    readonly itt: number,
    readonly cmdSN: number,
    readonly lun: number,
    /** The command's LUN field as sent, echoed in Data-In and R2T. */
    readonly lunField: Buffer,
    readonly cdb: Buffer,
    readonly edtl: number,
    readonly isWrite: boolean,
    readonly taskAttribute: number,
    immediate: DataSegment,
    /** F bit of the command PDU: no unsolicited Data-Out follows. */
    finalBit: boolean,
    private readonly limits: DataOutLimits,
    private readonly allocateTtt: () => number,
    /** Where the buffer for data in several pieces comes from (its content is overwritten). */
    private readonly allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
  ) {
    const wanted = isWrite ? edtl : 0;
    const immediateLength = segmentLength(immediate);
    if (immediateLength > wanted) throw new DataOutError(`immediate data of ${immediateLength} bytes exceeds the expected data transfer length ${wanted}`);
    if (immediateLength > 0 && !limits.immediateData) throw new DataOutError('immediate data sent although ImmediateData=No');
    if (immediateLength > limits.firstBurstLength) throw new DataOutError('immediate data exceeds FirstBurstLength');
    this.immediate = immediate;
    this.wanted = wanted;
    if (immediateLength === wanted && Buffer.isBuffer(immediate)) this.buffer = immediate;
    this.received = immediateLength;
    this.unsolicitedEnd = limits.initialR2T ? immediateLength : Math.min(wanted, limits.firstBurstLength);
    // With F set on the command no unsolicited Data-Out follows; R2Ts start where the data ends.
    this.unsolicitedDone = finalBit || this.unsolicitedEnd === immediateLength;
    this.nextR2TOffset = immediateLength;
  }

  /** Data-Out collected (length = EDTL of the write direction); allocated when the first Data-Out PDU arrives. */
  get dataOut(): Buffer {
    if (this.buffer === undefined) {
      this.buffer = this.allocate(this.wanted);
      this.allocated = true;
      copySegment(this.immediate, this.buffer, 0);
    }
    return this.buffer;
  }

  /** The buffer `allocate` gave this task, if it needed one (to hand back once nothing reads it). */
  get allocatedBuffer(): Buffer | undefined {
    return this.allocated ? this.buffer : undefined;
  }

  /** Every byte of Data-Out arrived. */
  get complete(): boolean {
    return this.received === this.wanted;
  }

  /** Bytes that only come when solicited by R2T (what the connection budgets). */
  get solicitedBytes(): number {
    return this.wanted - this.unsolicitedEnd;
  }

  /** Accept one Data-Out PDU; throws DataOutError on a sequence or offset violation. */
  acceptDataOut(ttt: number, dataSN: number, offset: number, data: DataSegment, final: boolean): void {
    const length = segmentLength(data);
    if (ttt === RESERVED_TAG) {
      if (this.unsolicitedDone) throw new DataOutError('unsolicited Data-Out after the unsolicited burst ended');
      if (dataSN !== this.unsolicitedNextDataSN) throw new DataOutError(`Data-Out DataSN ${dataSN}, expected ${this.unsolicitedNextDataSN}`);
      if (offset !== this.received || offset + length > this.unsolicitedEnd) {
        throw new DataOutError(`unsolicited Data-Out at offset ${offset} (+${length}) outside the expected range`);
      }
      // One Data-Out carrying the whole write (the usual small write): keep its buffer, no copy.
      if (this.buffer === undefined && offset === 0 && length === this.wanted && Buffer.isBuffer(data)) this.buffer = data;
      else copySegment(data, this.dataOut, offset);
      this.received += length;
      this.unsolicitedNextDataSN++;
      if (final || this.received === this.unsolicitedEnd) this.unsolicitedDone = true;
      if (this.unsolicitedDone) this.nextR2TOffset = Math.max(this.nextR2TOffset, this.received);
      return;
    }
    const r2t = this.open?.get(ttt);
    if (r2t === undefined) throw new DataOutError(`Data-Out for unknown target transfer tag 0x${ttt.toString(16)}`);
    if (dataSN !== r2t.nextDataSN) throw new DataOutError(`Data-Out DataSN ${dataSN}, expected ${r2t.nextDataSN}`);
    if (offset !== r2t.offset + r2t.received || r2t.received + length > r2t.length) {
      throw new DataOutError(`Data-Out at offset ${offset} (+${length}) outside its R2T (${r2t.offset}+${r2t.length})`);
    }
    copySegment(data, this.dataOut, offset);
    r2t.received += length;
    r2t.nextDataSN++;
    this.received += length;
    if (r2t.received === r2t.length) {
      if (!final) throw new DataOutError('the last Data-Out of a burst lacks the F bit');
      this.open!.delete(ttt);
    } else if (final) throw new DataOutError(`Data-Out burst ended after ${r2t.received} of ${r2t.length} bytes`);
  }

  /** R2Ts to send now (up to MaxOutstandingR2T open at once), once unsolicited data is in. */
  nextR2Ts(): R2TRequest[] {
    const out: R2TRequest[] = [];
    if (!this.unsolicitedDone || this.aborted) return out;
    if (this.nextR2TOffset >= this.wanted) return out;
    const open = (this.open ??= new Map());
    while (open.size < this.limits.maxOutstandingR2T && this.nextR2TOffset < this.wanted) {
      const length = Math.min(this.limits.maxBurstLength, this.wanted - this.nextR2TOffset);
      const r2t: OpenR2T = { ttt: this.allocateTtt(), offset: this.nextR2TOffset, length, received: 0, nextDataSN: 0 };
      open.set(r2t.ttt, r2t);
      out.push({ ttt: r2t.ttt, r2tSN: this.r2tSN++, offset: r2t.offset, length });
      this.nextR2TOffset += length;
    }
    return out;
  }
}
