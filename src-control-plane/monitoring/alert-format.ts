/** Number formats for alert messages: short, and exact enough not to read "80% (threshold 80%)". */

/** A percent with at most one decimal: 93 → "93%", 80.44 → "80.4%". */
export function formatPercent(value: number): string {
  return `${Math.round(value * 10) / 10}%`;
}

/** A duration in seconds, largest two units: 45 → "45 s", 7500 → "2 h 5 min", 266400 → "3 d 2 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]];
  const parts: string[] = [];
  let rest = s;
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n} ${name}`);
    if (parts.length === 2) break;
  }
  // Drop a trailing zero unit ("2 h 0 min" → "2 h").
  if (parts.length === 2 && parts[1].startsWith('0 ')) parts.pop();
  return parts.length === 0 ? '0 s' : parts.join(' ');
}
