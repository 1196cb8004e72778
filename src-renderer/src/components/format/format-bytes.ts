// Sizes are binary (GiB: what disks and volumes are sized in); rates are decimal (MB/s:
// what links and AWS's sizing rules use).

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;
const DECIMAL_RATE_UNITS = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s'] as const;

function scaled(value: number, base: number, units: readonly string[]): string {
  if (!Number.isFinite(value)) return '—';
  const sign = value < 0 ? '-' : '';
  let v = Math.abs(value);
  let i = 0;
  while (v >= base && i < units.length - 1) {
    v /= base;
    i++;
  }
  if (i === 0) return `${sign}${Math.round(v)} ${units[0]}`;
  // Three significant digits at most: 1.23 GiB, 12.3 GiB, 123 GiB.
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${sign}${trimZeros(v.toFixed(digits))} ${units[i]}`;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** 1536 → "1.5 KiB"; 0 → "0 B". */
export function formatBytes(bytes: number): string {
  return scaled(bytes, 1024, BINARY_UNITS);
}

/** 12_500_000 → "12.5 MB/s". */
export function formatRate(bytesPerSec: number): string {
  return scaled(bytesPerSec, 1000, DECIMAL_RATE_UNITS);
}

/** An upload limit: 0 means no limit. */
export function formatLimit(bytesPerSec: number): string {
  return bytesPerSec === 0 ? 'Unlimited' : formatRate(bytesPerSec);
}
