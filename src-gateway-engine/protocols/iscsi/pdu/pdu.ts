import { joinSegment, type DataSegment } from './data-segment.js';
import { BHS_LENGTH, FINAL_BIT, IMMEDIATE_BIT } from './opcodes.js';

/**
 * One received PDU: its 48-byte basic header segment, additional header segments and data
 * segment (padding and digests already removed and checked). Field accessors read the BHS
 * in place; big-endian throughout (RFC 7143 §11.2).
 */
export class Pdu {
  private joined: Buffer | undefined;

  constructor(
    readonly bhs: Buffer,
    readonly ahs: Buffer,
    /** The data segment as received (views of the socket's chunks, never copied). */
    readonly segment: DataSegment,
  ) {}

  /** The data segment as one buffer (joined on first use when it spans chunks). */
  get data(): Buffer {
    return (this.joined ??= joinSegment(this.segment));
  }

  get opcode(): number {
    return this.bhs[0]! & 0x3f;
  }
  get immediate(): boolean {
    return (this.bhs[0]! & IMMEDIATE_BIT) !== 0;
  }
  get flags(): number {
    return this.bhs[1]!;
  }
  get final(): boolean {
    return (this.bhs[1]! & FINAL_BIT) !== 0;
  }
  /** Bytes 8..15: the LUN field (or ISID+TSIH in login PDUs). */
  get lunField(): Buffer {
    return this.bhs.subarray(8, 16);
  }
  get itt(): number {
    return this.bhs.readUInt32BE(16);
  }
  /** Word at byte 20: TTT, EDTL or CID depending on the opcode. */
  get word20(): number {
    return this.bhs.readUInt32BE(20);
  }
  /** Word at byte 24: CmdSN (initiator requests) or StatSN. */
  get word24(): number {
    return this.bhs.readUInt32BE(24);
  }
  /** Word at byte 28: ExpStatSN. */
  get word28(): number {
    return this.bhs.readUInt32BE(28);
  }
  word(offset: number): number {
    return this.bhs.readUInt32BE(offset);
  }
}

/** Total bytes of a PDU's data segment on the wire (padded to 4). */
export function paddedLength(length: number): number {
  return (length + 3) & ~3;
}

/** A fresh BHS with the opcode and flags set. */
export function newBhs(opcode: number, flags: number, immediate = false): Buffer {
  const bhs = Buffer.alloc(BHS_LENGTH);
  bhs[0] = opcode | (immediate ? IMMEDIATE_BIT : 0);
  bhs[1] = flags;
  return bhs;
}

/** Set TotalAHSLength = 0 and DataSegmentLength. */
export function setDataSegmentLength(bhs: Buffer, length: number): void {
  bhs[4] = 0;
  bhs.writeUIntBE(length, 5, 3);
}

/** Decode a single-level LUN (SAM-5 peripheral or flat addressing) from the 8-byte field; -1 for anything else. */
export function decodeLun(field: Buffer): number {
  for (let i = 2; i < 8; i++) if (field[i] !== 0) return -1;
  const method = field[0]! >> 6;
  if (method === 0) return (field[0]! & 0x3f) === 0 ? field[1]! : -1;
  if (method === 1) return ((field[0]! & 0x3f) << 8) | field[1]!;
  return -1;
}

/** Encode a LUN as SAM-5 does for numbers below 256 (peripheral) or 16384 (flat). */
export function encodeLun(lun: number, into: Buffer, offset: number): void {
  into.fill(0, offset, offset + 8);
  if (lun < 256) into[offset + 1] = lun;
  else {
    into[offset] = 0x40 | ((lun >> 8) & 0x3f);
    into[offset + 1] = lun & 0xff;
  }
}
