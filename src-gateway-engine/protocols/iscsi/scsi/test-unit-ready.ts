import { checkCdb } from './cdb.js';
import { good, noDataOut, type CommandSpec } from './command-spec.js';
import { Op } from './opcodes.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';

/**
 * TEST UNIT READY. The LU is ready whenever it exists: a failed volume answers each media
 * access with its own sense (senseForError), and pending unit attentions are reported by
 * the dispatcher before this runs.
 */
function testUnitReady(_ctx: unknown, request: ScsiRequest): ScsiResponse {
  checkCdb(request.cdb);
  return good();
}

/** The TEST UNIT READY entry of the dispatch table. */
export const testUnitReadyCommands: readonly CommandSpec[] = [
  {
    opcode: Op.TestUnitReady,
    name: 'TEST UNIT READY',
    usage: [Op.TestUnitReady, 0x00, 0x00, 0x00, 0x00, 0x00],
    dataOutLength: noDataOut,
    execute: testUnitReady,
  },
];
