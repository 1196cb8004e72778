/**
 * Byte sizes as administrators write them.
 *
 *   "4096", "4096B"             bytes
 *   "512KiB" "10MiB" "1.5TiB"   binary: Ki = 2^10, Mi = 2^20, Gi = 2^30, Ti = 2^40, Pi = 2^50
 *   "512K" "10M" "10G" "2T"     also binary (as dd, qemu-img and most disk tools read them)
 *   "10KB" "10MB" "10GB" "2TB"  decimal: 10^3, 10^6, 10^9, 10^12, 10^15 (as disk vendors sell them)
 *
 * Units are case-insensitive ("10gib" = "10GiB"); a space between number and unit is
 * allowed. A fraction is accepted when the result is a whole number of bytes ("1.5KiB" =
 * 1536; "1.1B" is an error). The result must be <= 2^53 - 1 (about 8 PiB). Zero is a
 * valid size here; callers that need a positive size check that themselves.
 */
import { ErrorCode, TidegateError } from '../errors/index.js';

const KI = 1024n;
const UNITS: ReadonlyMap<string, bigint> = new Map<string, bigint>([
  ['', 1n],
  ['b', 1n],
  ['k', KI],
  ['ki', KI],
  ['kib', KI],
  ['m', KI ** 2n],
  ['mi', KI ** 2n],
  ['mib', KI ** 2n],
  ['g', KI ** 3n],
  ['gi', KI ** 3n],
  ['gib', KI ** 3n],
  ['t', KI ** 4n],
  ['ti', KI ** 4n],
  ['tib', KI ** 4n],
  ['p', KI ** 5n],
  ['pi', KI ** 5n],
  ['pib', KI ** 5n],
  ['kb', 10n ** 3n],
  ['mb', 10n ** 6n],
  ['gb', 10n ** 9n],
  ['tb', 10n ** 12n],
  ['pb', 10n ** 15n],
]);

const SIZE_RE = /^(\d+)(?:\.(\d+))?\s*([A-Za-z]*)$/;
const MAX = BigInt(Number.MAX_SAFE_INTEGER);

function bad(text: string, why: string): TidegateError {
  return new TidegateError(ErrorCode.InvalidArgument, `invalid size ${JSON.stringify(text)}: ${why}`);
}

/** Parses a size string ("10GiB", "512MiB", "1.5TiB", "4096", "10G", "10GB") to bytes. Throws INVALID_ARGUMENT. */
export function parseSize(text: string): number {
  if (typeof text !== 'string') {
    throw new TidegateError(ErrorCode.InvalidArgument, `invalid size ${String(text)}: expected a string such as "10GiB"`);
  }
  const t = text.trim();
  if (t === '') throw bad(text, 'empty; expected a number with an optional unit such as "10GiB"');
  if (t.startsWith('-')) throw bad(text, 'sizes cannot be negative');
  const m = SIZE_RE.exec(t);
  if (m === null) throw bad(text, 'expected a number with an optional unit such as "512MiB", "10GiB" or "10GB"');
  const [, whole, frac = '', unitText = ''] = m;
  const mult = UNITS.get(unitText.toLowerCase());
  if (mult === undefined) {
    throw bad(text, `unknown unit "${unitText}" (use B, KiB, MiB, GiB, TiB, PiB; K, M, G, T, P; or KB, MB, GB, TB, PB)`);
  }
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(whole! + frac) * mult;
  if (scaled % scale !== 0n) throw bad(text, 'not a whole number of bytes');
  const bytes = scaled / scale;
  if (bytes > MAX) throw bad(text, `too large (the limit is ${Number.MAX_SAFE_INTEGER} bytes, about 8 PiB)`);
  return Number(bytes);
}

const FORMAT_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Formats bytes for people with binary units: 4294967296 → "4 GiB", 1536 → "1.5 KiB",
 * 1000 → "1000 B". At most two decimals, so it is exact only when shown without rounding;
 * every output parses back with `parseSize` (to the rounded value).
 */
export function formatSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < FORMAT_UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  // Rounding may carry to 1024 (e.g. 1023.999 KiB); step up a unit then.
  let rounded = Math.round(v * 100) / 100;
  if (rounded >= 1024 && u < FORMAT_UNITS.length - 1) {
    rounded = Math.round((v / 1024) * 100) / 100;
    u++;
  }
  return `${sign}${rounded} ${FORMAT_UNITS[u]}`;
}
