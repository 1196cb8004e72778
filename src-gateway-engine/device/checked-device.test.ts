import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { BlockDevice } from './block-device.js';
import { CheckedDevice } from './checked-device.js';
import { MemoryDevice } from './memory-device.js';

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(TidegateError);
    return (err as TidegateError).code;
  }
}

describe('CheckedDevice', () => {
  const dev = () => new CheckedDevice(new MemoryDevice({ size: 1 << 20 }), { maxRequestBytes: 64 * 1024 });

  it('passes in-range requests through', async () => {
    const d = dev();
    await d.write(4096, Buffer.from('hello'));
    expect((await d.read(4096, 5)).toString()).toBe('hello');
    await d.write((1 << 20) - 1, Buffer.from('x'));
  });

  it('rejects ranges outside the device with OUT_OF_RANGE and a clear message', async () => {
    const d = dev();
    await expect(d.read((1 << 20) - 1, 2)).rejects.toThrow(/ends past the device size 1048576/);
    for (const p of [
      d.read(-1, 1),
      d.read(0.5, 1),
      d.read(0, -1),
      d.read(Number.NaN, 1),
      d.write(1 << 20, Buffer.from('x')),
      d.trim(0, (1 << 20) + 1),
      d.writeZeroes(2 ** 60, 1),
      d.blockStatus((1 << 20) + 1, 0),
      d.read(2 ** 53 + 2, 1),
    ]) {
      expect(await code(p)).toBe(ErrorCode.OutOfRange);
    }
  });

  it('allows zero length as a no-op, including at the very end', async () => {
    const d = dev();
    expect((await d.read(1 << 20, 0)).length).toBe(0);
    await d.write(1 << 20, Buffer.alloc(0));
    await d.trim(0, 0);
    expect(await d.blockStatus(5, 0)).toEqual([]);
  });

  it('rejects oversized reads and writes with INVALID_ARGUMENT, but not trims', async () => {
    const d = dev();
    expect(await code(d.read(0, 64 * 1024 + 1))).toBe(ErrorCode.InvalidArgument);
    expect(await code(d.write(0, Buffer.alloc(64 * 1024 + 1)))).toBe(ErrorCode.InvalidArgument);
    await d.trim(0, 1 << 20);
    await d.writeZeroes(0, 1 << 20);
  });

  it('turns a short read from the device into IO_ERROR', async () => {
    const broken: BlockDevice = Object.assign(new MemoryDevice({ size: 4096 }), {
      read: async () => Buffer.alloc(1),
    });
    expect(await code(new CheckedDevice(broken).read(0, 10))).toBe(ErrorCode.IoError);
  });
});
