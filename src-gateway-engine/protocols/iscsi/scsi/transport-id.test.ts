import { describe, expect, it } from 'vitest';
import { TransportIdError, decodeTransportId, encodeTransportId, sameInitiatorName } from './transport-id.js';

describe('iSCSI TransportID', () => {
  it('encodes format 01b with the ISID, padded to a multiple of 4', () => {
    const tid = encodeTransportId({ initiatorName: 'iqn.1991-05.com.microsoft:node1', isid: '400001370000' });
    expect(tid[0]).toBe(0x45);
    expect(tid.readUInt16BE(2) % 4).toBe(0);
    expect(tid.length).toBe(4 + tid.readUInt16BE(2));
    expect(tid.toString('utf8', 4, tid.indexOf(0, 4))).toBe('iqn.1991-05.com.microsoft:node1,i,0x400001370000');
    expect(decodeTransportId(tid, 0)).toEqual({ id: { initiatorName: 'iqn.1991-05.com.microsoft:node1', isid: '400001370000' }, length: tid.length });
  });

  it('encodes format 00b (no ISID) with at least 20 bytes of name', () => {
    const tid = encodeTransportId({ initiatorName: 'iqn.a:b', isid: null });
    expect(tid[0]).toBe(0x05);
    expect(tid.readUInt16BE(2)).toBe(20);
    expect(decodeTransportId(tid, 0).id).toEqual({ initiatorName: 'iqn.a:b', isid: null });
  });

  it('decodes at an offset and upper-case ISIDs', () => {
    const tid = Buffer.concat([Buffer.alloc(3), encodeTransportId({ initiatorName: 'iqn.a:b', isid: 'ABCDEF012345' })]);
    expect(decodeTransportId(tid, 3).id.isid).toBe('abcdef012345');
  });

  it('rejects other protocols, formats, lengths and names', () => {
    const good = encodeTransportId({ initiatorName: 'iqn.a:b', isid: '000000000001' });
    const bad = (patch: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      patch(b);
      return b;
    };
    expect(() => decodeTransportId(bad((b) => (b[0] = 0x40)), 0)).toThrow(TransportIdError);
    expect(() => decodeTransportId(bad((b) => (b[0] = 0x85)), 0)).toThrow(TransportIdError);
    expect(() => decodeTransportId(bad((b) => b.writeUInt16BE(7, 2)), 0)).toThrow(TransportIdError);
    expect(() => decodeTransportId(good.subarray(0, 10), 0)).toThrow(TransportIdError);
    expect(() => decodeTransportId(bad((b) => (b[0] = 0x05)), 0)).toThrow(/no ISID/);
    expect(() => decodeTransportId(bad((b) => b.fill(0x41, 4)), 0)).toThrow(TransportIdError);
  });

  it('compares iSCSI names without case', () => {
    expect(sameInitiatorName('iqn.A:B', 'iqn.a:b')).toBe(true);
    expect(sameInitiatorName('iqn.a:b', 'iqn.a:c')).toBe(false);
  });
});
