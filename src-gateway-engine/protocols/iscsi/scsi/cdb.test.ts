import { describe, expect, it } from 'vitest';
import { cdbLength, checkLbaRange, decodeBlockCdb, isTransferLengthWrite, withTransferLength } from './cdb.js';
import { ScsiCheckCondition } from './sense.js';

const pad = (bytes: number[]): Buffer => {
  const b = Buffer.alloc(16);
  Buffer.from(bytes).copy(b);
  return b;
};

describe('CDB decoding', () => {
  it('knows CDB lengths from the group code', () => {
    expect([cdbLength(0x08), cdbLength(0x28), cdbLength(0x41), cdbLength(0x88), cdbLength(0xa8), cdbLength(0x7f)]).toEqual([6, 10, 10, 16, 12, null]);
  });

  it('decodes 6/10/12/16-byte block CDBs', () => {
    expect(decodeBlockCdb(pad([0x08, 0x1f, 0xff, 0xff, 0]))).toMatchObject({ lba: 0x1fffff, blocks: 256 });
    expect(decodeBlockCdb(pad([0x2a, 0xf8, 0, 0, 1, 0, 0x11, 0, 9, 0]))).toMatchObject({ lba: 256, blocks: 9, protect: 7, dpo: true, fua: true, group: 0x11 });
    expect(decodeBlockCdb(pad([0xaf, 0x06, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0]))).toMatchObject({ lba: 1, blocks: 256, bytchk: 3 });
    const c16 = pad([0x93, 0x09]);
    c16.writeBigUInt64BE(0xfffffffffn, 2);
    c16.writeUInt32BE(70000, 10);
    expect(decodeBlockCdb(c16)).toMatchObject({ lba: 0xfffffffff, blocks: 70000, unmap: true, ndob: true });
    const caw = pad([0x89]);
    caw[13] = 5;
    expect(decodeBlockCdb(caw).blocks).toBe(5);
  });

  it('refuses NACA in the control byte with a field pointer', () => {
    const c = pad([0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0x04]);
    try {
      decodeBlockCdb(c);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScsiCheckCondition);
      expect((err as ScsiCheckCondition).sense.fieldPointer).toEqual({ inCdb: true, byte: 9, bit: 2 });
    }
  });

  it('checks ranges, including LBAs beyond 2^53', () => {
    expect(() => checkLbaRange(10, 0, 10)).not.toThrow();
    expect(() => checkLbaRange(11, 0, 10)).toThrow(ScsiCheckCondition);
    expect(() => checkLbaRange(9, 2, 10)).toThrow(ScsiCheckCondition);
    expect(() => checkLbaRange(Number(2n ** 64n - 1n), 1, 10)).toThrow(ScsiCheckCondition);
  });
});

describe('withTransferLength', () => {
  it('rewrites the TRANSFER LENGTH that decodeBlockCdb reads, for WRITE and WRITE AND VERIFY of every size', () => {
    const cdbs = [
      [0x0a, 0x01, 0x02, 0x03, 9, 0],
      [0x2a, 0, 0, 0, 0, 7, 0, 0, 9, 0],
      [0x2e, 0x02, 0, 0, 0, 7, 0, 0, 9, 0],
      [0xaa, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0],
      [0xae, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0],
      [0x8a, 0x08, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0],
      [0x8e, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0],
    ].map((b) => Buffer.from(b));
    for (const cdb of cdbs) {
      expect(isTransferLengthWrite(cdb)).toBe(true);
      const out = withTransferLength(cdb, 3)!;
      const before = decodeBlockCdb(cdb);
      expect(decodeBlockCdb(out)).toEqual({ ...before, blocks: 3 });
      expect(cdb.equals(out)).toBe(false); // a copy; the original is untouched
    }
  });

  it('refuses what the field cannot say, and commands whose data is not TRANSFER LENGTH blocks', () => {
    expect(withTransferLength(Buffer.from([0x0a, 0, 0, 0, 9, 0]), 0)).toBeNull(); // WRITE(6): 0 means 256
    expect(withTransferLength(Buffer.from([0x0a, 0, 0, 0, 9, 0]), 256)).toBeNull();
    expect(withTransferLength(Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 9, 0]), 0x10000)).toBeNull();
    expect(withTransferLength(Buffer.from([0x2a, 0, 0, 0, 0, 0, 0, 0, 9, 0]), 0)).not.toBeNull(); // WRITE(10) of 0 blocks
    for (const op of [0x28, 0x89, 0x41, 0x93, 0x9c, 0x8b, 0x2f]) {
      const cdb = Buffer.alloc(16);
      cdb[0] = op;
      expect(isTransferLengthWrite(cdb)).toBe(false);
      expect(withTransferLength(cdb, 1)).toBeNull();
    }
  });
});
