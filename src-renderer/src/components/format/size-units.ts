/** Units a size can be typed in (binary: volumes and disks are sized in GiB). */
export const SIZE_UNITS = { MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 } as const;
export type SizeUnit = keyof typeof SIZE_UNITS;

/** A size as typed: the number as text (so half-typed input survives) and its unit. */
export interface SizeDraft {
  amount: string;
  unit: SizeUnit;
}

/** The byte count of a typed size, or null when the text is not a positive number. Rounded to whole bytes. */
export function sizeToBytes(draft: SizeDraft): number | null {
  const text = draft.amount.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const bytes = Math.round(Number(text) * SIZE_UNITS[draft.unit]);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

/** A byte count as a draft in the largest unit that shows it exactly to two decimals. */
export function bytesToSizeDraft(bytes: number): SizeDraft {
  for (const unit of ['TiB', 'GiB', 'MiB'] as const) {
    const amount = bytes / SIZE_UNITS[unit];
    if (amount >= 1 && Math.abs(Math.round(amount * 100) - amount * 100) < 1e-6) return { amount: String(Math.round(amount * 100) / 100), unit };
  }
  return { amount: String(Math.round((bytes / SIZE_UNITS.GiB) * 100) / 100), unit: 'GiB' };
}

/** Units a rate can be typed in (decimal, as links are sold). */
export const RATE_UNITS = { 'Mbit/s': 125_000, 'MB/s': 1_000_000, 'kB/s': 1_000 } as const;
export type RateUnit = keyof typeof RATE_UNITS;

export interface RateDraft {
  amount: string;
  unit: RateUnit;
}

/** Bytes per second of a typed rate; null unless a number ≥ 0. 0 means unlimited. */
export function rateToBytesPerSec(draft: RateDraft): number | null {
  const text = draft.amount.trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return null;
  const v = Math.round(Number(text) * RATE_UNITS[draft.unit]);
  return Number.isSafeInteger(v) ? v : null;
}

/** A rate as a draft in Mbit/s (the unit link speeds are quoted in). */
export function bytesPerSecToRateDraft(bytesPerSec: number): RateDraft {
  return { amount: String(Math.round((bytesPerSec / RATE_UNITS['Mbit/s']) * 1000) / 1000), unit: 'Mbit/s' };
}
