import { describe, expect, it } from 'vitest';
import { BS, cdb10, cdb16, clearUa, harness, pattern, senseOf } from './test/lu-harness.js';

describe('VERIFY', () => {
  it('BYTCHK 0 only checks the range', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run(cdb10(0x2f, 0, 8))).status).toBe(0);
    expect(senseOf(await h.run(cdb10(0x2f, h.profile.blockCount, 1)))).toMatchObject({ key: 5, asc: 0x21 });
    expect(senseOf(await h.run(cdb10(0x2f, h.profile.blockCount + 1, 0)))).toMatchObject({ key: 5, asc: 0x21 });
  });

  it('BYTCHK 1 compares, and reports the offset of the first difference', async () => {
    const h = harness();
    await clearUa(h);
    const data = pattern(4, 5);
    await h.run(cdb16(0x8a, 100, 4), data);
    expect((await h.run(cdb16(0x8f, 100, 4, 0x02), data)).status).toBe(0);
    const bad = Buffer.from(data);
    bad[3 * BS + 17]! ^= 0x58;
    expect(senseOf(await h.run(cdb16(0x8f, 100, 4, 0x02), bad))).toMatchObject({ key: 0xe, asc: 0x1d, ascq: 0, information: 3 * BS + 17 });
  });

  it('BYTCHK 3 compares one block against every block of the range', async () => {
    const h = harness();
    await clearUa(h);
    const block = pattern(1, 6);
    await h.run(cdb10(0x2a, 0, 3), Buffer.concat([block, block, block]));
    expect((await h.run(cdb10(0x2f, 0, 3, 0x06), block)).status).toBe(0);
    await h.run(cdb10(0x2a, 2, 1), pattern(1, 7));
    expect(senseOf(await h.run(cdb10(0x2f, 0, 3, 0x06), block))).toMatchObject({ key: 0xe, asc: 0x1d });
  });

  it('refuses BYTCHK 2 and VRPROTECT', async () => {
    const h = harness();
    await clearUa(h);
    expect(senseOf(await h.run(cdb10(0x2f, 0, 1, 0x04)))).toMatchObject({ key: 5, asc: 0x24 });
    expect(senseOf(await h.run(cdb10(0x2f, 0, 1, 0x20)))).toMatchObject({ key: 5, asc: 0x24 });
  });
});
