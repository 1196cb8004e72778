import { describe, expect, it } from 'vitest';
import { hostTimeZone, isValidTimeZone, weekTimeIn } from './zoned-clock.js';

const at = (iso: string): number => Date.parse(iso);

describe('weekTimeIn', () => {
  it('reads weekday and minute in UTC', () => {
    // 2026-01-04 was a Sunday.
    expect(weekTimeIn(at('2026-01-04T00:00:00Z'), 'UTC')).toEqual({ day: 0, minute: 0 });
    expect(weekTimeIn(at('2026-01-04T23:59:59Z'), 'UTC')).toEqual({ day: 0, minute: 1439 });
    expect(weekTimeIn(at('2026-01-10T12:30:00Z'), 'UTC')).toEqual({ day: 6, minute: 750 });
  });

  it('shifts the day across midnight with the zone offset', () => {
    // Sunday 18:45 UTC is Monday 00:15 in Kolkata (+05:30) and Sunday 13:45 in New York (-05:00).
    expect(weekTimeIn(at('2026-01-04T18:45:00Z'), 'Asia/Kolkata')).toEqual({ day: 1, minute: 15 });
    expect(weekTimeIn(at('2026-01-04T18:45:00Z'), 'America/New_York')).toEqual({ day: 0, minute: 13 * 60 + 45 });
    // Saturday 23:30 UTC is Sunday 12:30 in Auckland (+13:00 in January).
    expect(weekTimeIn(at('2026-01-10T23:30:00Z'), 'Pacific/Auckland')).toEqual({ day: 0, minute: 12 * 60 + 30 });
  });

  it('follows daylight saving time as Intl knows it', () => {
    // Paris: +01:00 in winter, +02:00 from 2026-03-29 01:00 UTC.
    expect(weekTimeIn(at('2026-03-29T00:59:00Z'), 'Europe/Paris').minute).toBe(1 * 60 + 59);
    expect(weekTimeIn(at('2026-03-29T01:00:00Z'), 'Europe/Paris').minute).toBe(3 * 60);
  });

  it('midnight is minute 0, never 24:00', () => {
    expect(weekTimeIn(at('2026-01-05T23:00:00Z'), 'Europe/Paris')).toEqual({ day: 2, minute: 0 });
  });

  it('refuses an unknown zone', () => {
    expect(() => weekTimeIn(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('isValidTimeZone / hostTimeZone', () => {
  it('knows IANA zones and refuses the rest', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
    expect(isValidTimeZone(null)).toBe(false);
  });

  it('the host zone is a valid zone', () => {
    expect(isValidTimeZone(hostTimeZone())).toBe(true);
  });
});
