import { describe, expect, it } from 'vitest';
import { IoWaitMeter, parseCpuTimes } from './io-wait-meter.js';

const stat = (user: number, iowait: number, idle = 1000): string =>
  `cpu  ${user} 0 100 ${idle} ${iowait} 5 5 0 7 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\n`;

describe('IoWaitMeter', () => {
  it('parses the aggregate cpu line (user..steal; guest is already in user)', () => {
    expect(parseCpuTimes(stat(200, 50))).toEqual({ iowait: 50, total: 200 + 0 + 100 + 1000 + 50 + 5 + 5 + 0 });
    expect(parseCpuTimes('nothing here')).toBeUndefined();
    expect(parseCpuTimes('cpu  a b c d e')).toBeUndefined();
  });

  it('measures Δiowait ÷ Δtotal × 100 between calls', () => {
    const texts = [stat(200, 50), stat(300, 150), stat(400, 150)];
    let i = 0;
    const m = new IoWaitMeter({ read: () => texts[Math.min(i++, texts.length - 1)] });
    // 100 user + 100 iowait jiffies elapsed.
    expect(m.percent()).toBe(50);
    expect(m.percent()).toBe(0);
  });

  it('is 0 when /proc/stat cannot be read', () => {
    expect(new IoWaitMeter({ read: () => undefined }).percent()).toBe(0);
  });

  it('keeps the last value when no tick elapsed, and within the minimum window', () => {
    let text = stat(200, 50);
    let now = 0;
    const m = new IoWaitMeter({ read: () => text, minWindowMs: 1_000, now: () => now });
    text = stat(250, 100);
    now = 500;
    expect(m.percent()).toBe(0); // too soon: previous value (none yet)
    now = 1_000;
    expect(m.percent()).toBe(50);
    now = 2_000;
    expect(m.percent()).toBe(50); // no tick since: unchanged
  });

  it('reads the real /proc/stat on Linux', () => {
    const m = new IoWaitMeter();
    const p = m.percent();
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(100);
  });
});
