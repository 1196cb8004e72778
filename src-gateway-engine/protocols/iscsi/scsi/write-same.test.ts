import { describe, expect, it } from 'vitest';
import { BS, cdb10, cdb16, clearUa, harness, pattern, senseOf } from './test/lu-harness.js';

const ws10 = (lba: number, blocks: number, byte1 = 0): number[] => {
  const c = cdb10(0x41, lba, blocks, byte1);
  return c;
};

describe('WRITE SAME', () => {
  it('repeats a non-zero block over the range, in chunks', async () => {
    const h = harness({ maxRequestBytes: 4 * BS });
    await clearUa(h);
    const block = pattern(1, 3);
    expect((await h.run(ws10(10, 11), block)).status).toBe(0);
    const back = (await h.run(cdb10(0x28, 10, 11))).dataIn!;
    for (let i = 0; i < 11; i++) expect(back.subarray(i * BS, (i + 1) * BS)).toEqual(block);
  });

  it('unmaps zeroes with UNMAP and keeps them allocated without it', async () => {
    const h = harness();
    await clearUa(h);
    await h.run(cdb10(0x2a, 0, 64), pattern(64, 1));
    expect((await h.run(ws10(0, 64, 0x08), Buffer.alloc(BS))).status).toBe(0);
    expect((await h.run(cdb10(0x28, 0, 64))).dataIn).toEqual(Buffer.alloc(64 * BS));
    expect((await h.device.blockStatus(0, 64 * BS)).every((e) => e.hole)).toBe(true);
    expect((await h.run(ws10(0, 64), Buffer.alloc(BS))).status).toBe(0);
    expect((await h.device.blockStatus(0, 64 * BS)).every((e) => !e.hole && e.zero)).toBe(true);
  });

  it('NDOB writes zeroes without Data-Out (WRITE SAME(16))', async () => {
    const h = harness();
    await clearUa(h);
    await h.run(cdb10(0x2a, 0, 4), pattern(4, 1));
    expect((await h.run(cdb16(0x93, 0, 4, 0x09))).status).toBe(0);
    expect((await h.run(cdb10(0x28, 0, 4))).dataIn).toEqual(Buffer.alloc(4 * BS));
  });

  it('0 blocks means to the end of the volume, within MAXIMUM WRITE SAME LENGTH', async () => {
    const h = harness({ blocks: 4096, maxRequestBytes: 8 * BS }); // max WS = 128 blocks
    await clearUa(h);
    const n = h.profile.blockCount;
    expect(h.profile.maxWriteSameBlocks).toBe(128);
    expect(senseOf(await h.run(ws10(0, 0), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x24 });
    expect((await h.run(ws10(n - 128, 0), Buffer.alloc(BS))).status).toBe(0);
    expect(senseOf(await h.run(ws10(n - 129, 0), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run(ws10(n + 1, 0), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x21 });
    expect(senseOf(await h.run(ws10(n - 1, 2), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x21 });
  });

  it('refuses ANCHOR, WRPROTECT and a Data-Out that is not one block', async () => {
    const h = harness();
    await clearUa(h);
    expect(senseOf(await h.run(ws10(0, 1, 0x10), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run(ws10(0, 1, 0x18), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run(ws10(0, 1, 0x20), Buffer.alloc(BS)))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run(ws10(0, 1, 0x08), Buffer.alloc(BS / 2))).key).toBe(5);
    expect(senseOf(await h.run(ws10(0, 1, 0x08), Buffer.alloc(BS * 2))).key).toBe(5);
  });
});
