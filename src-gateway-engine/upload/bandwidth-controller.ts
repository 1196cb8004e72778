/**
 * The gateway's upload limit over time: a default limit plus a weekly schedule
 * (bandwidth-schedule.ts), read in the gateway's time zone. It works out the limit in force
 * and hands it to `apply` (which sets every volume's BandwidthLimiter) whenever it changes:
 * on every configure, and on a timer that fires at least every 30 s and just after each
 * minute boundary, so a window starts within a second of its minute. The timer is unref'd:
 * it never keeps the process alive.
 */
import type { BandwidthScheduleEntry, BandwidthSettings } from '../runtime/engine-commands.js';
import { bandwidthLimitAt, validateBandwidthSchedule } from './bandwidth-schedule.js';
import { hostTimeZone, isValidTimeZone, weekTimeIn } from './zoned-clock.js';
import { ErrorCode, TidegateError } from '../errors/index.js';

/** Longest time between two evaluations of the schedule. */
export const BANDWIDTH_REEVALUATE_MS = 30_000;

export interface BandwidthControllerOptions {
  /** Limit outside every window, bytes per second (0 = unlimited). */
  bytesPerSec: number;
  schedule: readonly BandwidthScheduleEntry[];
  /** The gateway's time zone (ControlStatus.timezone), or null before activation: the host's is used. */
  timeZone: () => string | null;
  /** Called with the new limit whenever the limit in force changes (and once at start). */
  apply: (bytesPerSec: number) => void;
  now?: () => number;
}

/** A change of the default limit and/or the schedule; an omitted part stays as it is. */
export interface BandwidthChange {
  bytesPerSec?: number;
  schedule?: readonly BandwidthScheduleEntry[];
}

/** Owns the default upload limit and the weekly schedule; keeps the limit in force applied. */
export class BandwidthController {
  private bytesPerSec: number;
  private schedule: BandwidthScheduleEntry[];
  private effective: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly timeZoneOf: () => string | null;
  private readonly apply: (bytesPerSec: number) => void;
  private readonly now: () => number;

  constructor(options: BandwidthControllerOptions) {
    this.bytesPerSec = checkRate(options.bytesPerSec);
    this.schedule = validateBandwidthSchedule(options.schedule);
    this.timeZoneOf = options.timeZone;
    this.apply = options.apply;
    this.now = options.now ?? Date.now;
    this.effective = this.limitNow();
  }

  /** The limit in force now, bytes per second (0 = unlimited). */
  get effectiveBytesPerSec(): number {
    return this.effective;
  }

  /** The zone the schedule is read in: the gateway's when it names a zone Intl knows, else the host's. */
  get timeZone(): string {
    const zone = this.timeZoneOf();
    return isValidTimeZone(zone) ? zone : hostTimeZone();
  }

  /** Apply the limit in force and keep it up to date until `stop()`. */
  start(): void {
    this.running = true;
    this.effective = this.limitNow(); // the gateway's zone may be known only now
    this.apply(this.effective);
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** What `bandwidth.get` shows. */
  settings(): BandwidthSettings {
    return { bytesPerSec: this.bytesPerSec, schedule: this.schedule.map((e) => ({ ...e, days: [...e.days] })), timezone: this.timeZone, effectiveBytesPerSec: this.effective };
  }

  /**
   * Change the default limit and/or replace the schedule (validated first: nothing changes
   * when anything is refused); the limit in force is re-evaluated at once.
   */
  configure(change: BandwidthChange): BandwidthSettings {
    const next = this.check(change);
    this.bytesPerSec = next.bytesPerSec;
    this.schedule = next.schedule;
    this.evaluate();
    return this.settings();
  }

  /** The full settings `change` would lead to, validated (INVALID_ARGUMENT), without applying them. */
  check(change: BandwidthChange): { bytesPerSec: number; schedule: BandwidthScheduleEntry[] } {
    if (typeof change !== 'object' || change === null) throw new TidegateError(ErrorCode.InvalidArgument, 'bandwidth settings must be an object { bytesPerSec?, schedule? }');
    return {
      bytesPerSec: change.bytesPerSec === undefined ? this.bytesPerSec : checkRate(change.bytesPerSec),
      schedule: change.schedule === undefined ? this.schedule : validateBandwidthSchedule(change.schedule),
    };
  }

  /** Work out the limit in force now and apply it if it changed; returns it. */
  evaluate(): number {
    const next = this.limitNow();
    if (next !== this.effective) {
      this.effective = next;
      if (this.running) this.apply(next);
    }
    return next;
  }

  private limitNow(): number {
    if (this.schedule.length === 0) return this.bytesPerSec;
    return bandwidthLimitAt(this.schedule, this.bytesPerSec, weekTimeIn(this.now(), this.timeZone));
  }

  private arm(): void {
    if (!this.running) return;
    // Windows start on minute boundaries (every zone offset is whole minutes): wake just after the next one.
    const toNextMinute = 60_000 - (this.now() % 60_000) + 50;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.evaluate();
      this.arm();
    }, Math.min(BANDWIDTH_REEVALUATE_MS, toNextMinute));
    this.timer.unref();
  }
}

function checkRate(bytesPerSec: unknown): number {
  if (typeof bytesPerSec !== 'number' || !Number.isSafeInteger(bytesPerSec) || bytesPerSec < 0) {
    throw new TidegateError(ErrorCode.InvalidArgument, `bandwidth must be a non-negative integer number of bytes per second (0 = unlimited; got ${JSON.stringify(bytesPerSec)})`);
  }
  return bytesPerSec;
}
