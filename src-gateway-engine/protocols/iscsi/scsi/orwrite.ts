import { expectDataOut, readBlocks, withWriteLock, writeBlocksLocked } from './block-io.js';
import { checkLbaRange, decodeBlockCdb, rejectProtection } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import { blockUsage } from './read-write.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';

/**
 * ORWRITE(16) (SBC-3 5.8): the medium becomes medium OR Data-Out. Read and write happen
 * under one hold of the LU write lock, like COMPARE AND WRITE, so no write is lost in between.
 */

const dataOutLength = (cdb: Buffer, profile: LuProfile): number => decodeBlockCdb(cdb).blocks * profile.blockLength;

async function orWrite(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  rejectProtection(cdb);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  expectDataOut(request.dataOut, cdb.blocks * ctx.profile.blockLength);
  await withWriteLock(ctx, cdb.lba, cdb.blocks, async () => {
    const step = Math.max(1, ctx.profile.maxTransferBlocks);
    const bs = ctx.profile.blockLength;
    for (let done = 0; done < cdb.blocks; done += step) {
      const n = Math.min(step, cdb.blocks - done);
      const merged = await readBlocks(ctx, cdb.lba + done, n);
      const src = request.dataOut.subarray(done * bs, (done + n) * bs);
      for (let i = 0; i < merged.length; i++) merged[i]! |= src[i]!;
      await writeBlocksLocked(ctx, cdb.lba + done, merged, cdb.fua);
    }
  });
  return good();
}

/** The ORWRITE(16) entry of the dispatch table. */
export const orWriteCommands: readonly CommandSpec[] = [
  {
    opcode: Op.OrWrite16,
    name: 'ORWRITE(16)',
    usage: blockUsage(16, Op.OrWrite16, 0x18),
    dataOutLength,
    execute: orWrite,
    direction: 'write',
    modifiesMedium: true,
  },
];
