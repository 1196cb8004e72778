import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * REPORT LUNS (SPC-4 6.33). LUNs below 256 use peripheral device addressing, larger ones
 * flat space addressing (SAM-5 4.7), as Linux, Windows and ESXi expect. SELECT REPORT
 * 00h, 01h and 02h are all answered with the same list: we have no well-known LUNs and
 * every LUN is reachable through this target.
 */

/** The eight-byte LUN of `lun` (0..16383). */
export function encodeLun(lun: number): Buffer {
  const b = Buffer.alloc(8);
  if (lun < 256) b[1] = lun;
  else {
    b[0] = 0x40 | ((lun >> 8) & 0x3f);
    b[1] = lun & 0xff;
  }
  return b;
}

/** Answer a REPORT LUNS CDB with `luns` (the target's LUN list). */
export function reportLuns(cdb: Buffer, luns: readonly number[]): ScsiResponse {
  checkCdb(cdb);
  const select = cdb[2]!;
  if (select > 0x02) throw invalidFieldInCdb(2);
  const allocation = cdb.readUInt32BE(6);
  // SPC-4: an allocation length below 16 is an error (the header and one LUN must fit).
  if (allocation < 16) throw invalidFieldInCdb(6);
  const unique = [...new Set(luns)].sort((a, b) => a - b);
  const data = Buffer.alloc(8 + unique.length * 8);
  data.writeUInt32BE(unique.length * 8, 0);
  unique.forEach((lun, i) => encodeLun(lun).copy(data, 8 + i * 8));
  return good(truncate(data, allocation));
}

/** The REPORT LUNS entry of the dispatch table. */
export const reportLunsCommands: readonly CommandSpec[] = [
  {
    opcode: Op.ReportLuns,
    name: 'REPORT LUNS',
    usage: [Op.ReportLuns, 0x00, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    dataOutLength: noDataOut,
    execute: (ctx: CommandContext, request: ScsiRequest) => reportLuns(request.cdb, ctx.luns()),
  },
];
