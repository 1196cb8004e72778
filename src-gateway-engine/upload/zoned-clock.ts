/**
 * The day of the week and the minute of the day at an instant, as a wall clock in an IANA
 * time zone shows them. Read through Intl (Node's ICU), so daylight-saving changes are
 * whatever Intl says: a skipped hour never shows, a repeated hour shows twice.
 */

/** A moment of the week as a wall clock shows it. */
export interface WeekTime {
  /** 0 = Sunday … 6 = Saturday. */
  day: number;
  /** Minutes since local midnight, 0–1439. */
  minute: number;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

// Building a DateTimeFormat costs far more than formatting with one: keep one per zone.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(zone, f);
  }
  return f;
}

/** True when Intl knows `zone` (e.g. "Europe/Paris", "UTC"). */
export function isValidTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** The host's time zone as Intl sees it (TZ, else the system's), "UTC" when it cannot tell. */
export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The weekday and minute of the day at `ms` (ms since the epoch) in `zone`. Throws RangeError for an unknown zone. */
export function weekTimeIn(ms: number, zone: string): WeekTime {
  let day = -1;
  let hour = 0;
  let minute = 0;
  for (const part of formatterFor(zone).formatToParts(ms)) {
    if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? -1;
    else if (part.type === 'hour') hour = Number(part.value) % 24; // some ICU versions say "24" at midnight
    else if (part.type === 'minute') minute = Number(part.value);
  }
  if (day < 0) throw new RangeError(`cannot read the weekday in time zone ${zone}`);
  return { day, minute: hour * 60 + minute };
}
