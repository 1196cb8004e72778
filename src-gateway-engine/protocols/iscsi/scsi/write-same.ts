import { expectDataOut, mustBeDurable, withWriteLock, writeBlocksLocked } from './block-io.js';
import { decodeBlockCdb, rejectProtection } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb, lbaOutOfRange } from './sense.js';

/**
 * WRITE SAME (10/16) (SBC-3 5.42/5.43). One block of Data-Out (none with NDOB, which means
 * zeroes) is written to every block of the range; NUMBER OF LOGICAL BLOCKS 0 means "to the
 * end of the volume" (VPD B0 WSNZ=0), bounded by MAXIMUM WRITE SAME LENGTH.
 *
 *   UNMAP                  → trim, whatever the pattern (reads back as zeroes: LBPRZ=1;
 *                            initiators use it to deallocate and libiscsi checks for zeroes)
 *   zero pattern, no UNMAP → writeZeroes keeping the blocks allocated
 *   other pattern          → the pattern, written in chunks of at most the maximum transfer
 *
 * ANCHOR is not supported (ANC_SUP=0); the obsolete PBDATA/LBDATA bits are refused.
 */

function dataOutLength(cdb: Buffer, profile: LuProfile): number {
  return cdb[0] === Op.WriteSame16 && (cdb[1]! & 0x01) !== 0 ? 0 : profile.blockLength;
}

async function writeSame(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  const is16 = cdb.opcode === Op.WriteSame16;
  rejectProtection(cdb);
  if (cdb.anchor) throw invalidFieldInCdb(1, 4);
  if ((request.cdb[1]! & 0x04) !== 0) throw invalidFieldInCdb(1, 2);
  if ((request.cdb[1]! & 0x02) !== 0) throw invalidFieldInCdb(1, 1);
  const ndob = is16 && cdb.ndob;
  const { blockCount, blockLength: bs } = ctx.profile;
  if (cdb.lba > blockCount) throw lbaOutOfRange();
  const blocks = cdb.blocks === 0 ? blockCount - cdb.lba : cdb.blocks;
  if (cdb.lba + blocks > blockCount) throw lbaOutOfRange();
  if (blocks > ctx.profile.maxWriteSameBlocks) throw invalidFieldInCdb(is16 ? 10 : 7);
  expectDataOut(request.dataOut, dataOutLength(request.cdb, ctx.profile));
  if (blocks === 0) return good();
  const pattern = ndob ? Buffer.alloc(bs) : request.dataOut;
  const zero = pattern.every((b) => b === 0);
  await withWriteLock(ctx, cdb.lba, blocks, async () => {
    const fua = mustBeDurable(ctx, false);
    if (cdb.unmap) return ctx.device.trim(cdb.lba * bs, blocks * bs, { fua });
    if (zero) return ctx.device.writeZeroes(cdb.lba * bs, blocks * bs, { noUnmap: true, fua });
    const step = Math.min(blocks, Math.max(1, ctx.profile.maxTransferBlocks));
    const chunk = Buffer.allocUnsafe(step * bs);
    for (let i = 0; i < step; i++) pattern.copy(chunk, i * bs);
    for (let done = 0; done < blocks; done += step) {
      const n = Math.min(step, blocks - done);
      await writeBlocksLocked(ctx, cdb.lba + done, chunk.subarray(0, n * bs), false);
    }
  });
  return good();
}

/** The WRITE SAME entries of the dispatch table. */
export const writeSameCommands: readonly CommandSpec[] = [
  {
    opcode: Op.WriteSame10,
    name: 'WRITE SAME(10)',
    usage: [Op.WriteSame10, 0x08, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
    dataOutLength,
    execute: writeSame,
    direction: 'write',
    modifiesMedium: true,
  },
  {
    opcode: Op.WriteSame16,
    name: 'WRITE SAME(16)',
    usage: [Op.WriteSame16, 0x09, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
    dataOutLength,
    execute: writeSame,
    direction: 'write',
    modifiesMedium: true,
  },
];
