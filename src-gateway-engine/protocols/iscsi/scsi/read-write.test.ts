import { describe, expect, it } from 'vitest';
import { BS, cdb10, cdb16, clearUa, harness, pattern, senseOf } from './test/lu-harness.js';

describe('READ / WRITE / WRITE AND VERIFY', () => {
  it('writes and reads back through 6, 10, 12 and 16-byte CDBs', async () => {
    const h = harness();
    await clearUa(h);
    const data = pattern(3, 1);
    expect((await h.run(cdb10(0x2a, 10, 3), data)).status).toBe(0);
    expect((await h.run(cdb10(0x28, 10, 3))).dataIn).toEqual(data);
    expect((await h.run(cdb16(0x88, 10, 3))).dataIn).toEqual(data);
    const c12 = [0xa8, 0, 0, 0, 0, 10, 0, 0, 0, 3, 0, 0];
    expect((await h.run(c12)).dataIn).toEqual(data);
    expect((await h.run([0x08, 0, 0, 10, 3, 0])).dataIn).toEqual(data);
    const w6 = pattern(1, 9);
    expect((await h.run([0x0a, 0, 0, 20, 1, 0], w6)).status).toBe(0);
    expect((await h.run(cdb16(0x88, 20, 1))).dataIn).toEqual(w6);
  });

  it('treats READ(6) transfer length 0 as 256 blocks', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run([0x08, 0, 0, 0, 0, 0])).dataIn!.length).toBe(256 * BS);
  });

  it('accepts DPO and FUA, and zero blocks anywhere up to the end', async () => {
    const h = harness();
    await clearUa(h);
    expect((await h.run(cdb10(0x2a, 0, 1, 0x18), pattern(1, 2))).status).toBe(0);
    expect((await h.run(cdb10(0x28, 0, 1, 0x18))).status).toBe(0);
    expect((await h.run(cdb10(0x28, h.profile.blockCount, 0))).status).toBe(0);
  });

  it('rejects reads and writes past the end with LBA OUT OF RANGE', async () => {
    const h = harness();
    await clearUa(h);
    const n = h.profile.blockCount;
    for (const [lba, blocks] of [
      [n - 1, 2],
      [n, 1],
      [n + 1, 0],
      [0xffffffff, 1],
    ] as const) {
      expect(senseOf(await h.run(cdb10(0x28, lba, blocks)))).toMatchObject({ key: 5, asc: 0x21, ascq: 0 });
    }
    expect(senseOf(await h.run(cdb16(0x88, -1n, 1)))).toMatchObject({ key: 5, asc: 0x21 });
    expect(senseOf(await h.run(cdb16(0x8a, 1n << 63n, 1), pattern(1, 0)))).toMatchObject({ key: 5, asc: 0x21 });
  });

  it('rejects RDPROTECT / WRPROTECT with INVALID FIELD IN CDB pointing at byte 1', async () => {
    const h = harness();
    await clearUa(h);
    for (let p = 1; p < 8; p++) {
      expect(senseOf(await h.run(cdb10(0x28, 0, 1, p << 5)))).toMatchObject({ key: 5, asc: 0x24, fieldPointer: { byte: 1 } });
      expect(senseOf(await h.run(cdb16(0x8a, 0, 1, p << 5), pattern(1, 0)))).toMatchObject({ key: 5, asc: 0x24 });
      expect(senseOf(await h.run(cdb10(0x2e, 0, 1, p << 5), pattern(1, 0)))).toMatchObject({ key: 5, asc: 0x24 });
    }
  });

  it('splits transfers larger than the device request size', async () => {
    const h = harness({ maxRequestBytes: 8 * BS });
    await clearUa(h);
    const data = pattern(20, 3);
    expect((await h.run(cdb10(0x2a, 5, 20), data)).status).toBe(0);
    expect((await h.run(cdb10(0x28, 5, 20))).dataIn).toEqual(data);
  });

  it('WRITE AND VERIFY writes (durably) with BYTCHK 0 and 1, and refuses the reserved bit', async () => {
    const h = harness();
    await clearUa(h);
    const data = pattern(2, 4);
    expect((await h.run(cdb10(0x2e, 0, 2, 0x02), data)).status).toBe(0);
    expect((await h.run(cdb10(0x28, 0, 2))).dataIn).toEqual(data);
    expect(senseOf(await h.run(cdb10(0x2e, 0, 2, 0x04), data))).toMatchObject({ key: 5, asc: 0x24 });
  });

  it('answers a Data-Out that is not what the CDB asked for with INVALID FIELD IN INFORMATION UNIT', async () => {
    const h = harness();
    await clearUa(h);
    expect(senseOf(await h.run(cdb10(0x2a, 0, 2), pattern(1, 0)))).toMatchObject({ key: 5, asc: 0x0e, ascq: 0x03 });
  });

  it('maps a device error to a medium error for reads', async () => {
    const { ErrorCode, TidegateError } = await import('../../../errors/index.js');
    const h = harness();
    await clearUa(h);
    h.device.read = () => Promise.reject(new TidegateError(ErrorCode.IoError, 'disk'));
    expect(senseOf(await h.run(cdb10(0x28, 0, 1)))).toMatchObject({ key: 3, asc: 0x11 });
  });
});
