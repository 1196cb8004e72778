import { describe, expect, it } from 'vitest';
import { missingLunResponse } from './missing-lun.js';
import { decodeSense } from './sense.js';
import { nexus } from './test/lu-harness.js';

const req = (cdb: number[]) => {
  const c = Buffer.alloc(16);
  Buffer.from(cdb).copy(c);
  return { cdb: c, lun: 5, nexus: nexus(), dataOut: Buffer.alloc(0), expectedDataInLength: 255, taskAttribute: 1 };
};

describe('missing LUN', () => {
  it('answers INQUIRY with qualifier 011b and type 1Fh', () => {
    const r = missingLunResponse(req([0x12, 0, 0, 0, 255, 0]), [0]);
    expect(r.status).toBe(0);
    expect(r.dataIn![0]).toBe(0x7f);
  });

  it('answers REPORT LUNS with the target LUNs', () => {
    const r = missingLunResponse(req([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0]), [0, 1]);
    expect(r.dataIn!.readUInt32BE(0)).toBe(16);
    expect(r.dataIn![17]).toBe(1);
  });

  it('REQUEST SENSE returns LOGICAL UNIT NOT SUPPORTED; anything else is a CHECK CONDITION', () => {
    const rs = missingLunResponse(req([0x03, 0, 0, 0, 18, 0]), [0]);
    expect(rs.status).toBe(0);
    expect(decodeSense(rs.dataIn!)).toMatchObject({ key: 5, asc: 0x25, ascq: 0 });
    const tur = missingLunResponse(req([0x00, 0, 0, 0, 0, 0]), [0]);
    expect(tur.status).toBe(2);
    expect(decodeSense(tur.sense!)).toMatchObject({ key: 5, asc: 0x25, ascq: 0 });
  });
});
