import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { planStorageChange, type StorageNow } from './storage-change.js';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function now(over: { volumes?: StorageNow['writeLog']['volumes']; free?: number; separate?: boolean; cacheUsed?: number } = {}): StorageNow {
  return {
    cache: { capacityBytes: 2 * GiB, usedBytes: over.cacheUsed ?? 1 * GiB, blockSize: 4096, maxBytes: 2 ** 32 * 4096 },
    writeLog: { perVolumeBytes: 1 * GiB, segmentBytes: 64 * MiB, volumes: over.volumes ?? [{ name: 'a', usedBytes: 100 * MiB }, { name: 'b', usedBytes: 300 * MiB }] },
    cacheFs: { device: 1, freeBytes: over.free ?? 100 * GiB },
    writeLogFs: { device: over.separate ? 2 : 1, freeBytes: over.free ?? 100 * GiB },
  };
}

function refusal(params: unknown, n: StorageNow = now()): string {
  try {
    planStorageChange(params, n);
  } catch (err) {
    expect(err).toBeInstanceOf(TidegateError);
    expect((err as TidegateError).code).toBe(ErrorCode.InvalidArgument);
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('planStorageChange', () => {
  it('an empty request changes nothing', () => {
    expect(planStorageChange({}, now())).toEqual({});
  });

  it('splits the upload buffer evenly between the volumes (one share when there are none)', () => {
    expect(planStorageChange({ uploadBufferBytes: 4 * GiB }, now())).toEqual({ writeLogBytesPerVolume: 2 * GiB });
    expect(planStorageChange({ uploadBufferBytes: 4 * GiB + 1 }, now())).toEqual({ writeLogBytesPerVolume: 2 * GiB });
    expect(planStorageChange({ uploadBufferBytes: 1 * GiB }, now({ volumes: [] }))).toEqual({ writeLogBytesPerVolume: 1 * GiB });
  });

  it('a cache may shrink below what it holds; it must hold one block', () => {
    expect(planStorageChange({ cacheBytes: 100 * MiB }, now())).toEqual({ cacheBytes: 100 * MiB });
    expect(refusal({ cacheBytes: 4095 })).toMatch(/at least one cache block/);
    expect(refusal({ cacheBytes: 2 ** 50 })).toMatch(/at most 16 TiB/);
  });

  it('refuses non-integers, non-positive values and unknown keys', () => {
    expect(refusal({ cacheBytes: 0 })).toBe('cacheBytes must be a positive integer number of bytes (got 0)');
    expect(refusal({ cacheBytes: '1GiB' })).toMatch(/cacheBytes must be a positive integer/);
    expect(refusal({ uploadBufferBytes: 1.5 * GiB + 0.5 })).toMatch(/uploadBufferBytes must be a positive integer/);
    expect(refusal({ uploadBufferBytes: Number.MAX_SAFE_INTEGER + 2 })).toMatch(/positive integer/);
    expect(refusal({ cache: 1 })).toMatch(/unknown storage setting "cache"/);
    expect(refusal(null)).toMatch(/must be an object/);
  });

  it('keeps each share at two log segments and 8 MiB at least', () => {
    expect(refusal({ uploadBufferBytes: 200 * MiB })).toBe(
      "each of the 2 volumes' share of the upload buffer must be at least 128 MiB (two 64 MiB log segments, and no less than 8 MiB): give uploadBufferBytes at least 256 MiB; got 200 MiB",
    );
    const small = now({ volumes: [] });
    small.writeLog.segmentBytes = 1 * MiB;
    expect(refusal({ uploadBufferBytes: 4 * MiB }, small)).toMatch(/^the upload buffer must be at least 8 MiB/);
  });

  it('never shrinks a share below what a volume holds (un-uploaded data is never dropped)', () => {
    expect(refusal({ uploadBufferBytes: 500 * MiB })).toBe(
      "volume b holds 300 MiB not yet uploaded; each of the 2 volumes' share of the upload buffer cannot go below that (un-uploaded data is never dropped): give uploadBufferBytes at least 600 MiB, or wait for uploads",
    );
    expect(planStorageChange({ uploadBufferBytes: 600 * MiB }, now())).toEqual({ writeLogBytesPerVolume: 300 * MiB });
  });

  it('refuses growth the filesystem cannot give, counting a shared filesystem once; shrinking is always allowed', () => {
    // Shared, 3 GiB free: the cache may take 1 GiB more now, the logs 2 × 1 GiB − 400 MiB.
    const tight = now({ free: 3 * GiB });
    expect(planStorageChange({ cacheBytes: 2.25 * GiB }, tight)).toEqual({ cacheBytes: 2.25 * GiB });
    expect(refusal({ cacheBytes: 3 * GiB }, tight)).toBe('the cache and the upload buffer would need 3.61 GiB more disk space, but their filesystem has 3 GiB free');
    const none = now({ free: 0 });
    expect(planStorageChange({ cacheBytes: 1 * GiB, uploadBufferBytes: 1 * GiB }, none)).toEqual({ cacheBytes: 1 * GiB, writeLogBytesPerVolume: 512 * MiB });
    // Separate filesystems: each against its own free space.
    const apart = now({ free: 2 * GiB, separate: true });
    expect(planStorageChange({ cacheBytes: 3 * GiB }, apart)).toEqual({ cacheBytes: 3 * GiB });
    expect(refusal({ uploadBufferBytes: 6 * GiB }, apart)).toMatch(/^the upload buffer would need 5.61 GiB more disk space, but its filesystem has 2 GiB free$/);
    // Kept log files (uploaded segments' files held for reuse) already hold their part of the share.
    const kept = now({ free: 2 * GiB, separate: true, volumes: [{ name: 'a', usedBytes: 100 * MiB, keptBytes: 2 * GiB }, { name: 'b', usedBytes: 300 * MiB, keptBytes: 2 * GiB }] });
    expect(planStorageChange({ uploadBufferBytes: 6 * GiB }, kept)).toEqual({ writeLogBytesPerVolume: 3 * GiB });
  });
});
