function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local wall-clock time of a ms timestamp: "14:05" or "14:05:09". */
export function formatClock(ts: number, withSeconds = false): string {
  const d = new Date(ts);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** Day and time for multi-day ranges: "Mon 14:05". */
export function formatDayClock(ts: number): string {
  return `${WEEKDAYS[new Date(ts).getDay()]} ${formatClock(ts)}`;
}

/** Local date and time of a ms timestamp or ISO string: "2026-11-03 14:05:09". */
export function formatDateTime(value: number | string): string {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(d.getTime(), true)}`;
}
