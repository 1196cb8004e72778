import { expectDataOut, firstDifference, readBlocks, withWriteLock, writeBlocksLocked } from './block-io.js';
import { checkLbaRange, decodeBlockCdb, rejectProtection } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { Ascs, SenseKey, checkCondition, invalidFieldInCdb } from './sense.js';

/**
 * COMPARE AND WRITE (SBC-3 5.2), the VMware ATS primitive. The Data-Out holds NUMBER OF
 * LOGICAL BLOCKS of verify data followed by as many of write data. Read, compare and write
 * run inside one hold of the LU write lock that every other writer of this LU also takes
 * (see block-io.ts), so no write from any session can land between the compare and the
 * write. A difference is MISCOMPARE DURING VERIFY OPERATION with INFORMATION = offset of
 * the first differing byte, and nothing is written.
 */

const dataOutLength = (cdb: Buffer, profile: LuProfile): number => 2 * decodeBlockCdb(cdb).blocks * profile.blockLength;

async function compareAndWrite(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  rejectProtection(cdb);
  if (cdb.blocks > ctx.profile.maxCompareAndWriteBlocks) throw invalidFieldInCdb(13);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  const bytes = cdb.blocks * ctx.profile.blockLength;
  // Zero blocks with data attached is a malformed CDB (libiscsi sends 256 blocks wrapped to 0 in one byte).
  if (cdb.blocks === 0) {
    if (request.dataOut.length > 0) throw invalidFieldInCdb(13);
    return good();
  }
  // Not a READ/WRITE-family length: the transport passes any EDTL on and we judge it here.
  expectDataOut(request.dataOut, 2 * bytes);
  const verifyData = request.dataOut.subarray(0, bytes);
  const writeData = request.dataOut.subarray(bytes);
  await withWriteLock(ctx, cdb.lba, cdb.blocks, async () => {
    const current = await readBlocks(ctx, cdb.lba, cdb.blocks);
    const at = firstDifference(verifyData, current);
    if (at >= 0) throw checkCondition(SenseKey.Miscompare, Ascs.MiscompareDuringVerify, at);
    await writeBlocksLocked(ctx, cdb.lba, writeData, cdb.fua);
  });
  return good();
}

/** The COMPARE AND WRITE entry of the dispatch table. */
export const compareAndWriteCommands: readonly CommandSpec[] = [
  {
    opcode: Op.CompareAndWrite,
    name: 'COMPARE AND WRITE',
    usage: [Op.CompareAndWrite, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0x1f, 0x00],
    dataOutLength,
    execute: compareAndWrite,
    direction: 'write',
    modifiesMedium: true,
  },
];
