import { describe, expect, it } from 'vitest';
import { BS, clearUa, harness, senseOf } from './test/lu-harness.js';

describe('READ CAPACITY', () => {
  it('(10) reports the last LBA and the block length', async () => {
    const h = harness({ blocks: 2048 });
    await clearUa(h);
    const r = await h.run([0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r.dataIn!.readUInt32BE(0)).toBe(2047);
    expect(r.dataIn!.readUInt32BE(4)).toBe(BS);
    expect(senseOf(await h.run([0x25, 0, 0, 0, 0, 1, 0, 0, 0, 0]))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('(16) reports thin provisioning, zeroes after unmap and one logical block per physical block, truncated to the allocation length', async () => {
    const h = harness({ blocks: 2048 });
    await clearUa(h);
    const cdb = (alloc: number): number[] => [0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, alloc, 0, 0];
    const r = await h.run(cdb(32));
    const d = r.dataIn!;
    expect(d.length).toBe(32);
    expect(d.readBigUInt64BE(0)).toBe(2047n);
    expect(d.readUInt32BE(8)).toBe(BS);
    expect(d[12]).toBe(0); // no protection
    expect(d[13]! & 0x0f).toBe(0);
    expect(d[14]! & 0xc0).toBe(0xc0);
    for (let alloc = 0; alloc < 16; alloc++) {
      const t = await h.run(cdb(alloc));
      expect(t.status).toBe(0);
      expect(t.dataIn!.length).toBe(alloc);
    }
  });
});
