import { describe, expect, it } from 'vitest';
import { cdb10, clearUa, harness, pattern, senseOf } from './test/lu-harness.js';

function getLbaStatus(lba: bigint | number, alloc: number): number[] {
  const c = Buffer.alloc(16);
  c[0] = 0x9e;
  c[1] = 0x12;
  c.writeBigUInt64BE(BigInt.asUintN(64, BigInt(lba)), 2);
  c.writeUInt32BE(alloc, 10);
  return [...c];
}

function descriptors(data: Buffer): Array<{ lba: number; blocks: number; status: number }> {
  const out = [];
  for (let at = 8; at + 16 <= data.length; at += 16) {
    out.push({ lba: Number(data.readBigUInt64BE(at)), blocks: data.readUInt32BE(at + 8), status: data[at + 12]! & 0x0f });
  }
  return out;
}

describe('GET LBA STATUS', () => {
  it('reports mapped and deallocated runs from the device map, starting at the requested LBA', async () => {
    const h = harness({ blocks: 1024 });
    await clearUa(h);
    await h.run(cdb10(0x2a, 16, 16), pattern(16, 1)); // chunk size 4 KiB = 8 blocks
    const r = await h.run(getLbaStatus(8, 1024));
    expect(r.status).toBe(0);
    expect(descriptors(r.dataIn!)).toEqual([
      { lba: 8, blocks: 8, status: 1 },
      { lba: 16, blocks: 16, status: 0 },
      { lba: 32, blocks: 1024 - 32, status: 1 },
    ]);
    expect(r.dataIn!.readUInt32BE(0)).toBe(r.dataIn!.length - 4);
    const first = await h.run(getLbaStatus(17, 24));
    expect(first.dataIn!.length).toBe(24);
    expect(descriptors(first.dataIn!)[0]).toEqual({ lba: 17, blocks: 15, status: 0 });
  });

  it('rejects a starting LBA past the end', async () => {
    const h = harness();
    await clearUa(h);
    for (const lba of [BigInt(h.profile.blockCount), 1n << 63n, -1n]) {
      expect(senseOf(await h.run(getLbaStatus(lba, 24)))).toMatchObject({ key: 5, asc: 0x21 });
    }
  });
});
