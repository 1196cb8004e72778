/** A duration in seconds as the two largest units: "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export function formatAge(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3_600), 'h'],
    [Math.floor((s % 3_600) / 60), 'min'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  const [a, b] = [parts[first]!, parts[first + 1]!];
  return b[0] > 0 ? `${a[0]} ${a[1]} ${b[0]} ${b[1]}` : `${a[0]} ${a[1]}`;
}

/** Time left as "m:ss" (or "h:mm:ss"); 0 once past. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** How long ago an ISO time was: "5 min ago"; "just now" under a second (clocks may differ slightly). */
export function formatSince(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const seconds = (nowMs - t) / 1000;
  return seconds < 1 ? 'just now' : `${formatAge(seconds)} ago`;
}
