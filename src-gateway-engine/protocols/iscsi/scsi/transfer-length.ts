import { Op as Opcode } from './opcodes.js';

/**
 * The same write CDB asking for `blocks` logical blocks instead: used when the initiator's
 * Expected Data Transfer Length is shorter than the CDB's transfer length, so the device
 * writes exactly the data that arrived (FCP-4 rule (a), which libiscsi's residual tests
 * expect). Null for opcodes whose data does not scale with a transfer length field.
 */
export function withTransferLength(cdb: Buffer, blocks: number): Buffer | null {
  const out = Buffer.from(cdb);
  switch (cdb[0]) {
    case Opcode.Write6:
      if (blocks < 1 || blocks > 255) return null; // 0 would mean 256 blocks
      out[4] = blocks;
      return out;
    case Opcode.Write10:
    case Opcode.WriteAndVerify10:
      if (blocks > 0xffff) return null;
      out.writeUInt16BE(blocks, 7);
      return out;
    case Opcode.Write12:
    case Opcode.WriteAndVerify12:
      out.writeUInt32BE(blocks, 6);
      return out;
    case Opcode.Write16:
    case Opcode.WriteAndVerify16:
      out.writeUInt32BE(blocks, 10);
      return out;
    default:
      return null;
  }
}
