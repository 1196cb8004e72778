import { describe, expect, it } from 'vitest';
import { formatBytes, formatLimit, formatRate } from './format-bytes.js';

describe('formatBytes', () => {
  it('uses binary units with at most three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(10 * 1024 ** 3)).toBe('10 GiB');
    expect(formatBytes(123.456 * 1024 ** 3)).toBe('123 GiB');
    expect(formatBytes(1.234 * 1024 ** 4)).toBe('1.23 TiB');
    expect(formatBytes(1023)).toBe('1023 B');
  });

  it('handles negatives and non-finite values', () => {
    expect(formatBytes(-2048)).toBe('-2 KiB');
    expect(formatBytes(Number.NaN)).toBe('—');
  });
});

describe('formatRate / formatLimit', () => {
  it('uses decimal units per second', () => {
    expect(formatRate(12_500_000)).toBe('12.5 MB/s');
    expect(formatRate(999)).toBe('999 B/s');
    expect(formatRate(1_000)).toBe('1 kB/s');
  });

  it('shows 0 as Unlimited for a limit only', () => {
    expect(formatLimit(0)).toBe('Unlimited');
    expect(formatRate(0)).toBe('0 B/s');
    expect(formatLimit(125_000_000)).toBe('125 MB/s');
  });
});
