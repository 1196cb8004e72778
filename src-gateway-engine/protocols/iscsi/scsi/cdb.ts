import { Op } from './opcodes.js';
import { invalidFieldInCdb, lbaOutOfRange } from './sense.js';

/**
 * CDB decoding for the block commands (SBC-3 5.x). Decoders throw a ScsiCheckCondition
 * (INVALID FIELD IN CDB with a field pointer) on a malformed CDB; the dispatcher encodes it.
 *
 * LBAs are 64-bit on the wire; they are returned as JS numbers. Above 2^53 the number is
 * inexact, but every such LBA is beyond any volume (32 TiB max), so range checks stay right.
 */

/** CDB length from the opcode's group code (SPC-4 4.2.5.1); null for variable/vendor groups. */
export function cdbLength(opcode: number): number | null {
  switch (opcode >> 5) {
    case 0:
      return 6;
    case 1:
    case 2:
      return 10;
    case 4:
      return 16;
    case 5:
      return 12;
    default:
      return null;
  }
}

/** Reject a CDB shorter than its opcode needs, and a CONTROL byte asking for NACA or LINK (we support neither). */
export function checkCdb(cdb: Buffer): void {
  const length = cdbLength(cdb[0] ?? 0xff);
  if (length === null || cdb.length < length) throw invalidFieldInCdb(0);
  const control = cdb[length - 1]!;
  if ((control & 0x04) !== 0) throw invalidFieldInCdb(length - 1, 2);
  if ((control & 0x01) !== 0) throw invalidFieldInCdb(length - 1, 0);
}

/** The fields of a READ/WRITE/VERIFY-style block CDB. */
export interface BlockCdb {
  readonly opcode: number;
  readonly lba: number;
  /** Transfer length / number of logical blocks (READ(6)/WRITE(6): 0 means 256). */
  readonly blocks: number;
  /** RDPROTECT / WRPROTECT / VRPROTECT (byte 1 bits 7-5); not for 6-byte CDBs. */
  readonly protect: number;
  readonly dpo: boolean;
  readonly fua: boolean;
  /** VERIFY: 2-bit BYTCHK; WRITE AND VERIFY: 1-bit BYTCHK; else 0. */
  readonly bytchk: number;
  /** WRITE SAME: UNMAP, ANCHOR, NDOB (byte 1 bits 3, 4, 0). */
  readonly unmap: boolean;
  readonly anchor: boolean;
  readonly ndob: boolean;
  /** SYNCHRONIZE CACHE / PRE-FETCH: IMMED (byte 1 bit 1). */
  readonly immed: boolean;
  readonly group: number;
}

const u32 = (cdb: Buffer, at: number): number => cdb.readUInt32BE(at);
const u64 = (cdb: Buffer, at: number): number => Number(cdb.readBigUInt64BE(at));

/** Decode LBA, length and byte-1 flags of any block command. */
export function decodeBlockCdb(cdb: Buffer): BlockCdb {
  checkCdb(cdb);
  const opcode = cdb[0]!;
  const length = cdbLength(opcode)!;
  let lba: number;
  let blocks: number;
  let group = 0;
  switch (length) {
    case 6:
      lba = ((cdb[1]! & 0x1f) << 16) | (cdb[2]! << 8) | cdb[3]!;
      blocks = cdb[4]! === 0 && (opcode === Op.Read6 || opcode === Op.Write6) ? 256 : cdb[4]!;
      break;
    case 10:
      lba = u32(cdb, 2);
      blocks = cdb.readUInt16BE(7);
      group = cdb[6]! & 0x1f;
      break;
    case 12:
      lba = u32(cdb, 2);
      blocks = u32(cdb, 6);
      group = cdb[10]! & 0x1f;
      break;
    default:
      lba = u64(cdb, 2);
      blocks = opcode === Op.CompareAndWrite ? cdb[13]! : opcode === Op.WriteAtomic16 ? cdb.readUInt16BE(12) : u32(cdb, 10);
      group = cdb[14]! & 0x1f;
  }
  const b1 = length === 6 ? 0 : cdb[1]!;
  const isVerify = opcode === Op.Verify10 || opcode === Op.Verify12 || opcode === Op.Verify16;
  const isWriteAndVerify = opcode === Op.WriteAndVerify10 || opcode === Op.WriteAndVerify12 || opcode === Op.WriteAndVerify16;
  return {
    opcode,
    lba,
    blocks,
    protect: b1 >> 5,
    dpo: (b1 & 0x10) !== 0,
    fua: (b1 & 0x08) !== 0,
    bytchk: isVerify ? (b1 >> 1) & 3 : isWriteAndVerify ? (b1 >> 1) & 1 : 0,
    unmap: (b1 & 0x08) !== 0,
    anchor: (b1 & 0x10) !== 0,
    ndob: (b1 & 0x01) !== 0,
    immed: (b1 & 0x02) !== 0,
    group,
  };
}

/**
 * Writes whose Data-Out is exactly TRANSFER LENGTH logical blocks: WRITE and WRITE AND
 * VERIFY of every size. Only for these does a shorter Data-Out mean "fewer blocks".
 */
const TRANSFER_LENGTH_WRITES: ReadonlySet<number> = new Set([
  Op.Write6,
  Op.Write10,
  Op.Write12,
  Op.Write16,
  Op.WriteAndVerify10,
  Op.WriteAndVerify12,
  Op.WriteAndVerify16,
]);

export function isTransferLengthWrite(cdb: Buffer): boolean {
  return TRANSFER_LENGTH_WRITES.has(cdb[0] ?? -1);
}

/**
 * The same write CDB asking for `blocks` logical blocks instead, at the TRANSFER LENGTH
 * offsets `decodeBlockCdb` reads: used when the initiator's Expected Data Transfer Length is
 * shorter than the CDB's transfer length, so the device writes exactly the data that arrived
 * (FCP-4 rule (a), which libiscsi's residual tests expect). Null when the CDB is not such a
 * write or the field cannot hold `blocks` (WRITE(6)'s 0 means 256).
 */
export function withTransferLength(cdb: Buffer, blocks: number): Buffer | null {
  if (!isTransferLengthWrite(cdb) || cdb.length < cdbLength(cdb[0]!)!) return null;
  const out = Buffer.from(cdb);
  switch (cdbLength(cdb[0]!)) {
    case 6:
      if (blocks < 1 || blocks > 0xff) return null;
      out[4] = blocks;
      return out;
    case 10:
      if (blocks > 0xffff) return null;
      out.writeUInt16BE(blocks, 7);
      return out;
    case 12:
      out.writeUInt32BE(blocks, 6);
      return out;
    default:
      out.writeUInt32BE(blocks, 10);
      return out;
  }
}

/** We have no protection information: any nonzero *PROTECT field is invalid (SBC-3 4.22). */
export function rejectProtection(cdb: BlockCdb): void {
  if (cdb.protect !== 0) throw invalidFieldInCdb(1, 7);
}

/** LOGICAL BLOCK ADDRESS OUT OF RANGE unless lba..lba+blocks lies inside the volume. */
export function checkLbaRange(lba: number, blocks: number, blockCount: number): void {
  if (lba > blockCount || lba + blocks > blockCount) throw lbaOutOfRange();
}

/** ALLOCATION LENGTH / PARAMETER LIST LENGTH helpers, big-endian at `at` with `bytes` width. */
export function readLength(cdb: Buffer, at: number, bytes: 1 | 2 | 4): number {
  return bytes === 1 ? cdb[at]! : bytes === 2 ? cdb.readUInt16BE(at) : cdb.readUInt32BE(at);
}

/** Truncate Data-In to the ALLOCATION LENGTH (the transport then applies the EDTL). */
export function truncate(data: Buffer, allocationLength: number): Buffer {
  return data.length > allocationLength ? data.subarray(0, allocationLength) : data;
}
