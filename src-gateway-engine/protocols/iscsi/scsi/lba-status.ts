import { ErrorCode, hasCode } from '../../../errors/index.js';
import type { BlockExtent } from '../../../device/block-device.js';
import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op, ServiceActionIn16 } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { lbaOutOfRange } from './sense.js';

/**
 * GET LBA STATUS (SBC-3 5.7) from the device's block status: a hole is "deallocated"
 * (provisioning status 1), anything backed is "mapped" (0), including allocated zeroes.
 * The first descriptor starts at the STARTING LOGICAL BLOCK ADDRESS; we describe at most
 * WINDOW_BLOCKS from there and as many descriptors as the allocation length can hold
 * (capped), so one command never walks a whole 32 TiB map.
 */

const HEADER = 8;
const DESCRIPTOR = 16;
const MAX_DESCRIPTORS = 512;
/** Blocks described per command at most (1 GiB of 512-byte blocks). */
const WINDOW_BLOCKS = 2 * 1024 * 1024;

const Provisioning = { Mapped: 0, Deallocated: 1 } as const;

interface Run {
  lba: number;
  blocks: number;
  status: number;
}

async function getLbaStatus(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  checkCdb(request.cdb);
  const start = Number(request.cdb.readBigUInt64BE(2));
  const allocation = request.cdb.readUInt32BE(10);
  const { blockCount, blockLength: bs } = ctx.profile;
  if (start >= blockCount) throw lbaOutOfRange();
  const maxDescriptors = Math.max(1, Math.min(MAX_DESCRIPTORS, Math.floor((allocation - HEADER) / DESCRIPTOR)));
  const end = Math.min(blockCount, start + WINDOW_BLOCKS);
  const runs: Run[] = [];
  let pos = start;
  while (pos < end && runs.length <= maxDescriptors) {
    const extents = await blockStatus(ctx, pos * bs, (end - pos) * bs);
    let byte = pos * bs;
    const before = pos;
    for (const e of extents) {
      byte += e.length;
      // A sub-block extent (never from our devices) takes its block's status from its first piece.
      const next = Math.min(end, Math.ceil(byte / bs));
      if (next <= pos) continue;
      const status = e.hole ? Provisioning.Deallocated : Provisioning.Mapped;
      const last = runs[runs.length - 1];
      if (last !== undefined && last.status === status && last.lba + last.blocks === pos) last.blocks += next - pos;
      else runs.push({ lba: pos, blocks: next - pos, status });
      pos = next;
      if (pos >= end) break;
    }
    if (pos === before) {
      // Extents shorter than a block: report the block as its first piece says, and move on.
      runs.push({ lba: pos, blocks: 1, status: extents[0]!.hole ? Provisioning.Deallocated : Provisioning.Mapped });
      pos++;
    }
  }
  const kept = runs.slice(0, maxDescriptors);
  const data = Buffer.alloc(HEADER + kept.length * DESCRIPTOR);
  data.writeUInt32BE(data.length - 4, 0);
  kept.forEach((run, i) => {
    const at = HEADER + i * DESCRIPTOR;
    data.writeBigUInt64BE(BigInt(run.lba), at);
    data.writeUInt32BE(Math.min(run.blocks, 0xffffffff), at + 8);
    data[at + 12] = run.status;
  });
  return good(truncate(data, allocation));
}

/** The device's allocation map; a device that cannot tell reports everything mapped. */
async function blockStatus(ctx: CommandContext, offset: number, length: number): Promise<BlockExtent[]> {
  try {
    const extents = await ctx.device.blockStatus(offset, length);
    return extents.length > 0 ? extents : [{ length, hole: false, zero: false }];
  } catch (err) {
    if (hasCode(err, ErrorCode.NotSupported)) return [{ length, hole: false, zero: false }];
    throw err;
  }
}

/** The GET LBA STATUS entry of the dispatch table. */
export const lbaStatusCommands: readonly CommandSpec[] = [
  {
    opcode: Op.ServiceActionIn16,
    serviceAction: ServiceActionIn16.GetLbaStatus,
    name: 'GET LBA STATUS',
    usage: [Op.ServiceActionIn16, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    dataOutLength: noDataOut,
    execute: getLbaStatus,
    direction: 'read',
  },
];
