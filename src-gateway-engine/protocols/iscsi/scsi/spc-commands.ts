import { checkCdb } from './cdb.js';
import { noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { inquiry, type InquiryCaps } from './inquiry.js';
import { Op } from './opcodes.js';
import type { ItNexus, ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { Ascs, type Asc } from './sense.js';

/**
 * Dispatch-table entries for the SPC commands other modules implement: INQUIRY
 * (inquiry.ts), MODE SENSE/SELECT (mode-pages.ts), PERSISTENT RESERVE IN/OUT
 * (persistent-reservations.ts) and RESERVE/RELEASE(6). Here only the glue: CDB usage data,
 * Data-Out lengths, and the unit attentions a PERSISTENT RESERVE OUT implies (SPC-4 5.13),
 * which the reservations module reports and this file raises:
 *
 *   preempted (PREEMPT, PREEMPT AND ABORT) → REGISTRATIONS PREEMPTED (2A/05)
 *   cleared (CLEAR)                        → RESERVATIONS PREEMPTED (2A/03)
 *   released (a shared reservation ended)  → RESERVATIONS RELEASED (2A/04)
 *
 * PREEMPT AND ABORT's task abort is the transport's: the response names the nexuses
 * (`abortTasksOf`) and the transport aborts their tasks before it answers.
 */

/** PERSISTENT RESERVE IN / OUT service actions listed in REPORT SUPPORTED OPERATION CODES. */
const PR_IN_SERVICE_ACTIONS = [0x00, 0x01, 0x02, 0x03];
const PR_OUT_SERVICE_ACTIONS = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];

function raise(ctx: CommandContext, nexuses: readonly ItNexus[] | undefined, ua: Asc): void {
  for (const n of nexuses ?? []) ctx.unitAttentions.establish(n.id, ua);
}

async function persistentReserveOut(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  checkCdb(request.cdb);
  const result = await ctx.reservations.out(request.cdb, request.dataOut, request.nexus);
  raise(ctx, result.preempted, Ascs.RegistrationsPreempted);
  raise(ctx, result.cleared, Ascs.ReservationsPreempted);
  raise(ctx, result.released, Ascs.ReservationsReleased);
  // PREEMPT AND ABORT: the transport aborts the preempted nexuses' tasks before answering.
  const abort = (result.abortTasksOf ?? []).filter((n) => n.id !== request.nexus.id);
  return abort.length > 0 ? { ...result.response, abortTasksOf: abort } : result.response;
}

/** The SPC delegate entries; `caps` is what INQUIRY advertises. */
export function spcCommands(caps: InquiryCaps, selecting: { nexus: ItNexus | undefined }): CommandSpec[] {
  const prIn: CommandSpec[] = PR_IN_SERVICE_ACTIONS.map((serviceAction) => ({
    opcode: Op.PersistentReserveIn,
    serviceAction,
    name: 'PERSISTENT RESERVE IN',
    usage: [Op.PersistentReserveIn, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
    dataOutLength: noDataOut,
    execute: (ctx: CommandContext, request: ScsiRequest) => {
      checkCdb(request.cdb);
      return ctx.reservations.in(request.cdb, request.nexus);
    },
  }));
  const prOut: CommandSpec[] = PR_OUT_SERVICE_ACTIONS.map((serviceAction) => ({
    opcode: Op.PersistentReserveOut,
    serviceAction,
    name: 'PERSISTENT RESERVE OUT',
    usage: [Op.PersistentReserveOut, 0x1f, 0xff, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00],
    dataOutLength: (cdb: Buffer) => cdb.readUInt32BE(5),
    execute: persistentReserveOut,
  }));
  const modeSelect = (ctx: CommandContext, request: ScsiRequest): ScsiResponse => {
    checkCdb(request.cdb);
    // ModePages reports a change through its onChanged callback, synchronously, from select().
    selecting.nexus = request.nexus;
    try {
      return ctx.modePages.select(request.cdb, request.dataOut);
    } finally {
      selecting.nexus = undefined;
    }
  };
  return [
    {
      opcode: Op.Inquiry,
      name: 'INQUIRY',
      usage: [Op.Inquiry, 0x01, 0xff, 0xff, 0xff, 0x00],
      dataOutLength: noDataOut,
      execute: (ctx, request) => {
        checkCdb(request.cdb);
        return inquiry(request.cdb, ctx.profile, caps, request.nexus);
      },
    },
    {
      opcode: Op.ModeSelect6,
      name: 'MODE SELECT(6)',
      usage: [Op.ModeSelect6, 0x11, 0x00, 0x00, 0xff, 0x00],
      dataOutLength: (cdb) => cdb[4]!,
      execute: modeSelect,
    },
    {
      opcode: Op.ModeSelect10,
      name: 'MODE SELECT(10)',
      usage: [Op.ModeSelect10, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
      dataOutLength: (cdb) => cdb.readUInt16BE(7),
      execute: modeSelect,
    },
    {
      opcode: Op.ModeSense6,
      name: 'MODE SENSE(6)',
      usage: [Op.ModeSense6, 0x08, 0xff, 0xff, 0xff, 0x00],
      dataOutLength: noDataOut,
      execute: (ctx, request) => {
        checkCdb(request.cdb);
        return ctx.modePages.sense(request.cdb);
      },
    },
    {
      opcode: Op.ModeSense10,
      name: 'MODE SENSE(10)',
      usage: [Op.ModeSense10, 0x18, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00],
      dataOutLength: noDataOut,
      execute: (ctx, request) => {
        checkCdb(request.cdb);
        return ctx.modePages.sense(request.cdb);
      },
    },
    {
      opcode: Op.Reserve6,
      name: 'RESERVE(6)',
      usage: [Op.Reserve6, 0x00, 0x00, 0x00, 0x00, 0x00],
      dataOutLength: noDataOut,
      execute: (ctx, request) => {
        checkCdb(request.cdb);
        return ctx.reservations.reserve6(request.nexus, request.cdb);
      },
    },
    {
      opcode: Op.Release6,
      name: 'RELEASE(6)',
      usage: [Op.Release6, 0x00, 0x00, 0x00, 0x00, 0x00],
      dataOutLength: noDataOut,
      execute: (ctx, request) => {
        checkCdb(request.cdb);
        return ctx.reservations.release6(request.nexus);
      },
    },
    ...prIn,
    ...prOut,
  ];
}
