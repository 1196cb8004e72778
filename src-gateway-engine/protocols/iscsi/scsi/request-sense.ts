import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { Ascs, SenseKey, encodeSense, type Sense } from './sense.js';

/**
 * REQUEST SENSE (SPC-4 6.39). With autosense (iSCSI always delivers sense with the status)
 * nothing is left to report except a pending unit attention, which is returned as the
 * parameter data and cleared (SAM-5 5.14); otherwise NO SENSE. DESC picks the format.
 */

/** The REQUEST SENSE parameter data for `sense` in the format DESC (byte 1 bit 0) asks for. */
export function requestSenseData(cdb: Buffer, sense: Sense): Buffer {
  return truncate(encodeSense(sense, (cdb[1]! & 0x01) !== 0), cdb[4]!);
}

function requestSense(ctx: CommandContext, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  const ua = ctx.unitAttentions.take(request.nexus.id);
  const sense: Sense = ua === undefined ? { key: SenseKey.NoSense, ...Ascs.NoAdditionalSense } : { key: SenseKey.UnitAttention, ...ua };
  return good(requestSenseData(request.cdb, sense));
}

/** The REQUEST SENSE entry of the dispatch table. */
export const requestSenseCommands: readonly CommandSpec[] = [
  {
    opcode: Op.RequestSense,
    name: 'REQUEST SENSE',
    usage: [Op.RequestSense, 0x01, 0x00, 0x00, 0xff, 0x00],
    dataOutLength: noDataOut,
    execute: requestSense,
  },
];
