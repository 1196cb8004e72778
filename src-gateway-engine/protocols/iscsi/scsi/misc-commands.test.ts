import { describe, expect, it } from 'vitest';
import { cdb10, cdb16, clearUa, harness, senseOf } from './test/lu-harness.js';

describe('small commands', () => {
  it('SYNCHRONIZE CACHE flushes and checks its range', async () => {
    const h = harness();
    await clearUa(h);
    let flushes = 0;
    h.device.flush = async () => void flushes++;
    expect((await h.run(cdb10(0x35, 0, 0))).status).toBe(0);
    expect((await h.run(cdb16(0x91, 0, 0, 0x02))).status).toBe(0);
    expect(flushes).toBe(2);
    expect(senseOf(await h.run(cdb10(0x35, h.profile.blockCount + 1, 0)))).toMatchObject({ key: 5, asc: 0x21 });
  });

  it('PRE-FETCH answers CONDITION MET for a range it read, GOOD for none, and checks the range', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run(cdb10(0x34, 0, 8))).status).toBe(4);
    expect((await h.run(cdb16(0x90, 0, 0))).status).toBe(0);
    expect(senseOf(await h.run(cdb10(0x34, h.profile.blockCount - 1, 2)))).toMatchObject({ key: 5, asc: 0x21 });
  });

  it('START STOP UNIT and PREVENT ALLOW MEDIUM REMOVAL succeed on a fixed disk', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run([0x1b, 0, 0, 0, 0x01, 0])).status).toBe(0);
    expect((await h.run([0x1b, 0, 0, 0, 0x00, 0])).status).toBe(0);
    expect((await h.run([0x1e, 0, 0, 0, 0x01, 0])).status).toBe(0);
    expect((await h.run([0, 0, 0, 0, 0, 0])).status).toBe(0);
    expect(senseOf(await h.run([0x1b, 0, 0, 0, 0x50, 0]))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('READ DEFECT DATA returns an empty list', async () => {
    const h = harness();
    await clearUa(h);
    const r10 = await h.run([0x37, 0, 0x18, 0, 0, 0, 0, 0, 32, 0]);
    expect([...r10.dataIn!]).toEqual([0, 0x18, 0, 0]);
    const r12 = await h.run([0xb7, 0x08, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0]);
    expect(r12.dataIn!.length).toBe(8);
  });

  it('REPORT LUNS refuses a too-small allocation length and an unknown SELECT REPORT', async () => {
    const h = harness();
    await clearUa(h);
    expect(senseOf(await h.run([0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0]))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run([0xa0, 0, 0x10, 0, 0, 0, 0, 0, 1, 0, 0, 0]))).toMatchObject({ key: 5, asc: 0x24 });
  });
});
