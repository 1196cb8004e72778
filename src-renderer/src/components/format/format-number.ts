/** 87.456 → "87.5%". */
export function formatPercent(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${trim(value.toFixed(value >= 100 || value === 0 ? 0 : 1))}%`;
}

/** Operations per second, etc.: 1234.5 → "1,235"; 12.34 → "12.3". */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : trim(value.toFixed(1));
}

/** Latency: 0.456 → "0.46 ms"; 12.3 → "12.3 ms". */
export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return `${trim(value.toFixed(value < 1 ? 2 : value < 100 ? 1 : 0))} ms`;
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
