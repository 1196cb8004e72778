import { describe, expect, it } from 'vitest';
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { BandwidthScheduleEntry } from '../runtime/engine-commands.js';
import { bandwidthLimitAt, MAX_SCHEDULE_ENTRIES, parseClockTime, validateBandwidthSchedule } from './bandwidth-schedule.js';
import { weekTimeIn } from './zoned-clock.js';

const MiB = 1024 * 1024;

function rejection(input: unknown): string {
  try {
    validateBandwidthSchedule(input);
  } catch (err) {
    expect(err).toBeInstanceOf(TidegateError);
    expect((err as TidegateError).code).toBe(ErrorCode.InvalidArgument);
    return (err as Error).message;
  }
  throw new Error('expected the schedule to be refused');
}

const entry = (over: Partial<BandwidthScheduleEntry> = {}): BandwidthScheduleEntry => ({ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 1 * MiB, ...over });

describe('parseClockTime', () => {
  it('reads HH:MM; 24:00 only as an end', () => {
    expect(parseClockTime('00:00', false)).toBe(0);
    expect(parseClockTime('23:59', false)).toBe(1439);
    expect(parseClockTime('24:00', true)).toBe(1440);
    expect(parseClockTime('24:00', false)).toBeUndefined();
    expect(parseClockTime('24:01', true)).toBeUndefined();
    expect(parseClockTime('25:00', true)).toBeUndefined();
    expect(parseClockTime('8:00', false)).toBeUndefined();
    expect(parseClockTime('08:60', false)).toBeUndefined();
    expect(parseClockTime('08:00:00', false)).toBeUndefined();
    expect(parseClockTime(800, false)).toBeUndefined();
  });
});

describe('validateBandwidthSchedule', () => {
  it('accepts an empty schedule and returns a copy with days sorted', () => {
    expect(validateBandwidthSchedule([])).toEqual([]);
    const input = [entry({ days: [5, 1, 3] })];
    const out = validateBandwidthSchedule(input);
    expect(out).toEqual([entry({ days: [1, 3, 5] })]);
    expect(out[0]).not.toBe(input[0]);
  });

  it('accepts windows that touch (end is exclusive) and windows on different days', () => {
    expect(() =>
      validateBandwidthSchedule([
        entry({ start: '00:00', end: '08:00', bytesPerSec: 0 }),
        entry({ start: '08:00', end: '18:00' }),
        entry({ start: '18:00', end: '24:00', bytesPerSec: 0 }),
        entry({ days: [0, 6], start: '00:00', end: '24:00', bytesPerSec: 0 }),
      ]),
    ).not.toThrow();
  });

  it('refuses malformed entries with a sentence naming the entry and the field', () => {
    expect(rejection('nope')).toMatch(/must be a list/);
    expect(rejection([null])).toMatch(/entry 1 must be an object/);
    expect(rejection([entry({ days: [] })])).toMatch(/entry 1: days must be a non-empty list/);
    expect(rejection([entry(), entry({ days: [7] })])).toMatch(/entry 2: 7 is not a weekday/);
    expect(rejection([entry({ days: [1.5] })])).toMatch(/1.5 is not a weekday/);
    expect(rejection([entry({ days: [1, 1] })])).toMatch(/days must not repeat/);
    expect(rejection([entry({ start: '8:00' })])).toMatch(/start must be "HH:MM"/);
    expect(rejection([entry({ start: '24:00' })])).toMatch(/start must be "HH:MM" from 00:00 to 23:59/);
    expect(rejection([entry({ end: '24:30' })])).toMatch(/end must be "HH:MM"/);
    expect(rejection([entry({ start: '18:00', end: '08:00' })])).toMatch(/end 08:00 must be after start 18:00.*cannot cross midnight/);
    expect(rejection([entry({ start: '08:00', end: '08:00' })])).toMatch(/must be after start/);
    expect(rejection([entry({ bytesPerSec: -1 })])).toMatch(/bytesPerSec must be a non-negative integer/);
    expect(rejection([entry({ bytesPerSec: 1.5 })])).toMatch(/bytesPerSec/);
    expect(rejection([{ ...entry(), extra: 1 }])).toMatch(/unknown field "extra"/);
    expect(rejection(Array.from({ length: MAX_SCHEDULE_ENTRIES + 1 }, (_, i) => entry({ days: [i % 7] })))).toMatch(/at most 200/);
  });

  it('refuses overlapping windows, naming both entries and the day', () => {
    const msg = rejection([entry({ days: [0] }), entry({ days: [1, 2], start: '08:00', end: '18:00' }), entry({ days: [2], start: '17:00', end: '20:00' })]);
    expect(msg).toBe('bandwidth schedule entries 2 (Mon,Tue 08:00-18:00) and 3 (Tue 17:00-20:00) overlap on Tuesday; windows must not overlap');
    expect(rejection([entry({ start: '00:00', end: '24:00' }), entry({ days: [3], start: '23:59', end: '24:00' })])).toMatch(/entries 1 .* and 2 .* overlap on Wednesday/);
  });
});

describe('bandwidthLimitAt', () => {
  const schedule = validateBandwidthSchedule([
    { days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 1 * MiB },
    { days: [1, 2, 3, 4, 5], start: '22:00', end: '24:00', bytesPerSec: 0 },
    { days: [6], start: '00:00', end: '24:00', bytesPerSec: 50 * MiB },
  ]);
  const DEFAULT = 10 * MiB;

  it('applies the window containing the minute, the default elsewhere; start inclusive, end exclusive', () => {
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 1, minute: 8 * 60 - 1 })).toBe(DEFAULT);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 1, minute: 8 * 60 })).toBe(1 * MiB);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 1, minute: 18 * 60 - 1 })).toBe(1 * MiB);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 1, minute: 18 * 60 })).toBe(DEFAULT);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 0, minute: 12 * 60 })).toBe(DEFAULT);
  });

  it('a window ending at 24:00 runs to the last minute of the day and not into the next', () => {
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 5, minute: 1439 })).toBe(0);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 6, minute: 0 })).toBe(50 * MiB);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 6, minute: 1439 })).toBe(50 * MiB);
    expect(bandwidthLimitAt(schedule, DEFAULT, { day: 0, minute: 0 })).toBe(DEFAULT);
  });

  it('an empty schedule always gives the default', () => {
    for (let day = 0; day < 7; day++) expect(bandwidthLimitAt([], 7, { day, minute: 600 })).toBe(7);
  });

  it('reads the week in the gateway time zone', () => {
    // Friday 2026-01-09 21:30 UTC: Friday 22:30 in Paris (unlimited window), Friday 16:30 in New York (1 MiB window),
    // Saturday 06:30 in Tokyo (the Saturday window).
    const t = Date.parse('2026-01-09T21:30:00Z');
    expect(bandwidthLimitAt(schedule, DEFAULT, weekTimeIn(t, 'Europe/Paris'))).toBe(0);
    expect(bandwidthLimitAt(schedule, DEFAULT, weekTimeIn(t, 'America/New_York'))).toBe(1 * MiB);
    expect(bandwidthLimitAt(schedule, DEFAULT, weekTimeIn(t, 'Asia/Tokyo'))).toBe(50 * MiB);
  });
});
