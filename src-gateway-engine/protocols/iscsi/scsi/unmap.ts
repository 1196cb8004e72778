import { mustBeDurable, withWriteLock } from './block-io.js';
import { checkCdb, checkLbaRange } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb, invalidFieldInParameterList, parameterListLengthError } from './sense.js';

/**
 * UNMAP (SBC-3 5.28). Every descriptor is checked before anything is discarded, so a bad
 * list changes nothing. Each range is trimmed under the LU write lock (ordered with
 * COMPARE AND WRITE and every other writer). Trimmed blocks read as zeroes (LBPRZ=1).
 * ANCHOR is not supported (VPD B2 ANC_SUP=0).
 */

const HEADER = 8;
const DESCRIPTOR = 16;

const dataOutLength = (cdb: Buffer): number => cdb.readUInt16BE(7);

interface Extent {
  lba: number;
  blocks: number;
}

/** Parse and check the UNMAP parameter list; throws before any extent is acted on. */
export function parseUnmapList(data: Buffer, paramLength: number, ctx: Pick<CommandContext, 'profile'>): Extent[] {
  if (paramLength === 0) return [];
  if (paramLength < HEADER || data.length < paramLength) throw parameterListLengthError();
  const list = data.subarray(0, paramLength);
  const descriptorBytes = Math.min(list.readUInt16BE(2), list.length - HEADER);
  const count = Math.floor(descriptorBytes / DESCRIPTOR);
  if (count > ctx.profile.maxUnmapDescriptors) throw invalidFieldInParameterList(2);
  const extents: Extent[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER + i * DESCRIPTOR;
    const lba = Number(list.readBigUInt64BE(at));
    const blocks = list.readUInt32BE(at + 8);
    if (blocks > ctx.profile.maxUnmapBlocks) throw invalidFieldInParameterList(at + 8);
    checkLbaRange(lba, blocks, ctx.profile.blockCount);
    if (blocks > 0) extents.push({ lba, blocks });
  }
  return extents;
}

async function unmap(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  checkCdb(request.cdb);
  if ((request.cdb[1]! & 0x01) !== 0) throw invalidFieldInCdb(1, 0);
  const extents = parseUnmapList(request.dataOut, dataOutLength(request.cdb), ctx);
  const bs = ctx.profile.blockLength;
  const fua = mustBeDurable(ctx, false);
  for (const e of extents) {
    await withWriteLock(ctx, e.lba, e.blocks, () => ctx.device.trim(e.lba * bs, e.blocks * bs, { fua }));
  }
  return good();
}

/** The UNMAP entry of the dispatch table. */
export const unmapCommands: readonly CommandSpec[] = [
  {
    opcode: Op.Unmap,
    name: 'UNMAP',
    usage: [Op.Unmap, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f, 0xff, 0xff, 0x00],
    dataOutLength,
    execute: unmap,
    direction: 'write',
    modifiesMedium: true,
  },
];
