import { expectDataOut, withWriteLock, writeBlocksLocked } from './block-io.js';
import { checkLbaRange, decodeBlockCdb, rejectProtection } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * WRITE ATOMIC(16) (SBC-4 5.48): all or nothing, also across a crash. At most
 * MAXIMUM ATOMIC TRANSFER LENGTH blocks, which never exceeds the device's largest request,
 * so it is one device write — one write-log record, replayed whole or not at all — made
 * under the LU write lock so concurrent writers never interleave with it. Alignment and
 * granularity are 1 block (VPD B0 ATOMIC ALIGNMENT / GRANULARITY 0).
 */

const dataOutLength = (cdb: Buffer, profile: LuProfile): number => decodeBlockCdb(cdb).blocks * profile.blockLength;

async function writeAtomic(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  rejectProtection(cdb);
  const max = Math.min(ctx.profile.maxAtomicTransferBlocks, ctx.profile.maxTransferBlocks);
  if (cdb.blocks > max) throw invalidFieldInCdb(12);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  expectDataOut(request.dataOut, cdb.blocks * ctx.profile.blockLength);
  await withWriteLock(ctx, cdb.lba, cdb.blocks, () => writeBlocksLocked(ctx, cdb.lba, request.dataOut, cdb.fua));
  return good();
}

/** The WRITE ATOMIC(16) entry of the dispatch table (absent when the profile allows no atomic writes). */
export function writeAtomicCommands(profile: LuProfile): readonly CommandSpec[] {
  if (profile.maxAtomicTransferBlocks === 0) return [];
  return [
    {
      opcode: Op.WriteAtomic16,
      name: 'WRITE ATOMIC(16)',
      usage: [Op.WriteAtomic16, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0xff, 0xff, 0x1f, 0x00],
      dataOutLength,
      execute: writeAtomic,
      direction: 'write',
      modifiesMedium: true,
    },
  ];
}
