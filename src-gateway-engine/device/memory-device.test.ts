import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryDevice } from './memory-device.js';

const KiB = 1024;

describe('MemoryDevice', () => {
  it('costs nothing until written, even at 1 TiB', async () => {
    const dev = new MemoryDevice({ size: 2 ** 40 });
    expect(dev.allocatedBytes).toBe(0);
    expect((await dev.read(2 ** 40 - 4096, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    expect(await dev.blockStatus(0, 2 ** 40)).toEqual([{ length: 2 ** 40, hole: true, zero: true }]);
  });

  it('reads back writes that straddle chunks', async () => {
    const dev = new MemoryDevice({ size: 1024 * KiB, chunkSize: 64 * KiB });
    const data = Buffer.alloc(100 * KiB, 7);
    await dev.write(60 * KiB, data);
    expect((await dev.read(60 * KiB, 100 * KiB)).equals(data)).toBe(true);
    expect((await dev.read(0, 60 * KiB)).equals(Buffer.alloc(60 * KiB))).toBe(true);
    expect(dev.allocatedBytes).toBe(3 * 64 * KiB);
  });

  it('reports holes for never-written and trimmed chunks, data elsewhere', async () => {
    const dev = new MemoryDevice({ size: 512 * KiB, chunkSize: 64 * KiB });
    await dev.write(64 * KiB, Buffer.alloc(128 * KiB, 1));
    expect(await dev.blockStatus(0, 512 * KiB)).toEqual([
      { length: 64 * KiB, hole: true, zero: true },
      { length: 128 * KiB, hole: false, zero: false },
      { length: 320 * KiB, hole: true, zero: true },
    ]);
    await dev.trim(64 * KiB, 64 * KiB);
    expect(await dev.blockStatus(0, 256 * KiB)).toEqual([
      { length: 128 * KiB, hole: true, zero: true },
      { length: 64 * KiB, hole: false, zero: false },
      { length: 64 * KiB, hole: true, zero: true },
    ]);
    expect(dev.allocatedBytes).toBe(64 * KiB);
  });

  it('zeroes partial chunks in place and keeps noUnmap ranges allocated as known zeroes', async () => {
    const dev = new MemoryDevice({ size: 256 * KiB, chunkSize: 64 * KiB });
    await dev.write(0, Buffer.alloc(256 * KiB, 9));
    await dev.writeZeroes(10, 20);
    const head = await dev.read(0, 40);
    expect([...head.subarray(0, 10)]).toEqual(Array(10).fill(9));
    expect([...head.subarray(10, 30)]).toEqual(Array(20).fill(0));
    await dev.writeZeroes(64 * KiB, 128 * KiB, { noUnmap: true });
    expect(await dev.blockStatus(64 * KiB, 128 * KiB)).toEqual([{ length: 128 * KiB, hole: false, zero: true }]);
    // Copy-on-write: writing into a known-zero chunk does not leak into others.
    await dev.write(64 * KiB, Buffer.from([1, 2, 3]));
    expect([...(await dev.read(128 * KiB, 3))]).toEqual([0, 0, 0]);
    expect([...(await dev.read(64 * KiB, 4))]).toEqual([1, 2, 3, 0]);
  });

  it('treats the short last chunk as whole when trimming to the end', async () => {
    const dev = new MemoryDevice({ size: 100 * KiB, chunkSize: 64 * KiB });
    await dev.write(0, Buffer.alloc(100 * KiB, 1));
    await dev.trim(64 * KiB, 36 * KiB);
    expect(await dev.blockStatus(0, 100 * KiB)).toEqual([
      { length: 64 * KiB, hole: false, zero: false },
      { length: 36 * KiB, hole: true, zero: true },
    ]);
  });

  it('behaves like a flat buffer under random operations', async () => {
    const size = 64 * KiB;
    const range = fc
      .tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size }))
      .map(([a, b]) => [Math.min(a, b), Math.abs(a - b)] as const);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), range, byte: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('trim' as const), range }),
      fc.record({ kind: fc.constant('zero' as const), range, noUnmap: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const dev = new MemoryDevice({ size, chunkSize: 4 * KiB, blockSize: 512 });
        const model = Buffer.alloc(size);
        for (const o of ops) {
          const [offset, length] = o.range;
          if (o.kind === 'write') {
            await dev.write(offset, Buffer.alloc(length, o.byte));
            model.fill(o.byte, offset, offset + length);
          } else if (o.kind === 'trim') {
            await dev.trim(offset, length);
            model.fill(0, offset, offset + length);
          } else {
            await dev.writeZeroes(offset, length, { noUnmap: o.noUnmap });
            model.fill(0, offset, offset + length);
          }
        }
        expect((await dev.read(0, size)).equals(model)).toBe(true);
        // Block status covers the range exactly and never calls non-zero data zero.
        const extents = await dev.blockStatus(0, size);
        expect(extents.reduce((n, e) => n + e.length, 0)).toBe(size);
        let pos = 0;
        for (const e of extents) {
          if (e.zero) expect(model.subarray(pos, pos + e.length).equals(Buffer.alloc(e.length))).toBe(true);
          pos += e.length;
        }
      }),
      { numRuns: 150 },
    );
  });
});
