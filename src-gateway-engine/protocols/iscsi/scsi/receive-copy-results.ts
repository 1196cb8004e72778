import { checkCdb, truncate } from './cdb.js';
import { good, noDataOut, type CommandContext, type CommandSpec } from './command-spec.js';
import { CSCD_IDENTIFICATION, SEGMENT_BLOCK_TO_BLOCK } from './extended-copy-params.js';
import { copyResultsOf } from './extended-copy-state.js';
import { copyLimits } from './extended-copy.js';
import { Op, ReceiveCopyResults } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { invalidFieldInCdb } from './sense.js';

/**
 * RECEIVE COPY RESULTS (SPC-4 6.18) for EXTENDED COPY (LID1):
 *
 *   COPY STATUS (00h)          status of the nexus's LIST ID USAGE 00b (hold) copy with that
 *                              LIST IDENTIFIER, running or ended (extended-copy-state.ts);
 *                              none → INVALID FIELD IN CDB pointing at the list identifier
 *   OPERATING PARAMETERS (03h) the limits EXTENDED COPY enforces (copyLimits), the same as
 *                              the Third-party Copy VPD page
 *
 * RECEIVE DATA and FAILED SEGMENT DETAILS are not supported: nothing is ever held but the
 * status (the dispatcher answers INVALID FIELD IN CDB for them).
 */

/** Segment and inline data granularity: one logical block (log2). */
const GRANULARITY_LOG2 = 9;

/** TRANSFER COUNT and its units (00h bytes, 01h KiB, 02h MiB, ...) for a byte count. */
function transferCount(bytes: number): { units: number; count: number } {
  let units = 0;
  let count = bytes;
  while (count > 0xffffffff) {
    count = Math.floor(count / 1024);
    units++;
  }
  return { units, count };
}

function copyStatus(ctx: CommandContext, request: ScsiRequest): Buffer {
  const listId = request.cdb[2]!;
  const status = copyResultsOf(ctx).take(request.nexus.id, listId);
  if (status === undefined) throw invalidFieldInCdb(2);
  const b = Buffer.alloc(12);
  b.writeUInt32BE(b.length - 4, 0);
  b[4] = status.status & 0x7f; // HDD=0: no held data beyond this status
  b.writeUInt16BE(Math.min(0xffff, status.segmentsProcessed), 5);
  const { units, count } = transferCount(status.bytesTransferred);
  b[7] = units;
  b.writeUInt32BE(count, 8);
  return b;
}

function operatingParameters(ctx: CommandContext): Buffer {
  const limits = copyLimits(ctx.profile);
  const implemented = [SEGMENT_BLOCK_TO_BLOCK, CSCD_IDENTIFICATION];
  const b = Buffer.alloc(44 + implemented.length);
  b.writeUInt32BE(b.length - 4, 0);
  b[4] = 0x01; // SNLID: LIST ID USAGE 11b (no list identifier) is supported
  b.writeUInt16BE(limits.maxCscdDescriptors, 8);
  b.writeUInt16BE(limits.maxSegmentDescriptors, 10);
  b.writeUInt32BE(limits.maxDescriptorListLength, 12);
  b.writeUInt32BE(limits.maxSegmentBytes, 16);
  b.writeUInt32BE(0, 20); // maximum inline data length
  b.writeUInt32BE(0, 24); // held data limit
  b.writeUInt32BE(0, 28); // maximum stream device transfer size: no stream devices
  b.writeUInt16BE(1, 34); // total concurrent copies, as VPD 0x8F reports it
  b[36] = 1; // maximum concurrent copies
  b[37] = GRANULARITY_LOG2; // data segment granularity
  b[38] = GRANULARITY_LOG2; // inline data granularity
  b[39] = GRANULARITY_LOG2; // held data granularity
  b[43] = implemented.length;
  Buffer.from(implemented).copy(b, 44);
  return b;
}

function receiveCopyResults(ctx: CommandContext, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  const allocation = request.cdb.readUInt32BE(10);
  const sa = request.cdb[1]! & 0x1f;
  const data = sa === ReceiveCopyResults.CopyStatus ? copyStatus(ctx, request) : operatingParameters(ctx);
  return good(truncate(data, allocation));
}

const usage = [Op.ReceiveCopyResults, 0x1f, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00];

/** The RECEIVE COPY RESULTS entries of the dispatch table. */
export const receiveCopyResultsCommands: readonly CommandSpec[] = [
  {
    opcode: Op.ReceiveCopyResults,
    serviceAction: ReceiveCopyResults.CopyStatus,
    name: 'RECEIVE COPY RESULTS (COPY STATUS)',
    usage,
    dataOutLength: noDataOut,
    execute: receiveCopyResults,
  },
  {
    opcode: Op.ReceiveCopyResults,
    serviceAction: ReceiveCopyResults.OperatingParameters,
    name: 'RECEIVE COPY RESULTS (OPERATING PARAMETERS)',
    usage: usage.map((u, i) => (i === 2 ? 0x00 : u)),
    dataOutLength: noDataOut,
    execute: receiveCopyResults,
  },
];
