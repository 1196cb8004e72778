import { describe, expect, it } from 'vitest';
import { bytesPerSecToRateDraft, bytesToSizeDraft, rateToBytesPerSec, sizeToBytes } from './size-units.js';

describe('sizeToBytes', () => {
  it('converts typed sizes', () => {
    expect(sizeToBytes({ amount: '100', unit: 'GiB' })).toBe(100 * 1024 ** 3);
    expect(sizeToBytes({ amount: '1.5', unit: 'TiB' })).toBe(1.5 * 1024 ** 4);
    expect(sizeToBytes({ amount: ' 64 ', unit: 'MiB' })).toBe(64 * 1024 ** 2);
  });

  it('refuses empty, zero, negative and non-numbers', () => {
    for (const amount of ['', '0', '-1', 'abc', '1e3', '1.']) expect(sizeToBytes({ amount, unit: 'GiB' })).toBeNull();
  });
});

describe('bytesToSizeDraft', () => {
  it('picks the largest exact unit', () => {
    expect(bytesToSizeDraft(2 * 1024 ** 4)).toEqual({ amount: '2', unit: 'TiB' });
    expect(bytesToSizeDraft(1536 * 1024 ** 3)).toEqual({ amount: '1.5', unit: 'TiB' });
    expect(bytesToSizeDraft(100 * 1024 ** 3)).toEqual({ amount: '100', unit: 'GiB' });
    expect(bytesToSizeDraft(100 * 1024 ** 2)).toEqual({ amount: '100', unit: 'MiB' });
  });

  it('round-trips through sizeToBytes', () => {
    for (const bytes of [1024 ** 3, 150 * 1024 ** 3, 3 * 1024 ** 4, 512 * 1024 ** 2]) expect(sizeToBytes(bytesToSizeDraft(bytes))).toBe(bytes);
  });
});

describe('rates', () => {
  it('converts Mbit/s, MB/s and kB/s to bytes per second', () => {
    expect(rateToBytesPerSec({ amount: '100', unit: 'Mbit/s' })).toBe(12_500_000);
    expect(rateToBytesPerSec({ amount: '2.5', unit: 'MB/s' })).toBe(2_500_000);
    expect(rateToBytesPerSec({ amount: '0', unit: 'kB/s' })).toBe(0);
    expect(rateToBytesPerSec({ amount: 'fast', unit: 'kB/s' })).toBeNull();
  });

  it('shows a rate in Mbit/s', () => {
    expect(bytesPerSecToRateDraft(12_500_000)).toEqual({ amount: '100', unit: 'Mbit/s' });
  });
});
