import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BS, cdb10, cdb16, clearUa, harness, nexus, pattern, senseOf } from './test/lu-harness.js';

function caw(lba: number, blocks: number, byte1 = 0): number[] {
  const c = cdb16(0x89, lba, 0, byte1);
  c[13] = blocks;
  return c;
}

describe('COMPARE AND WRITE', () => {
  it('writes when the compare data matches', async () => {
    const h = harness();
    await clearUa(h);
    const old = pattern(2, 1);
    const next = pattern(2, 2);
    await h.run(cdb10(0x2a, 8, 2), old);
    expect((await h.run(caw(8, 2, 0x08), Buffer.concat([old, next]))).status).toBe(0);
    expect((await h.run(cdb10(0x28, 8, 2))).dataIn).toEqual(next);
  });

  it('reports MISCOMPARE with the offset of the first differing byte and writes nothing', async () => {
    const h = harness();
    await clearUa(h);
    const old = pattern(1, 1);
    await h.run(cdb10(0x2a, 0, 1), old);
    for (const at of [0, 1, 200, BS - 1]) {
      const cmp = Buffer.from(old);
      cmp[at]! ^= 0xff;
      const r = await h.run(caw(0, 1), Buffer.concat([cmp, pattern(1, 9)]));
      expect(senseOf(r)).toMatchObject({ key: 0xe, asc: 0x1d, ascq: 0, information: at });
    }
    expect((await h.run(cdb10(0x28, 0, 1))).dataIn).toEqual(old);
  });

  it('judges the Data-Out size itself, and the block limit', async () => {
    const h = harness();
    await clearUa(h);
    expect(senseOf(await h.run(caw(0, 1), Buffer.alloc(4 * BS))).key).toBe(5);
    expect(senseOf(await h.run(caw(0, 3), Buffer.alloc(4 * BS))).key).toBe(5);
    expect((await h.run(caw(0, 0))).status).toBe(0);
    expect(senseOf(await h.run(caw(h.profile.blockCount - 1, 2), Buffer.alloc(4 * BS)))).toMatchObject({ asc: 0x21 });
    expect(senseOf(await h.run(caw(0, 1, 0x40), Buffer.alloc(2 * BS)))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('is atomic against concurrent writes from other sessions', async () => {
    // Many CAWs (compare A → write B, compare B → write A) race with plain writes of C over
    // overlapping ranges: a CAW that succeeded must have seen exactly its compare data, so
    // the final contents are always one whole block pattern, never a mix.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 24 }), async (ops) => {
        const h = harness({ blocks: 64 });
        const b = nexus('iqn.2024-01.test:b');
        h.lu.nexusAdded(b);
        await clearUa(h);
        await clearUa(h, b);
        const A = Buffer.alloc(2 * BS, 0xaa);
        const B = Buffer.alloc(2 * BS, 0xbb);
        const C = Buffer.alloc(2 * BS, 0xcc);
        await h.run(cdb10(0x2a, 4, 2), A);
        const results = await Promise.all(
          ops.map((op, i) => {
            if (op === 0) return h.run(caw(4, 2), Buffer.concat([A, B]), i % 2 === 0 ? h.a : b);
            if (op === 1) return h.run(caw(4, 2), Buffer.concat([B, A]), i % 2 === 0 ? h.a : b);
            return h.run(cdb10(0x2a, 4, 2), C, b);
          }),
        );
        for (const r of results) expect([0, 2]).toContain(r.status);
        const final = (await h.run(cdb10(0x28, 4, 2))).dataIn!;
        expect([A, B, C].some((p) => p.equals(final))).toBe(true);
        // Replay the same sequence serially: with the lock, the outcome is the serial one.
        let state = A;
        ops.forEach((op) => {
          if (op === 0 && state.equals(A)) state = B;
          else if (op === 1 && state.equals(B)) state = A;
          else if (op === 2) state = C;
        });
        expect(final).toEqual(state);
      }),
      { numRuns: 60 },
    );
  });
});
