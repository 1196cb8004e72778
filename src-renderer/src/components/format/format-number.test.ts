import { describe, expect, it } from 'vitest';
import { formatCount, formatMs, formatPercent } from './format-number.js';
import { formatClock, formatDateTime } from './format-time.js';

describe('number formatters', () => {
  it('formats percents, counts and latencies', () => {
    expect(formatPercent(87.456)).toBe('87.5%');
    expect(formatPercent(100)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatCount(1234.5)).toBe('1,235');
    expect(formatCount(12.34)).toBe('12.3');
    expect(formatCount(3)).toBe('3');
    expect(formatMs(0.456)).toBe('0.46 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(250.4)).toBe('250 ms');
  });
});

describe('time formatters', () => {
  it('formats local wall-clock times', () => {
    const ts = new Date(2026, 10, 3, 9, 5, 7).getTime();
    expect(formatClock(ts)).toBe('09:05');
    expect(formatClock(ts, true)).toBe('09:05:07');
    expect(formatDateTime(ts)).toBe('2026-11-03 09:05:07');
    expect(formatDateTime('garbage')).toBe('—');
  });
});
