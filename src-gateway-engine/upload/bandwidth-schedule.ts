/**
 * The weekly upload-bandwidth schedule, as pure functions: validation and "which limit
 * applies at this moment of the week".
 *
 * An entry is a window on some days of the week, [start, end) in wall-clock minutes of the
 * gateway's time zone, with its own limit; "24:00" as the end means the end of the day. A
 * window never crosses midnight (end > start): a night window is two entries. Windows may
 * not overlap, so at most one applies at any minute; outside all of them the default limit
 * applies. A limit of 0 means unlimited.
 */
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { BandwidthScheduleEntry } from '../runtime/engine-commands.js';
import type { WeekTime } from './zoned-clock.js';

/** Most entries a schedule may have (a week of per-hour windows fits easily). */
export const MAX_SCHEDULE_ENTRIES = 200;

const MINUTES_PER_DAY = 24 * 60;
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const CLOCK_RE = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** Minutes since midnight of "HH:MM" (00:00–23:59, and 24:00 when `allowEndOfDay`), or undefined. */
export function parseClockTime(text: unknown, allowEndOfDay: boolean): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = CLOCK_RE.exec(text);
  if (m === null) return undefined;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > MINUTES_PER_DAY || (minutes === MINUTES_PER_DAY && !allowEndOfDay)) return undefined;
  return minutes;
}

/**
 * A checked copy of `input` (days sorted), or INVALID_ARGUMENT naming the first problem:
 * the entry (1-based, as an administrator counts them), the field and what is expected.
 */
export function validateBandwidthSchedule(input: unknown): BandwidthScheduleEntry[] {
  if (!Array.isArray(input)) throw invalid('the bandwidth schedule must be a list of entries');
  if (input.length > MAX_SCHEDULE_ENTRIES) throw invalid(`the bandwidth schedule has ${input.length} entries; at most ${MAX_SCHEDULE_ENTRIES} are allowed`);
  const out: BandwidthScheduleEntry[] = input.map((raw, i) => validateEntry(raw, i + 1));
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 1; j < out.length; j++) {
      const a = out[i]!;
      const b = out[j]!;
      const day = a.days.find((d) => b.days.includes(d));
      if (day === undefined) continue;
      if (minutesOf(a.start) < minutesOf(b.end, true) && minutesOf(b.start) < minutesOf(a.end, true)) {
        throw invalid(`bandwidth schedule entries ${i + 1} (${describeEntry(a)}) and ${j + 1} (${describeEntry(b)}) overlap on ${DAY_NAMES[day]}; windows must not overlap`);
      }
    }
  }
  return out;
}

/** The limit in force at `at`: the window containing it, else `defaultBytesPerSec`. Assumes a validated schedule. */
export function bandwidthLimitAt(schedule: readonly BandwidthScheduleEntry[], defaultBytesPerSec: number, at: WeekTime): number {
  for (const e of schedule) {
    if (!e.days.includes(at.day)) continue;
    if (at.minute >= minutesOf(e.start) && at.minute < minutesOf(e.end, true)) return e.bytesPerSec;
  }
  return defaultBytesPerSec;
}

function validateEntry(raw: unknown, n: number): BandwidthScheduleEntry {
  const where = `bandwidth schedule entry ${n}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid(`${where} must be an object { days, start, end, bytesPerSec }`);
  const e = raw as Record<string, unknown>;
  for (const key of Object.keys(e)) {
    if (key !== 'days' && key !== 'start' && key !== 'end' && key !== 'bytesPerSec') throw invalid(`${where} has an unknown field "${key}" (known: days, start, end, bytesPerSec)`);
  }
  const days = e.days;
  if (!Array.isArray(days) || days.length === 0) throw invalid(`${where}: days must be a non-empty list of weekdays 0-6 (0 = Sunday)`);
  for (const d of days) {
    if (!Number.isInteger(d) || (d as number) < 0 || (d as number) > 6) throw invalid(`${where}: ${JSON.stringify(d)} is not a weekday; days are 0-6 (0 = Sunday)`);
  }
  if (new Set(days).size !== days.length) throw invalid(`${where}: days must not repeat (got ${JSON.stringify(days)})`);
  const start = parseClockTime(e.start, false);
  if (start === undefined) throw invalid(`${where}: start must be "HH:MM" from 00:00 to 23:59 (got ${JSON.stringify(e.start)})`);
  const end = parseClockTime(e.end, true);
  if (end === undefined) throw invalid(`${where}: end must be "HH:MM" from 00:01 to 24:00 (got ${JSON.stringify(e.end)})`);
  if (end <= start) throw invalid(`${where}: end ${e.end as string} must be after start ${e.start as string} (a window cannot cross midnight; split it in two)`);
  const rate = e.bytesPerSec;
  if (typeof rate !== 'number' || !Number.isSafeInteger(rate) || rate < 0) {
    throw invalid(`${where}: bytesPerSec must be a non-negative integer (0 = unlimited; got ${JSON.stringify(rate)})`);
  }
  return { days: [...(days as number[])].sort((a, b) => a - b), start: e.start as string, end: e.end as string, bytesPerSec: rate };
}

function minutesOf(clock: string, allowEndOfDay = false): number {
  return parseClockTime(clock, allowEndOfDay)!;
}

function describeEntry(e: BandwidthScheduleEntry): string {
  return `${e.days.map((d) => DAY_NAMES[d]!.slice(0, 3)).join(',')} ${e.start}-${e.end}`;
}

function invalid(message: string): TidegateError {
  return new TidegateError(ErrorCode.InvalidArgument, message);
}
