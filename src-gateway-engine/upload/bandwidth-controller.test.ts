import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { BandwidthController, BANDWIDTH_REEVALUATE_MS } from './bandwidth-controller.js';

const MiB = 1024 * 1024;
// Monday 2026-01-05 07:59:30 UTC.
const MONDAY_0759_30 = Date.parse('2026-01-05T07:59:30Z');
const WORK_HOURS = [{ days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00', bytesPerSec: 1 * MiB }];

beforeEach(() => {
  vi.useFakeTimers({ now: MONDAY_0759_30 });
});
afterEach(() => {
  vi.useRealTimers();
});

function controller(zone: string | null = 'UTC', schedule = WORK_HOURS, bytesPerSec = 10 * MiB): { c: BandwidthController; applied: number[]; setZone: (z: string | null) => void } {
  const applied: number[] = [];
  let tz = zone;
  const c = new BandwidthController({ bytesPerSec, schedule, timeZone: () => tz, apply: (r) => applied.push(r) });
  return { c, applied, setZone: (z) => (tz = z) };
}

describe('BandwidthController', () => {
  it('applies the limit in force at start, then switches within a second of the window start', async () => {
    const { c, applied } = controller();
    c.start();
    expect(applied).toEqual([10 * MiB]);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(applied).toEqual([10 * MiB]);
    await vi.advanceTimersByTimeAsync(1_100); // 08:00:00.1
    expect(applied).toEqual([10 * MiB, 1 * MiB]);
    expect(c.effectiveBytesPerSec).toBe(1 * MiB);
    c.stop();
  });

  it('re-evaluates at least every 30 s (a time-zone change after activation is picked up)', async () => {
    const { c, applied, setZone } = controller(null);
    vi.setSystemTime(Date.parse('2026-01-05T12:00:10Z'));
    c.start();
    const host = c.timeZone;
    expect(host).toBeTruthy();
    setZone('Pacific/Kiritimati'); // +14:00: Tuesday 02:00, outside the window
    await vi.advanceTimersByTimeAsync(BANDWIDTH_REEVALUATE_MS);
    expect(c.timeZone).toBe('Pacific/Kiritimati');
    expect(applied.at(-1)).toBe(10 * MiB);
    c.stop();
  });

  it('an unknown gateway zone falls back to the host zone', () => {
    const { c } = controller('Not/AZone');
    expect(c.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('configure validates before changing anything and applies the new limit at once', () => {
    const { c, applied } = controller();
    c.start();
    expect(() => c.configure({ bytesPerSec: -5 })).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
    expect(() => c.configure({ bytesPerSec: 1, schedule: [{ days: [9], start: '00:00', end: '01:00', bytesPerSec: 0 }] })).toThrow(/not a weekday/);
    expect(c.settings().bytesPerSec).toBe(10 * MiB);
    const s = c.configure({ bytesPerSec: 3 * MiB });
    expect(s).toEqual({ bytesPerSec: 3 * MiB, schedule: WORK_HOURS, timezone: 'UTC', effectiveBytesPerSec: 3 * MiB });
    expect(applied.at(-1)).toBe(3 * MiB);
    const s2 = c.configure({ schedule: [{ days: [1], start: '07:00', end: '09:00', bytesPerSec: 0 }] });
    expect(s2.effectiveBytesPerSec).toBe(0);
    expect(applied.at(-1)).toBe(0);
    c.configure({ schedule: [] });
    expect(applied.at(-1)).toBe(3 * MiB);
    c.stop();
  });

  it('settings() hands out copies', () => {
    const { c } = controller();
    const s = c.settings();
    s.schedule[0]!.days.push(0);
    expect(c.settings().schedule[0]!.days).toEqual([1, 2, 3, 4, 5]);
  });

  it('stop() ends the timer; nothing is applied afterwards', async () => {
    const { c, applied } = controller();
    c.start();
    c.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(applied).toEqual([10 * MiB]);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('BandwidthController.check', () => {
  it('validates and returns the full next settings without applying them', () => {
    const { c, applied } = controller();
    c.start();
    expect(c.check({ bytesPerSec: 5 })).toEqual({ bytesPerSec: 5, schedule: WORK_HOURS });
    expect(c.check({ schedule: [] })).toEqual({ bytesPerSec: 10 * MiB, schedule: [] });
    expect(() => c.check(null as never)).toThrow(/must be an object/);
    expect(applied).toEqual([10 * MiB]);
    c.stop();
  });
});
