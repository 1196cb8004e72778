import { expectDataOut, firstDifference, readBlocks } from './block-io.js';
import { checkLbaRange, decodeBlockCdb, rejectProtection } from './cdb.js';
import { good, type CommandContext, type CommandSpec } from './command-spec.js';
import type { LuProfile } from './lu-profile.js';
import { Op } from './opcodes.js';
import { blockUsage } from './read-write.js';
import type { ScsiRequest, ScsiResponse } from './scsi-contract.js';
import { Ascs, SenseKey, checkCondition, invalidFieldInCdb } from './sense.js';

/**
 * VERIFY (10/12/16). BYTCHK 00b verifies the medium without data: the volume's records
 * are checksummed on every read path, so there is nothing more to check and the command
 * only validates its range. BYTCHK 01b compares the Data-Out with the blocks; 11b compares
 * one block of Data-Out with every block of the range. A difference is MISCOMPARE /
 * MISCOMPARE DURING VERIFY OPERATION with INFORMATION = offset of the first differing byte
 * in the Data-Out (SBC-3 5.26).
 */

function dataOutLength(cdb: Buffer, profile: LuProfile): number {
  const c = decodeBlockCdb(cdb);
  if (c.blocks === 0) return 0;
  if (c.bytchk === 1) return c.blocks * profile.blockLength;
  if (c.bytchk === 3) return profile.blockLength;
  return 0;
}

async function verify(ctx: CommandContext, request: ScsiRequest): Promise<ScsiResponse> {
  const cdb = decodeBlockCdb(request.cdb);
  rejectProtection(cdb);
  if (cdb.bytchk === 2) throw invalidFieldInCdb(1, 2);
  checkLbaRange(cdb.lba, cdb.blocks, ctx.profile.blockCount);
  if (cdb.bytchk === 0 || cdb.blocks === 0) return good();
  const bs = ctx.profile.blockLength;
  expectDataOut(request.dataOut, dataOutLength(request.cdb, ctx.profile));
  // Compare chunk by chunk so a BYTCHK 11b over a huge range never holds it all in memory.
  const step = Math.max(1, ctx.profile.maxTransferBlocks);
  for (let done = 0; done < cdb.blocks; done += step) {
    const n = Math.min(step, cdb.blocks - done);
    const medium = await readBlocks(ctx, cdb.lba + done, n);
    const expected = cdb.bytchk === 1 ? request.dataOut.subarray(done * bs, (done + n) * bs) : repeat(request.dataOut, n);
    const at = firstDifference(expected, medium);
    if (at >= 0) throw checkCondition(SenseKey.Miscompare, Ascs.MiscompareDuringVerify, cdb.bytchk === 1 ? done * bs + at : at % bs);
  }
  return good();
}

function repeat(block: Buffer, times: number): Buffer {
  const out = Buffer.allocUnsafe(block.length * times);
  for (let i = 0; i < times; i++) block.copy(out, i * block.length);
  return out;
}

const spec = (opcode: number, length: 10 | 12 | 16, name: string): CommandSpec => ({
  opcode,
  name,
  usage: blockUsage(length, opcode, 0x16), // DPO, BYTCHK
  dataOutLength,
  execute: verify,
  direction: 'read',
});

/** The VERIFY entries of the dispatch table. */
export const verifyCommands: readonly CommandSpec[] = [
  spec(Op.Verify10, 10, 'VERIFY(10)'),
  spec(Op.Verify12, 12, 'VERIFY(12)'),
  spec(Op.Verify16, 16, 'VERIFY(16)'),
];
