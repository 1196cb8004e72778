import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent } from './alert-format.js';

describe('formatPercent', () => {
  it.each([
    [93, '93%'],
    [80.44, '80.4%'],
    [0, '0%'],
  ])('%d → %s', (v, text) => expect(formatPercent(v)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [45, '45 s'],
    [60, '1 min'],
    [120, '2 min'],
    [3600, '1 h'],
    [3601, '1 h'],
    [7500, '2 h 5 min'],
    [86_400, '1 d'],
    [266_400, '3 d 2 h'],
    [-5, '0 s'],
  ])('%d s → %s', (s, text) => expect(formatDuration(s)).toBe(text));
});
