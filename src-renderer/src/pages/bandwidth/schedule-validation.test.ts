import { describe, expect, it } from 'vitest';
import { checkSchedule, limitForHour, parseTimeOfDay, type ScheduleWindowDraft } from './schedule-validation.js';

const w = (id: string, days: number[], start: string, end: string, amount = '10'): ScheduleWindowDraft => ({ id, days, start, end, rate: { amount, unit: 'Mbit/s' } });

describe('parseTimeOfDay', () => {
  it('reads HH:MM and allows 24:00 only as an end', () => {
    expect(parseTimeOfDay('09:30', false)).toBe(570);
    expect(parseTimeOfDay('00:00', false)).toBe(0);
    expect(parseTimeOfDay('24:00', true)).toBe(1440);
    expect(parseTimeOfDay('24:00', false)).toBeNull();
    for (const bad of ['9:30', '24:01', '25:00', '12:60', 'noon', '']) expect(parseTimeOfDay(bad, true)).toBeNull();
  });
});

describe('checkSchedule', () => {
  it('turns valid windows into entries', () => {
    const c = checkSchedule([w('a', [5, 1, 1], '08:00', '18:00', '100'), w('b', [0, 6], '00:00', '24:00', '0')]);
    expect(c.overlaps).toEqual([]);
    expect(c.entries).toEqual([
      { days: [1, 5], start: '08:00', end: '18:00', bytesPerSec: 12_500_000 },
      { days: [0, 6], start: '00:00', end: '24:00', bytesPerSec: 0 },
    ]);
  });

  it('finds overlaps on shared days and says where', () => {
    const c = checkSchedule([w('a', [1, 2, 3], '08:00', '12:00'), w('b', [3, 4], '11:00', '14:00')]);
    expect(c.entries).toBeNull();
    expect(c.overlaps).toEqual(['Windows 1 and 2 overlap on Wednesday from 11:00 to 12:00.']);
  });

  it('treats end as exclusive: back-to-back windows do not overlap', () => {
    expect(checkSchedule([w('a', [1], '08:00', '12:00'), w('b', [1], '12:00', '18:00')]).overlaps).toEqual([]);
  });

  it('ignores the same hours on different days', () => {
    expect(checkSchedule([w('a', [1], '08:00', '12:00'), w('b', [2], '08:00', '12:00')]).entries).toHaveLength(2);
  });

  it('reports every problem of a window', () => {
    const c = checkSchedule([w('a', [], '18:00', '08:00', 'fast')]);
    expect(c.windowErrors['a']).toEqual(['Pick at least one day.', 'End must be after start (a window cannot cross midnight; split it in two).', 'Enter a limit (0 = unlimited).']);
    expect(c.entries).toBeNull();
  });

  it('finds the limit of an hour for the week grid', () => {
    const entries = checkSchedule([w('a', [1], '08:30', '10:00', '8')]).entries!;
    expect(limitForHour(entries, 1, 8)).toBe(1_000_000);
    expect(limitForHour(entries, 1, 9)).toBe(1_000_000);
    expect(limitForHour(entries, 1, 10)).toBeNull();
    expect(limitForHour(entries, 2, 9)).toBeNull();
  });
});
