import { describe, expect, it } from 'vitest';
import { BS, cdb10, cdb16, clearUa, harness, nexus, pattern, senseOf } from './test/lu-harness.js';

describe('block logical unit: dispatcher', () => {
  it('raises no unit attention for a login; a pending one lets INQUIRY and REPORT LUNS through and is reported once', async () => {
    const h = harness();
    expect((await h.run([0, 0, 0, 0, 0, 0])).status).toBe(0);
    h.lu.reset('target-cold-reset', h.a);
    const inq = await h.run([0x12, 0, 0, 0, 96, 0]);
    expect(inq.status).toBe(0);
    const luns = await h.run([0xa0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(luns.status).toBe(0);
    expect(luns.dataIn!.readUInt32BE(0)).toBe(8);
    const tur = await h.run([0, 0, 0, 0, 0, 0]);
    expect(tur.status).toBe(2);
    expect(senseOf(tur)).toMatchObject({ key: 6, asc: 0x29, ascq: 0x01 });
    expect((await h.run([0, 0, 0, 0, 0, 0])).status).toBe(0);
  });

  it('REQUEST SENSE returns and clears a pending unit attention', async () => {
    const h = harness();
    h.lu.reset('target-cold-reset', h.a);
    const rs = await h.run([0x03, 0, 0, 0, 252, 0]);
    expect(rs.status).toBe(0);
    expect(rs.dataIn![2]! & 0x0f).toBe(6);
    expect(rs.dataIn![12]).toBe(0x29);
    expect((await h.run([0, 0, 0, 0, 0, 0])).status).toBe(0);
    const again = await h.run([0x03, 1, 0, 0, 252, 0]); // DESC=1
    expect(again.dataIn![0]).toBe(0x72);
    expect(again.dataIn![1]).toBe(0);
  });

  it('answers an unknown opcode INVALID COMMAND OPERATION CODE and an unknown service action INVALID FIELD (pointer byte 1)', async () => {
    const h = harness();
    await clearUa(h);
    expect(senseOf(await h.run([0xc0, 0, 0, 0, 0, 0]))).toMatchObject({ key: 5, asc: 0x20, ascq: 0 });
    const sa = senseOf(await h.run([0x9e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]));
    expect(sa).toMatchObject({ key: 5, asc: 0x24, fieldPointer: { inCdb: true, byte: 1 } });
  });

  it('reports the Data-Out length of write-direction commands and null for unknown opcodes', () => {
    const h = harness();
    const c = Buffer.alloc(16);
    Buffer.from(cdb10(0x2a, 0, 3)).copy(c);
    expect(h.lu.dataOutLength(c)).toBe(3 * BS);
    Buffer.from(cdb10(0x28, 0, 3)).copy(c);
    expect(h.lu.dataOutLength(c)).toBe(0);
    Buffer.from(cdb16(0x89, 0, 0)).copy(c);
    c[13] = 2;
    expect(h.lu.dataOutLength(c)).toBe(4 * BS);
    c.fill(0);
    c[0] = 0xc0;
    expect(h.lu.dataOutLength(c)).toBeNull();
  });

  it('refuses writes on a read-only volume with WRITE PROTECTED, reads still work', async () => {
    const h = harness({ readOnly: true });
    await clearUa(h);
    expect(senseOf(await h.run(cdb10(0x2a, 0, 1), pattern(1, 1)))).toMatchObject({ key: 7, asc: 0x27, ascq: 0 });
    const unmap = Buffer.alloc(24);
    unmap.writeUInt16BE(22, 0);
    unmap.writeUInt16BE(16, 2);
    unmap.writeUInt32BE(1, 16);
    expect(senseOf(await h.run([0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], unmap))).toMatchObject({ key: 7, asc: 0x27 });
    expect((await h.run(cdb10(0x28, 0, 1))).status).toBe(0);
  });

  it('uses descriptor-format sense once D_SENSE is set by MODE SELECT, and tells other nexuses MODE PARAMETERS CHANGED', async () => {
    const h = harness();
    const b = nexus('iqn.2024-01.test:b');
    h.lu.nexusAdded(b);
    await clearUa(h);
    await clearUa(h, b);
    const sense = await h.run([0x1a, 0x08, 0x0a, 0, 255, 0]);
    expect(sense.status).toBe(0);
    const page = sense.dataIn!.subarray(4);
    const data = Buffer.concat([Buffer.alloc(4), page]);
    data[0] = 0;
    data[4 + 2]! |= 0x04; // D_SENSE
    const sel = await h.run([0x15, 0x10, 0, 0, data.length, 0], data);
    expect(sel.status).toBe(0);
    const bad = await h.run(cdb10(0x28, 0, 1, 0x20)); // RDPROTECT
    expect(bad.sense![0]).toBe(0x72);
    expect(senseOf(bad)).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run([0, 0, 0, 0, 0, 0], undefined, b))).toMatchObject({ key: 6, asc: 0x2a, ascq: 0x01 });
  });

  it('gives every nexus a reset unit attention after a LUN reset, the issuer included', async () => {
    const h = harness();
    const b = nexus('iqn.2024-01.test:b');
    h.lu.nexusAdded(b);
    await clearUa(h);
    await clearUa(h, b);
    h.lu.reset('lun-reset', h.a);
    expect(senseOf(await h.run([0, 0, 0, 0, 0, 0]))).toMatchObject({ key: 6, asc: 0x29, ascq: 0x03 });
    expect(senseOf(await h.run([0, 0, 0, 0, 0, 0], undefined, b))).toMatchObject({ key: 6, asc: 0x29, ascq: 0x03 });
  });

  it('raises nothing for a nexus that logs out and back in', async () => {
    const h = harness();
    await clearUa(h);
    h.lu.nexusLost(h.a);
    h.lu.nexusAdded(h.a);
    expect((await h.run([0, 0, 0, 0, 0, 0])).status).toBe(0);
  });

  it('answers RESERVATION CONFLICT to another nexus while RESERVE(6) is held', async () => {
    const h = harness();
    const b = nexus('iqn.2024-01.test:b');
    h.lu.nexusAdded(b);
    await clearUa(h);
    await clearUa(h, b);
    expect((await h.run([0x16, 0, 0, 0, 0, 0])).status).toBe(0);
    expect((await h.run(cdb10(0x28, 0, 1), undefined, b)).status).toBe(0x18);
    expect((await h.run(cdb10(0x28, 0, 1))).status).toBe(0);
    expect((await h.run([0x17, 0, 0, 0, 0, 0])).status).toBe(0);
    expect((await h.run(cdb10(0x28, 0, 1), undefined, b)).status).toBe(0);
  });

  it('raises REGISTRATIONS PREEMPTED on the nexus a PREEMPT removed', async () => {
    const h = harness();
    const b = nexus('iqn.2024-01.test:b');
    h.lu.nexusAdded(b);
    await clearUa(h);
    await clearUa(h, b);
    const register = (key: bigint): Buffer => {
      const d = Buffer.alloc(24);
      d.writeBigUInt64BE(key, 8);
      return d;
    };
    const prout = (sa: number, type = 0): number[] => [0x5f, sa, type, 0, 0, 0, 0, 0, 24, 0];
    expect((await h.run(prout(0x06), register(0x1111n))).status).toBe(0);
    expect((await h.run(prout(0x06), register(0x2222n), b)).status).toBe(0);
    const preempt = Buffer.alloc(24);
    preempt.writeBigUInt64BE(0x2222n, 0);
    preempt.writeBigUInt64BE(0x1111n, 8);
    expect((await h.run(prout(0x04, 0x03), preempt, b)).status).toBe(0);
    expect(senseOf(await h.run([0, 0, 0, 0, 0, 0]))).toMatchObject({ key: 6, asc: 0x2a, ascq: 0x05 });
  });

  it('never rejects, even when the device throws something unexpected', async () => {
    const h = harness();
    await clearUa(h);
    h.device.read = () => Promise.reject(new Error('boom'));
    const r = await h.run(cdb10(0x28, 0, 1));
    expect(senseOf(r)).toMatchObject({ key: 4, asc: 0x44 });
  });
});
