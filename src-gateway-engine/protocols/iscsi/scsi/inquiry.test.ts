import { describe, expect, it } from 'vitest';
import { inquiry, supportedVpdPages, targetPortGroupOf, type InquiryCaps } from './inquiry.js';
import { makeLuProfile } from './lu-profile.js';
import { ScsiCheckCondition, SenseKey } from './sense.js';

const profile = makeLuProfile({
  volumeId: '1b4e28ba-2fa1-11d2-883f-0016d3cca427',
  targetName: 'iqn.2024-01.io.tidegate:vol1',
  sizeBytes: 1024 * 1024 * 1024,
  maxRequestBytes: 4 * 1024 * 1024,
  productRevision: '0.1.0',
});
const plain: InquiryCaps = { thirdPartyCopy: false };
const port = { relativeTargetPortId: 2, targetPortalGroupTag: 7 };

function cdb(evpd: boolean, page: number, alloc: number): Buffer {
  const c = Buffer.alloc(6);
  c[0] = 0x12;
  c[1] = evpd ? 1 : 0;
  c[2] = page;
  c.writeUInt16BE(alloc, 3);
  return c;
}

function data(evpd: boolean, page: number, caps: InquiryCaps = plain, alloc = 4096): Buffer {
  return inquiry(cdb(evpd, page, alloc), profile, caps, port).dataIn!;
}

function expectInvalidField(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScsiCheckCondition);
    const sense = (err as ScsiCheckCondition).sense;
    expect([sense.key, sense.asc, sense.ascq]).toEqual([SenseKey.IllegalRequest, 0x24, 0x00]);
    return;
  }
  throw new Error('expected INVALID FIELD IN CDB');
}

describe('standard INQUIRY', () => {
  it('claims SPC-4 with HiSup, CmdQue and the version descriptors', () => {
    const d = data(false, 0);
    expect(d.length).toBe(96);
    expect(d[0]).toBe(0x00);
    expect(d[2]).toBe(0x06);
    expect(d[3]! & 0x0f).toBe(2);
    expect(d[3]! & 0x10).toBe(0x10);
    expect(d[3]! & 0xc0).toBe(0); // no AERC, no TrmTsk
    expect(d[4]).toBe(d.length - 5);
    expect(d[5]).toBe(0); // no 3PC, TPGS 00b
    expect(d[7]! & 0x02).toBe(0x02);
    expect(d.toString('ascii', 8, 16)).toBe('TIDEGATE');
    expect(d.toString('ascii', 16, 32)).toBe('VOLUME'.padEnd(16));
    expect(d.toString('ascii', 32, 36)).toBe('0.1.');
    const descriptors = [0, 1, 2, 3].map((i) => d.readUInt16BE(58 + 2 * i));
    expect(descriptors).toEqual([0x00a0, 0x0960, 0x0460, 0x04c0]);
  });

  it('sets 3PC and TPGS only when asked', () => {
    expect(data(false, 0, { thirdPartyCopy: true })[5]).toBe(0x08);
    expect(data(false, 0, { thirdPartyCopy: false, implicitAlua: true })[5]).toBe(0x10);
  });

  it('truncates to the allocation length, 16-bit', () => {
    expect(data(false, 0, plain, 5).length).toBe(5);
    expect(data(false, 0, plain, 0).length).toBe(0);
    expect(data(false, 0, plain, 511)).toEqual(data(false, 0, plain, 512));
  });

  it('rejects a page code without EVPD, and CmdDt', () => {
    expectInvalidField(() => inquiry(cdb(false, 1, 256), profile, plain));
    const withCmdDt = cdb(false, 0, 256);
    withCmdDt[1] = 0x02;
    expectInvalidField(() => inquiry(withCmdDt, profile, plain));
  });
});

describe('VPD pages', () => {
  it('lists pages in ascending order, every one readable, 0x8F only with 3PC', () => {
    for (const caps of [plain, { thirdPartyCopy: true }]) {
      const d = data(true, 0x00, caps);
      const pages = [...d.subarray(4, 4 + d.readUInt16BE(2))];
      expect(pages).toEqual(supportedVpdPages(caps));
      expect(pages.includes(0x8f)).toBe(caps.thirdPartyCopy);
      expect([...pages].sort((a, b) => a - b)).toEqual(pages);
      for (const p of pages) {
        const page = data(true, p, caps);
        expect(page[1]).toBe(p);
        expect(page.length).toBe(4 + page.readUInt16BE(2));
      }
    }
  });

  it('rejects pages it does not have', () => {
    expectInvalidField(() => inquiry(cdb(true, 0x81, 255), profile, plain));
    expectInvalidField(() => inquiry(cdb(true, 0x8f, 255), profile, plain));
  });

  it('0x80 carries the serial number', () => {
    const d = data(true, 0x80);
    expect(d.toString('ascii', 4)).toBe(profile.serial);
  });

  it('0x83: NAA for the LU, then the port the command came in on', () => {
    const d = data(true, 0x83);
    const designators: Array<{ codeSet: number; piv: boolean; assoc: number; type: number; value: Buffer }> = [];
    for (let at = 4; at < d.length; at += 4 + d[at + 3]!) {
      designators.push({
        codeSet: d[at]! & 0x0f,
        piv: (d[at + 1]! & 0x80) !== 0,
        assoc: (d[at + 1]! >> 4) & 3,
        type: d[at + 1]! & 0x0f,
        value: d.subarray(at + 4, at + 4 + d[at + 3]!),
      });
    }
    expect(designators[0]).toMatchObject({ codeSet: 1, assoc: 0, type: 3 });
    expect(designators[0]!.value).toEqual(profile.naa);
    expect(designators[1]).toMatchObject({ codeSet: 2, assoc: 0, type: 1 });
    const portName = designators.find((x) => x.assoc === 1 && x.type === 8)!;
    expect(portName.value.length % 4).toBe(0);
    expect(portName.value.toString('utf8').replace(/\0+$/, '')).toBe('iqn.2024-01.io.tidegate:vol1,t,0x0007');
    expect(designators.find((x) => x.assoc === 1 && x.type === 4)!.value.readUInt16BE(2)).toBe(2);
    expect(designators.find((x) => x.assoc === 1 && x.type === 5)!.value.readUInt16BE(2)).toBe(targetPortGroupOf(port));
    const device = designators.find((x) => x.assoc === 2 && x.type === 8)!;
    expect(device.value.toString('utf8').replace(/\0+$/, '')).toBe(profile.targetName);
    expect(designators.filter((x) => x.assoc !== 0).every((x) => x.piv && (d[4]! & 0xf0) === 0)).toBe(true);
  });

  it('0xB0 is the SBC-3 length with the profile limits', () => {
    const d = data(true, 0xb0);
    expect(d.readUInt16BE(2)).toBe(0x3c);
    expect(d.length).toBe(64);
    expect(d[5]).toBe(profile.maxCompareAndWriteBlocks);
    expect(d.readUInt16BE(6)).toBe(profile.optimalGranularityBlocks);
    expect(d.readUInt32BE(8)).toBe(profile.maxTransferBlocks);
    expect(d.readUInt32BE(20)).toBe(profile.maxUnmapBlocks);
    expect(d.readUInt32BE(24)).toBe(profile.maxUnmapDescriptors);
    expect(d.readUInt32BE(28)).toBe(profile.optimalGranularityBlocks);
    expect(d[32]! & 0x80).toBe(0x80);
    expect(Number(d.readBigUInt64BE(36))).toBe(profile.maxWriteSameBlocks);
    expect(d.readUInt32BE(44)).toBe(profile.maxAtomicTransferBlocks);
  });

  it('0xB1 says non-rotating, 0xB2 thin with UNMAP and WRITE SAME unmapping to zeros', () => {
    expect(data(true, 0xb1).readUInt16BE(4)).toBe(1);
    const lbp = data(true, 0xb2);
    expect(lbp[5]).toBe(0x80 | 0x40 | 0x20 | 0x04);
    expect(lbp[6]! & 0x07).toBe(2);
  });

  it('0x8F lists RECEIVE COPY RESULTS / COPY STATUS in its supported commands', () => {
    const d = data(true, 0x8f, { thirdPartyCopy: true });
    expect(d.readUInt16BE(4)).toBe(0x0001);
    const listLength = d[8]!;
    const commands = new Map<number, number[]>();
    for (let at = 9; at < 9 + listLength; at += 2 + d[at + 1]!) commands.set(d[at]!, [...d.subarray(at + 2, at + 2 + d[at + 1]!)]);
    expect(commands.get(0x84)).toContain(0x00);
    expect(commands.get(0x83)).toContain(0x00);
    // Descriptor lengths chain to the page end.
    let at = 4;
    while (at < d.length) at += 4 + d.readUInt16BE(at + 2);
    expect(at).toBe(d.length);
  });
});
