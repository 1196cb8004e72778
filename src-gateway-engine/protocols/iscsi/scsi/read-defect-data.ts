import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';

/**
 * READ DEFECT DATA (10/12) (SBC-3 5.17/5.18). A volume has no defects: the answer is an
 * empty list in the format asked for, with PLISTV/GLISTV echoing the lists requested.
 */

function readDefectData10(_ctx: unknown, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  const data = Buffer.alloc(4);
  data[1] = request.cdb[2]! & 0x1f; // PLISTV, GLISTV, DEFECT LIST FORMAT
  return good(truncate(data, request.cdb.readUInt16BE(7)));
}

function readDefectData12(_ctx: unknown, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  const data = Buffer.alloc(8);
  data[1] = request.cdb[1]! & 0x1f;
  return good(truncate(data, request.cdb.readUInt32BE(6)));
}

/** The READ DEFECT DATA entries of the dispatch table. */
export const readDefectDataCommands: readonly CommandSpec[] = [
  {
    opcode: Op.ReadDefectData10,
    name: 'READ DEFECT DATA(10)',
    usage: [Op.ReadDefectData10, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
    dataOutLength: noDataOut,
    execute: readDefectData10,
  },
  {
    opcode: Op.ReadDefectData12,
    name: 'READ DEFECT DATA(12)',
    usage: [Op.ReadDefectData12, 0x1f, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    dataOutLength: noDataOut,
    execute: readDefectData12,
  },
];
