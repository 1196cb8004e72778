import { readBlocks } from './block-io.js';
import { checkLbaRange, decodeBlockCdb } from './cdb.js';
import { noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import { ScsiStatus, type ScsiRequest, type ScsiResponse } from './scsi-contract.js';

/**
 * PRE-FETCH (10/16) (SBC-3 5.9): a hint to bring blocks into the cache. A range of at most
 * one maximum transfer is read through the device (a cached volume fills its cache on the
 * way) and answered CONDITION MET; a larger range is not fetched and answered GOOD, which
 * SBC-3 defines as "the cache could not take it all". With IMMED the read runs after the
 * answer.
 */

async function prefetch(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  if (cdb.blocks === 0 || cdb.blocks > ctx.profile.maxTransferBlocks) return { status: ScsiStatus.Good };
  const fetch = readBlocks(ctx, cdb.lba, cdb.blocks);
  if (cdb.immed) fetch.catch((err: unknown) => ctx.logger.debug('PRE-FETCH (IMMED) read failed', { err: String(err) }));
  else await fetch;
  return { status: ScsiStatus.ConditionMet };
}

/** The PRE-FETCH entries of the dispatch table. */
export const prefetchCommands: readonly CommandSpec[] = [
  {
    opcode: Op.PreFetch10,
    name: 'PRE-FETCH(10)',
    usage: [Op.PreFetch10, 0x02, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0xff, 0x00],
    dataOutLength: noDataOut,
    execute: prefetch,
    direction: 'read',
  },
  {
    opcode: Op.PreFetch16,
    name: 'PRE-FETCH(16)',
    usage: [Op.PreFetch16, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0x00],
    dataOutLength: noDataOut,
    execute: prefetch,
    direction: 'read',
  },
];
