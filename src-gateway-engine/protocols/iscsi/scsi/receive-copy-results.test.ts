import { describe, expect, it } from 'vitest';
import { cdb16, clearUa, harness, nexus, pattern, senseOf, type Harness } from './test/lu-harness.js';

/** A one-segment LID1 list copying `blocks` blocks from 0 to `dst` within the LU. */
function list(h: Harness, listId: number, usage: number, blocks = 8, dst = 256): Buffer {
  const b = Buffer.alloc(16 + 32 + 28);
  b[0] = listId;
  b[1] = usage << 3;
  b.writeUInt16BE(32, 2);
  b.writeUInt32BE(28, 8);
  b[16] = 0xe4;
  b[20] = 0x01;
  b[21] = 0x03;
  b[23] = h.profile.naa.length;
  h.profile.naa.copy(b, 24);
  b.writeUIntBE(h.profile.blockLength, 16 + 29, 3);
  const s = 48;
  b[s] = 0x02;
  b.writeUInt16BE(0x18, s + 2);
  b.writeUInt16BE(blocks, s + 10);
  b.writeBigUInt64BE(0n, s + 12);
  b.writeBigUInt64BE(BigInt(dst), s + 20);
  return b;
}

function xcopyCdb(length: number): number[] {
  const c = Buffer.alloc(16);
  c[0] = 0x83;
  c.writeUInt32BE(length, 10);
  return [...c];
}

function rcr(sa: number, listId = 0, allocation = 1024): number[] {
  const c = Buffer.alloc(16);
  c[0] = 0x84;
  c[1] = sa;
  c[2] = listId;
  c.writeUInt32BE(allocation, 10);
  return [...c];
}

async function ready(): Promise<Harness> {
  const h = harness();
  await clearUa(h);
  await h.run(cdb16(0x8a, 0, 8), pattern(8, 1));
  return h;
}

describe('RECEIVE COPY RESULTS', () => {
  it('OPERATING PARAMETERS reports the limits EXTENDED COPY enforces, as VPD 0x8F does', async () => {
    const h = await ready();
    const d = (await h.run(rcr(0x03))).dataIn!;
    expect(d.readUInt32BE(0)).toBe(d.length - 4);
    expect(d[4]! & 1).toBe(1); // SNLID
    expect(d.readUInt16BE(8)).toBe(2);
    expect(d.readUInt16BE(10)).toBe(1);
    expect(d.readUInt32BE(12)).toBe(1024);
    expect(d.readUInt32BE(16)).toBe(0xffff * 512);
    expect(d.readUInt32BE(20)).toBe(0); // no inline data
    expect([...d.subarray(44, 44 + d[43]!)]).toEqual([0x02, 0xe4]);
    // The same numbers in the Third-party Copy VPD page's Parameter Data descriptor.
    const vpd = (await h.run([0x12, 1, 0x8f, 0x04, 0x00, 0])).dataIn!;
    let at = 4;
    while (at < vpd.length && vpd.readUInt16BE(at) !== 0x0004) at += 4 + vpd.readUInt16BE(at + 2);
    expect(vpd.readUInt16BE(at + 8)).toBe(2);
    expect(vpd.readUInt16BE(at + 10)).toBe(1);
    expect(vpd.readUInt32BE(at + 12)).toBe(1024);
    // Truncated to the allocation length.
    expect((await h.run(rcr(0x03, 0, 10))).dataIn!.length).toBe(10);
  });

  it('COPY STATUS: none before a copy, the held status once after it', async () => {
    const h = await ready();
    expect(senseOf(await h.run(rcr(0x00, 1)))).toMatchObject({ key: 5, asc: 0x24, ascq: 0, fieldPointer: { inCdb: true, byte: 2 } });
    const l = list(h, 1, 0);
    expect((await h.run(xcopyCdb(l.length), l)).status).toBe(0);
    const d = (await h.run(rcr(0x00, 1))).dataIn!;
    expect(d.readUInt32BE(0)).toBe(8);
    expect(d[4]).toBe(0x01); // completed without errors
    expect(d.readUInt16BE(5)).toBe(1); // segments processed
    expect(d[7]).toBe(0); // bytes
    expect(d.readUInt32BE(8)).toBe(8 * 512);
    // Reported once, then discarded.
    expect(senseOf(await h.run(rcr(0x00, 1))).asc).toBe(0x24);
  });

  it('holds a failed copy as completed with errors, nothing for DISCARD or no list id', async () => {
    const h = await ready();
    const bad = list(h, 2, 0, 8, h.profile.blockCount - 1);
    expect(senseOf(await h.run(xcopyCdb(bad.length), bad)).key).toBe(0x0a);
    expect((await h.run(rcr(0x00, 2))).dataIn![4]).toBe(0x02);
    const discard = list(h, 3, 2);
    expect((await h.run(xcopyCdb(discard.length), discard)).status).toBe(0);
    expect(senseOf(await h.run(rcr(0x00, 3))).asc).toBe(0x24);
    const none = list(h, 0, 3);
    expect((await h.run(xcopyCdb(none.length), none)).status).toBe(0);
    expect(senseOf(await h.run(rcr(0x00, 0))).asc).toBe(0x24);
  });

  it('keeps status per I_T nexus and drops it when the nexus logs in again', async () => {
    const h = await ready();
    const b = nexus('iqn.2024-01.test:b');
    h.lu.nexusAdded(b);
    await clearUa(h, b);
    const l = list(h, 5, 0);
    expect((await h.run(xcopyCdb(l.length), l)).status).toBe(0);
    expect(senseOf(await h.run(rcr(0x00, 5), undefined, b)).asc).toBe(0x24);
    h.lu.nexusAdded(h.a);
    await clearUa(h);
    expect(senseOf(await h.run(rcr(0x00, 5))).asc).toBe(0x24);
  });

  it('refuses a second copy with the same list identifier while the first runs', async () => {
    const h = await ready();
    const read = h.device.read.bind(h.device);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    h.device.read = async (offset, length) => {
      await gate;
      return read(offset, length);
    };
    const l = list(h, 9, 0);
    const first = h.run(xcopyCdb(l.length), l);
    await new Promise((r) => setImmediate(r));
    expect((await h.run(rcr(0x00, 9))).dataIn![4]).toBe(0x00); // in progress
    expect(senseOf(await h.run(xcopyCdb(l.length), l))).toMatchObject({ key: 5, asc: 0x00, ascq: 0x16 });
    release();
    expect((await first).status).toBe(0);
    expect((await h.run(rcr(0x00, 9))).dataIn![4]).toBe(0x01);
  });

  it('lets parallel DISCARD copies share a list identifier (QEMU does)', async () => {
    const h = await ready();
    const l = list(h, 1, 2);
    const results = await Promise.all([0, 1, 2, 3].map(() => h.run(xcopyCdb(l.length), l)));
    expect(results.map((r) => r.status)).toEqual([0, 0, 0, 0]);
  });

  it('answers INVALID FIELD IN CDB for service actions it does not support', async () => {
    const h = await ready();
    for (const sa of [0x01, 0x04, 0x05]) expect(senseOf(await h.run(rcr(sa)))).toMatchObject({ key: 5, asc: 0x24 });
  });
});
