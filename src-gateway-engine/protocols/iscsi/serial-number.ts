/** RFC 1982 serial number arithmetic on 32-bit sequence numbers (CmdSN, StatSN, DataSN). */

/** a < b in serial arithmetic. */
export function snLess(a: number, b: number): boolean {
  return a !== b && ((a - b) | 0) < 0;
}

/** a + n, wrapped to 32 bits. */
export function snAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}

/** a within [low, high] in serial arithmetic. */
export function snInWindow(a: number, low: number, high: number): boolean {
  return !snLess(a, low) && !snLess(high, a);
}
