import { describe, expect, it } from 'vitest';
import { highWater } from './hysteresis.js';

describe('highWater', () => {
  it.each([
    [81, 'open'],
    [80, 'hold'],
    [70.01, 'hold'],
    [70, 'close'],
    [0, 'close'],
    [Number.NaN, 'hold'],
    [Infinity, 'hold'],
  ])('%d against 80/70 → %s', (value, side) => {
    expect(highWater(value, 80, 70)).toBe(side);
  });
});
