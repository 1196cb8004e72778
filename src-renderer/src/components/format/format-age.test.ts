import { describe, expect, it } from 'vitest';
import { formatAge, formatCountdown, formatSince } from './format-age.js';

describe('formatAge', () => {
  it('shows the two largest units', () => {
    expect(formatAge(0)).toBe('0 s');
    expect(formatAge(45.9)).toBe('45 s');
    expect(formatAge(200)).toBe('3 min 20 s');
    expect(formatAge(3600)).toBe('1 h');
    expect(formatAge(2 * 3600 + 5 * 60 + 7)).toBe('2 h 5 min');
    expect(formatAge(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
    expect(formatAge(86400 + 59)).toBe('1 d');
  });

  it('rejects nonsense', () => {
    expect(formatAge(-1)).toBe('—');
    expect(formatAge(Number.POSITIVE_INFINITY)).toBe('—');
  });
});

describe('formatCountdown', () => {
  it('rounds up to whole seconds and stops at zero', () => {
    expect(formatCountdown(61_001)).toBe('1:02');
    expect(formatCountdown(9_000)).toBe('0:09');
    expect(formatCountdown(-5)).toBe('0:00');
    expect(formatCountdown(3_600_000 + 65_000)).toBe('1:01:05');
  });
});

describe('formatSince', () => {
  it('is relative to the given now', () => {
    const now = Date.parse('2026-11-03T12:00:00Z');
    expect(formatSince('2026-11-03T11:55:00Z', now)).toBe('5 min ago');
    expect(formatSince('2026-11-03T12:00:00Z', now)).toBe('just now');
    expect(formatSince('not a date', now)).toBe('—');
  });
});
