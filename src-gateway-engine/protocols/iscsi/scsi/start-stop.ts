import { checkCdb } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL for a non-removable disk (INQUIRY
 * RMB=0). There is no spindle and no medium to eject, so neither changes any state: a
 * stopped unit would fail every I/O until an initiator started it again, which no virtual
 * disk user wants (LIO behaves the same). A STOP without NO_FLUSH still flushes, as a real
 * disk writes its cache back before spinning down.
 */

/** POWER CONDITION values SBC-3 defines (0 START_VALID, ACTIVE, IDLE, STANDBY, LU_CONTROL, FORCE_*). */
const POWER_CONDITIONS = new Set([0x0, 0x1, 0x2, 0x3, 0x7, 0xa, 0xb]);

async function startStopUnit(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  checkCdb(request.cdb);
  const b4 = request.cdb[4]!;
  const powerCondition = b4 >> 4;
  if (!POWER_CONDITIONS.has(powerCondition)) throw invalidFieldInCdb(4, 7);
  const start = (b4 & 0x01) !== 0;
  const noFlush = (b4 & 0x04) !== 0;
  if (powerCondition === 0 && !start && !noFlush) await ctx.device.flush();
  return good();
}

function preventAllow(_ctx: CommandContext, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  return good();
}

/** The START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL entries of the dispatch table. */
export const startStopCommands: readonly CommandSpec[] = [
  {
    opcode: Op.StartStopUnit,
    name: 'START STOP UNIT',
    usage: [Op.StartStopUnit, 0x01, 0x00, 0x0f, 0xf7, 0x00],
    dataOutLength: noDataOut,
    execute: startStopUnit,
  },
  {
    opcode: Op.PreventAllowMediumRemoval,
    name: 'PREVENT ALLOW MEDIUM REMOVAL',
    usage: [Op.PreventAllowMediumRemoval, 0x00, 0x00, 0x00, 0x03, 0x00],
    dataOutLength: noDataOut,
    execute: preventAllow,
  },
];
