import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../../../errors/index.js';
import { Ascs, SenseKey, decodeSense, descriptorSense, fixedSense, reformatSense, senseForError, type Sense } from './sense.js';

describe('sense data', () => {
  const sense: Sense = { key: SenseKey.Miscompare, ...Ascs.MiscompareDuringVerify, information: 1234, fieldPointer: { inCdb: true, byte: 13, bit: 2 } };

  it('encodes the fixed format', () => {
    const b = fixedSense(sense);
    expect(b.length).toBe(18);
    expect(b[0]).toBe(0xf0);
    expect(b[2]).toBe(0x0e);
    expect(b.readUInt32BE(3)).toBe(1234);
    expect(b[7]).toBe(10);
    expect([b[12], b[13]]).toEqual([0x1d, 0x00]);
    expect([b[15], b.readUInt16BE(16)]).toEqual([0x80 | 0x40 | 0x08 | 2, 13]);
  });

  it('leaves INFORMATION out of the fixed format when it does not fit in 4 bytes', () => {
    const b = fixedSense({ ...sense, information: 2n ** 40n });
    expect(b[0]).toBe(0x70);
  });

  it('encodes the descriptor format with the information descriptor first', () => {
    const b = descriptorSense(sense);
    expect([b[0], b[1], b[2], b[3]]).toEqual([0x72, 0x0e, 0x1d, 0x00]);
    expect(b[7]).toBe(b.length - 8);
    expect([b[8], b[9], b[10]]).toEqual([0x00, 0x0a, 0x80]);
    expect(b.readBigUInt64BE(12)).toBe(1234n);
    expect([b[20], b[21]]).toEqual([0x02, 0x06]);
  });

  it('round-trips both formats', () => {
    expect(decodeSense(fixedSense(sense))).toEqual(sense);
    expect(decodeSense(descriptorSense(sense))).toEqual({ ...sense, information: 1234n });
    expect(decodeSense(reformatSense(fixedSense(sense), true))!.key).toBe(SenseKey.Miscompare);
  });

  it('maps engine errors by code', () => {
    const map = (code: ErrorCode, dir?: 'read' | 'write'): [number, number, number] => {
      const s = senseForError(new TidegateError(code, 'x'), dir);
      return [s.key, s.asc, s.ascq];
    };
    expect(map(ErrorCode.OutOfRange)).toEqual([5, 0x21, 0]);
    expect(map(ErrorCode.NoSpace)).toEqual([7, 0x27, 0x07]);
    expect(map(ErrorCode.IoError, 'read')).toEqual([3, 0x11, 0]);
    expect(map(ErrorCode.IoError, 'write')).toEqual([3, 0x0c, 0]);
    expect(map(ErrorCode.VolumeFailed)).toEqual([4, 0x44, 0]);
    expect(map(ErrorCode.ShuttingDown)).toEqual([2, 0x04, 0x01]);
    expect(map(ErrorCode.StoreUnavailable)).toEqual([0xb, 0x08, 0]);
    expect(senseForError(new Error('x')).key).toBe(SenseKey.HardwareError);
  });
});
