import { expectDataOut, readBlocks, withWriteLock, writeBlocksLocked } from './block-io.js';
import { checkLbaRange, decodeBlockCdb, rejectProtection } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * READ and WRITE (6/10/12/16) and WRITE AND VERIFY (10/12/16). DPO is accepted and
 * ignored (no cache to bypass that matters); FUA makes the write durable before GOOD
 * (the device's `fua`). WRITE AND VERIFY always writes with FUA: "verify" promises the
 * data is on the medium, and our medium is the durable write log.
 */

const blocksOut = (cdb: Buffer, profile: LuProfile): number => decodeBlockCdb(cdb).blocks * profile.blockLength;

async function read(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  rejectProtection(cdb);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  return good(await readBlocks(ctx, cdb.lba, cdb.blocks));
}

async function write(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  rejectProtection(cdb);
  const verify = cdb.opcode === Op.WriteAndVerify10 || cdb.opcode === Op.WriteAndVerify12 || cdb.opcode === Op.WriteAndVerify16;
  // WRITE AND VERIFY: BYTCHK is one bit (byte 1 bit 1); bit 2 is reserved.
  if (verify && (request.cdb[1]! & 0x04) !== 0) throw invalidFieldInCdb(1, 2);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  expectDataOut(request.dataOut, cdb.blocks * ctx.profile.blockLength);
  await withWriteLock(ctx, cdb.lba, cdb.blocks, () => writeBlocksLocked(ctx, cdb.lba, request.dataOut, cdb.fua || verify));
  return good();
}

/** CDB usage data of a 10/12/16-byte block command with `flags` usable in byte 1. */
export function blockUsage(length: 6 | 10 | 12 | 16, opcode: number, flags: number): number[] {
  switch (length) {
    case 6:
      return [opcode, 0x1f, 0xff, 0xff, 0xff, 0x00];
    case 10:
      return [opcode, flags, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00];
    case 12:
      return [opcode, flags, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00];
    default:
      return [opcode, flags, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00];
  }
}

const DPO_FUA = 0x18;
const DPO_BYTCHK1 = 0x12;

const readSpec = (opcode: number, length: 6 | 10 | 12 | 16, name: string): CommandSpec => ({
  opcode,
  name,
  usage: blockUsage(length, opcode, DPO_FUA),
  dataOutLength: noDataOut,
  execute: read,
  direction: 'read',
});

const writeSpec = (opcode: number, length: 6 | 10 | 12 | 16, name: string, flags = DPO_FUA): CommandSpec => ({
  opcode,
  name,
  usage: blockUsage(length, opcode, flags),
  dataOutLength: blocksOut,
  execute: write,
  direction: 'write',
  modifiesMedium: true,
});

/** The READ / WRITE / WRITE AND VERIFY entries of the dispatch table. */
export const readWriteCommands: readonly CommandSpec[] = [
  readSpec(Op.Read6, 6, 'READ(6)'),
  readSpec(Op.Read10, 10, 'READ(10)'),
  readSpec(Op.Read12, 12, 'READ(12)'),
  readSpec(Op.Read16, 16, 'READ(16)'),
  writeSpec(Op.Write6, 6, 'WRITE(6)'),
  writeSpec(Op.Write10, 10, 'WRITE(10)'),
  writeSpec(Op.Write12, 12, 'WRITE(12)'),
  writeSpec(Op.Write16, 16, 'WRITE(16)'),
  writeSpec(Op.WriteAndVerify10, 10, 'WRITE AND VERIFY(10)', DPO_BYTCHK1),
  writeSpec(Op.WriteAndVerify12, 12, 'WRITE AND VERIFY(12)', DPO_BYTCHK1),
  writeSpec(Op.WriteAndVerify16, 16, 'WRITE AND VERIFY(16)', DPO_BYTCHK1),
];
