/**
 * The bandwidth schedule as edited: windows with days, "HH:MM" start (inclusive) and end
 * (exclusive, "24:00" = end of day) and a limit. Checked here before saving so the
 * administrator sees every problem at once, overlaps included (the engine checks again).
 */
import type { BandwidthScheduleEntry } from '../../../../src-main/ipc/ipc-contract.js';
import { rateToBytesPerSec, type RateDraft } from '../../components/format/size-units.js';

export const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

export interface ScheduleWindowDraft {
  /** Stable key for React. */
  id: string;
  days: number[];
  start: string;
  end: string;
  rate: RateDraft;
}

export interface ScheduleCheck {
  /** Problems per window id. */
  windowErrors: Record<string, string[]>;
  /** Overlaps between windows, as sentences. */
  overlaps: string[];
  /** The schedule to send, when there is no problem. */
  entries: BandwidthScheduleEntry[] | null;
}

/** "09:30" → 570; "24:00" → 1440 when allowed; null when not a time. */
export function parseTimeOfDay(text: string, allowEndOfDay: boolean): number | null {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  if (!m) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 1440 || (minutes === 1440 && !allowEndOfDay)) return null;
  return minutes;
}

function formatMinutes(m: number): string {
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

export function checkSchedule(windows: readonly ScheduleWindowDraft[]): ScheduleCheck {
  const windowErrors: Record<string, string[]> = {};
  const parsed: Array<{ index: number; days: number[]; start: number; end: number } | null> = [];
  const entries: BandwidthScheduleEntry[] = [];
  windows.forEach((w, index) => {
    const errs: string[] = [];
    const start = parseTimeOfDay(w.start, false);
    const end = parseTimeOfDay(w.end, true);
    const rate = rateToBytesPerSec(w.rate);
    if (w.days.length === 0) errs.push('Pick at least one day.');
    if (start === null) errs.push('Start must be a time from 00:00 to 23:59 (HH:MM).');
    if (end === null) errs.push('End must be a time from 00:01 to 24:00 (HH:MM).');
    if (start !== null && end !== null && end <= start) errs.push('End must be after start (a window cannot cross midnight; split it in two).');
    if (rate === null) errs.push('Enter a limit (0 = unlimited).');
    if (errs.length > 0) {
      windowErrors[w.id] = errs;
      parsed.push(null);
      return;
    }
    const days = [...new Set(w.days)].sort((a, b) => a - b);
    parsed.push({ index, days, start: start!, end: end! });
    entries.push({ days, start: formatMinutes(start!), end: formatMinutes(end!), bytesPerSec: rate! });
  });

  const overlaps: string[] = [];
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i];
      const b = parsed[j];
      if (!a || !b) continue;
      const from = Math.max(a.start, b.start);
      const to = Math.min(a.end, b.end);
      if (from >= to) continue;
      const shared = a.days.filter((d) => b.days.includes(d));
      if (shared.length === 0) continue;
      overlaps.push(`Windows ${a.index + 1} and ${b.index + 1} overlap on ${shared.map((d) => DAY_NAMES[d]).join(', ')} from ${formatMinutes(from)} to ${formatMinutes(to)}.`);
    }
  }
  const ok = Object.keys(windowErrors).length === 0 && overlaps.length === 0;
  return { windowErrors, overlaps, entries: ok ? entries : null };
}

/** The limit scheduled for a weekday hour (for the week grid): the window covering any part of it, else null. */
export function limitForHour(entries: readonly BandwidthScheduleEntry[], day: number, hour: number): number | null {
  const from = hour * 60;
  const to = from + 60;
  for (const e of entries) {
    if (!e.days.includes(day)) continue;
    const s = parseTimeOfDay(e.start, false);
    const en = parseTimeOfDay(e.end, true);
    if (s !== null && en !== null && s < to && from < en) return e.bytesPerSec;
  }
  return null;
}
