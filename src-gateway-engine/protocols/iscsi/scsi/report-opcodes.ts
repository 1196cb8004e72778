import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { MaintenanceIn, Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * REPORT SUPPORTED OPERATION CODES (SPC-4 6.35), answered from the dispatch table itself,
 * so it lists exactly what the dispatcher runs: one descriptor per opcode, or per
 * (opcode, service action) for commands with service actions (SERVACTV=1), with the
 * CDB USAGE DATA each entry declares and, with RCTD, a command timeouts descriptor.
 *
 * Errors point at byte 2 (REPORTING OPTIONS): a field pointer of 1 would make some
 * initiators (libiscsi) think the command itself is not implemented.
 */

/** Default nominal / recommended command timeouts, in seconds, for the RCTD descriptor. */
const DEFAULT_TIMEOUTS = { nominal: 0, recommended: 30 };

/** Opcodes whose byte 1 bits 4-0 hold a service action, according to the table. */
export function serviceActionOpcodes(commands: readonly CommandSpec[]): Set<number> {
  return new Set(commands.filter((c) => c.serviceAction !== undefined).map((c) => c.opcode));
}

function timeoutsDescriptor(spec: CommandSpec): Buffer {
  const t = spec.timeouts ?? DEFAULT_TIMEOUTS;
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0x0a, 0);
  b.writeUInt32BE(t.nominal, 4);
  b.writeUInt32BE(t.recommended, 8);
  return b;
}

function allCommands(commands: readonly CommandSpec[], rctd: boolean): Buffer {
  const sorted = [...commands].sort((a, b) => a.opcode - b.opcode || (a.serviceAction ?? 0) - (b.serviceAction ?? 0));
  const parts = sorted.map((spec) => {
    const d = Buffer.alloc(8);
    d[0] = spec.opcode;
    d.writeUInt16BE(spec.serviceAction ?? 0, 2);
    d[5] = (rctd ? 0x02 : 0) | (spec.serviceAction !== undefined ? 0x01 : 0);
    d.writeUInt16BE(spec.usage.length, 6);
    return rctd ? Buffer.concat([d, timeoutsDescriptor(spec)]) : d;
  });
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

function oneCommand(spec: CommandSpec | undefined, rctd: boolean): Buffer {
  if (spec === undefined) return Buffer.from([0, 0x01, 0, 0]); // SUPPORT 001b: not supported
  const header = Buffer.alloc(4);
  header[1] = (rctd ? 0x80 : 0) | 0x03; // CTDP, SUPPORT 011b: supported as the standard says
  header.writeUInt16BE(spec.usage.length, 2);
  const parts: Buffer[] = [header, Buffer.from(spec.usage)];
  if (rctd) parts.push(timeoutsDescriptor(spec));
  return Buffer.concat(parts);
}

/** Answer a REPORT SUPPORTED OPERATION CODES CDB from `commands`. */
export function reportSupportedOperationCodes(cdb: Buffer, commands: readonly CommandSpec[]): ScsiResponse {
  checkCdb(cdb);
  const rctd = (cdb[2]! & 0x80) !== 0;
  const options = cdb[2]! & 0x07;
  const opcode = cdb[3]!;
  const sa = cdb.readUInt16BE(4);
  const allocation = cdb.readUInt32BE(6);
  const withSa = serviceActionOpcodes(commands);
  let data: Buffer;
  switch (options) {
    case 0:
      data = allCommands(commands, rctd);
      break;
    case 1:
      // By opcode alone: wrong for a command that has service actions.
      if (withSa.has(opcode)) throw invalidFieldInCdb(2, 2);
      data = oneCommand(
        commands.find((c) => c.opcode === opcode),
        rctd,
      );
      break;
    case 2:
      if (!withSa.has(opcode) && commands.some((c) => c.opcode === opcode)) throw invalidFieldInCdb(2, 2);
      data = oneCommand(
        commands.find((c) => c.opcode === opcode && c.serviceAction === sa),
        rctd,
      );
      break;
    case 3:
      data = oneCommand(
        commands.find((c) => c.opcode === opcode && (withSa.has(opcode) ? c.serviceAction === sa : true)),
        rctd,
      );
      break;
    default:
      throw invalidFieldInCdb(2, 2);
  }
  return good(truncate(data, allocation));
}

/** The REPORT SUPPORTED OPERATION CODES entry of the dispatch table. */
export const reportOpcodesCommands: readonly CommandSpec[] = [
  {
    opcode: Op.MaintenanceIn,
    serviceAction: MaintenanceIn.ReportSupportedOperationCodes,
    name: 'REPORT SUPPORTED OPERATION CODES',
    usage: [Op.MaintenanceIn, 0x1f, 0x87, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00],
    dataOutLength: noDataOut,
    execute: (ctx: CommandContext, request: ScsiRequest) => reportSupportedOperationCodes(request.cdb, ctx.commands),
  },
];
