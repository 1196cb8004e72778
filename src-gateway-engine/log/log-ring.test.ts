import { describe, expect, it } from 'vitest';
import type { LogLevel } from './log-level.js';
import { LogRing } from './log-ring.js';

function fill(ring: LogRing, n: number, level: (i: number) => LogLevel = () => 'info'): void {
  for (let i = 0; i < n; i++) ring.push({ ts: 1000 + i, level: level(i), msg: `m${i}`, fields: {} });
}

describe('LogRing', () => {
  it('keeps the newest entries, oldest first', () => {
    const ring = new LogRing(3);
    fill(ring, 5);
    expect(ring.size).toBe(3);
    expect(ring.dropped).toBe(2);
    expect(ring.query().map((e) => e.msg)).toEqual(['m2', 'm3', 'm4']);
    expect(ring.query().map((e) => e.seq)).toEqual([3, 4, 5]);
  });

  it('filters by minimum level', () => {
    const ring = new LogRing(10);
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    fill(ring, 8, (i) => levels[i % 4]!);
    expect(ring.query({ level: 'warn' }).map((e) => e.msg)).toEqual(['m2', 'm3', 'm6', 'm7']);
    expect(ring.query({ level: 'error' }).map((e) => e.level)).toEqual(['error', 'error']);
  });

  it('filters by since (inclusive) and afterSeq', () => {
    const ring = new LogRing(10);
    fill(ring, 6);
    expect(ring.query({ since: 1003 }).map((e) => e.msg)).toEqual(['m3', 'm4', 'm5']);
    expect(ring.query({ afterSeq: 4 }).map((e) => e.msg)).toEqual(['m4', 'm5']);
  });

  it('limit keeps the newest matches', () => {
    const ring = new LogRing(10);
    fill(ring, 6, (i) => (i % 2 === 0 ? 'error' : 'info'));
    expect(ring.query({ limit: 2 }).map((e) => e.msg)).toEqual(['m4', 'm5']);
    expect(ring.query({ level: 'error', limit: 2 }).map((e) => e.msg)).toEqual(['m2', 'm4']);
    expect(ring.query({ limit: 0 })).toEqual([]);
    expect(() => ring.query({ limit: -1 })).toThrow();
  });

  it('clear empties it but seq keeps increasing', () => {
    const ring = new LogRing(4);
    fill(ring, 3);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.query()).toEqual([]);
    fill(ring, 1);
    expect(ring.query()[0]!.seq).toBe(4);
  });

  it('rejects a bad capacity', () => {
    expect(() => new LogRing(0)).toThrow(/positive integer/);
    expect(() => new LogRing(1.5)).toThrow(/positive integer/);
  });
});
