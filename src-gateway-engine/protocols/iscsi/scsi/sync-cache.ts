import { checkLbaRange, decodeBlockCdb } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';

/**
 * SYNCHRONIZE CACHE (10/16) → device.flush(), which makes every write acknowledged so far
 * durable (DESIGN.md invariant 1). The range only gets checked: the flush covers the whole
 * volume, which is what the range asks for and more. With IMMED the initiator asked not to
 * wait: GOOD is returned once the CDB is checked and the flush goes on (a failure of it
 * fail-stops the volume, which every later command reports).
 */

async function synchronizeCache(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  if (cdb.immed) {
    ctx.device.flush().catch((err: unknown) => ctx.logger.error('SYNCHRONIZE CACHE (IMMED) flush failed', { err: String(err) }));
    return good();
  }
  await ctx.device.flush();
  return good();
}

/** The SYNCHRONIZE CACHE entries of the dispatch table. */
export const syncCacheCommands: readonly CommandSpec[] = [
  {
    opcode: Op.SynchronizeCache10,
    name: 'SYNCHRONIZE CACHE(10)',
    usage: [Op.SynchronizeCache10, 0x02, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
    dataOutLength: noDataOut,
    execute: synchronizeCache,
    direction: 'write',
  },
  {
    opcode: Op.SynchronizeCache16,
    name: 'SYNCHRONIZE CACHE(16)',
    usage: [Op.SynchronizeCache16, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
    dataOutLength: noDataOut,
    execute: synchronizeCache,
    direction: 'write',
  },
];
