import { describe, expect, it } from 'vitest';
import { BS, cdb10, clearUa, harness, pattern, senseOf } from './test/lu-harness.js';

function unmapList(extents: Array<[number, number]>): Buffer {
  const b = Buffer.alloc(8 + 16 * extents.length);
  b.writeUInt16BE(b.length - 2, 0);
  b.writeUInt16BE(16 * extents.length, 2);
  extents.forEach(([lba, n], i) => {
    b.writeBigUInt64BE(BigInt(lba), 8 + i * 16);
    b.writeUInt32BE(n, 16 + i * 16);
  });
  return b;
}
const unmapCdb = (len: number, anchor = 0): number[] => [0x42, anchor, 0, 0, 0, 0, 0, len >> 8, len & 0xff, 0];

describe('UNMAP', () => {
  it('discards every listed range; they read back as zeroes', async () => {
    const h = harness();
    await clearUa(h);
    await h.run(cdb10(0x2a, 0, 32), pattern(32, 1));
    const list = unmapList([
      [0, 8],
      [16, 8],
    ]);
    expect((await h.run(unmapCdb(list.length), list)).status).toBe(0);
    const back = (await h.run(cdb10(0x28, 0, 32))).dataIn!;
    expect(back.subarray(0, 8 * BS)).toEqual(Buffer.alloc(8 * BS));
    expect(back.subarray(8 * BS, 16 * BS)).toEqual(pattern(32, 1).subarray(8 * BS, 16 * BS));
    expect(back.subarray(16 * BS, 24 * BS)).toEqual(Buffer.alloc(8 * BS));
  });

  it('accepts empty lists, zero-length descriptors and a parameter list length of 0', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run(unmapCdb(0))).status).toBe(0);
    const empty = unmapList([]);
    expect((await h.run(unmapCdb(empty.length), empty)).status).toBe(0);
    const zero = unmapList([[h.profile.blockCount, 0]]);
    expect((await h.run(unmapCdb(zero.length), zero)).status).toBe(0);
  });

  it('checks every descriptor before discarding anything', async () => {
    const h = harness();
    await clearUa(h);
    await h.run(cdb10(0x2a, 0, 8), pattern(8, 2));
    const list = unmapList([
      [0, 8],
      [h.profile.blockCount - 1, 2],
    ]);
    expect(senseOf(await h.run(unmapCdb(list.length), list))).toMatchObject({ key: 5, asc: 0x21 });
    expect((await h.run(cdb10(0x28, 0, 8))).dataIn).toEqual(pattern(8, 2));
  });

  it('refuses ANCHOR and a short parameter list', async () => {
    const h = harness();
    await clearUa(h);
    const list = unmapList([[0, 1]]);
    expect(senseOf(await h.run(unmapCdb(list.length, 1), list))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run(unmapCdb(4), Buffer.alloc(4)))).toMatchObject({ key: 5, asc: 0x1a });
    const many = unmapList(Array.from({ length: h.profile.maxUnmapDescriptors + 1 }, (_, i): [number, number] => [i, 1]));
    expect(senseOf(await h.run(unmapCdb(many.length), many))).toMatchObject({ key: 5, asc: 0x26 });
  });
});
