import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op, ServiceActionIn16 } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * READ CAPACITY (10) and (16) (SBC-3 5.15/5.16). The volume is thin provisioned (LBPME=1)
 * and unmapped blocks read as zeroes (LBPRZ=1); the physical block exponent tells
 * initiators to align to the volume's 4 KiB blocks. No protection information.
 */

function readCapacity10(ctx: CommandContext, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  const pmi = (request.cdb[8]! & 0x01) !== 0;
  if (!pmi && request.cdb.readUInt32BE(2) !== 0) throw invalidFieldInCdb(2);
  const data = Buffer.alloc(8);
  const last = Math.max(0, ctx.profile.blockCount - 1);
  // Larger than 32 bits: 0xFFFFFFFF tells the initiator to use READ CAPACITY (16).
  data.writeUInt32BE(last > 0xffffffff ? 0xffffffff : last, 0);
  data.writeUInt32BE(ctx.profile.blockLength, 4);
  return good(data);
}

/** The READ CAPACITY (16) parameter data (also what SPC-4's one-stop LU summary would use). */
export function readCapacity16Data(ctx: Pick<CommandContext, 'profile'>): Buffer {
  const data = Buffer.alloc(32);
  data.writeBigUInt64BE(BigInt(Math.max(0, ctx.profile.blockCount - 1)), 0);
  data.writeUInt32BE(ctx.profile.blockLength, 8);
  data[13] = ctx.profile.physicalBlockExponent & 0x0f;
  data[14] = 0x80 | 0x40; // LBPME, LBPRZ; lowest aligned LBA 0
  return data;
}

function readCapacity16(ctx: CommandContext, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  return good(truncate(readCapacity16Data(ctx), request.cdb.readUInt32BE(10)));
}

/** The READ CAPACITY entries of the dispatch table. */
export const capacityCommands: readonly CommandSpec[] = [
  {
    opcode: Op.ReadCapacity10,
    name: 'READ CAPACITY(10)',
    usage: [Op.ReadCapacity10, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00],
    dataOutLength: noDataOut,
    execute: readCapacity10,
  },
  {
    opcode: Op.ServiceActionIn16,
    serviceAction: ServiceActionIn16.ReadCapacity16,
    name: 'READ CAPACITY(16)',
    usage: [Op.ServiceActionIn16, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    dataOutLength: noDataOut,
    execute: readCapacity16,
  },
];
