/**
 * IoWaitPercent: the share of CPU time the host spent idle while waiting for local disk I/O,
 * from the `cpu` line of Linux's /proc/stat (jiffies since boot: user nice system idle iowait
 * irq softirq steal guest guest_nice). Over an interval it is Δiowait ÷ Δtotal × 100, where
 * total is user…steal (guest time is already counted in user). 0 where /proc/stat is missing.
 */
import { readFileSync } from 'node:fs';

/** Jiffies of the aggregate `cpu` line. */
export interface CpuTimes {
  iowait: number;
  total: number;
}

/** The aggregate cpu times of a /proc/stat text, or undefined when it has no usable `cpu` line. */
export function parseCpuTimes(procStat: string): CpuTimes | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (f.length < 5 || f.some((n) => !Number.isFinite(n))) return undefined;
  return { iowait: f[4]!, total: f.reduce((a, b) => a + b, 0) };
}

function readProcStat(): string | undefined {
  try {
    return readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
}

/** Meter settings; all optional. */
export interface IoWaitMeterOptions {
  /** Reads /proc/stat (tests pass canned text). */
  read?: () => string | undefined;
  /** Calls closer together than this return the previous value, so frequent readers do not measure noise (default 0). */
  minWindowMs?: number;
  now?: () => number;
}

/** Measures IoWaitPercent between successive calls of `percent()`. */
export class IoWaitMeter {
  private readonly read: () => string | undefined;
  private readonly minWindowMs: number;
  private readonly now: () => number;
  private base: CpuTimes | undefined;
  private baseAt: number;
  private last = 0;

  constructor(options: IoWaitMeterOptions = {}) {
    this.read = options.read ?? readProcStat;
    this.minWindowMs = options.minWindowMs ?? 0;
    this.now = options.now ?? Date.now;
    this.base = this.sample();
    this.baseAt = this.now();
  }

  /** Percent of CPU time spent in iowait since the previous call (or since construction), 0–100. */
  percent(): number {
    if (this.now() - this.baseAt < this.minWindowMs) return this.last;
    const cur = this.sample();
    if (cur === undefined) return (this.last = 0);
    const prev = this.base;
    const dTotal = prev === undefined ? 0 : cur.total - prev.total;
    // No tick elapsed (or counters went back, as iowait can on tickless kernels): keep the last value.
    if (prev === undefined || dTotal <= 0) {
      this.base = cur;
      this.baseAt = this.now();
      return this.last;
    }
    const dIo = Math.max(0, cur.iowait - prev.iowait);
    this.base = cur;
    this.baseAt = this.now();
    this.last = Math.min(100, (100 * dIo) / dTotal);
    return this.last;
  }

  private sample(): CpuTimes | undefined {
    const text = this.read();
    return text === undefined ? undefined : parseCpuTimes(text);
  }
}
