import { describe, expect, it } from 'vitest';
import { IscsiSession } from './iscsi-session.js';
import type { SessionParams } from './session-params.js';

function session(initial: number, depth = 4): IscsiSession {
  return new IscsiSession(1, Buffer.alloc(6), 'iqn.2026-01.test:i', undefined, undefined, {} as SessionParams, initial, depth);
}

describe('IscsiSession command ordering', () => {
  it('delivers in CmdSN order, holding commands that arrive ahead of a gap', () => {
    const s = session(10);
    const seen: number[] = [];
    expect(s.order(11, () => seen.push(11))).toBe('held');
    expect(s.order(12, () => seen.push(12))).toBe('held');
    expect(seen).toEqual([]);
    expect(s.order(10, () => seen.push(10))).toBe('delivered');
    expect(seen).toEqual([10, 11, 12]);
    expect(s.expCmdSN).toBe(13);
  });

  it('drops commands below ExpCmdSN, beyond MaxCmdSN and duplicates', () => {
    const s = session(10, 4);
    expect(s.maxCmdSN).toBe(13);
    expect(s.order(9, () => undefined)).toBe('dropped');
    expect(s.order(14, () => undefined)).toBe('dropped');
    expect(s.order(12, () => undefined)).toBe('held');
    expect(s.order(12, () => undefined)).toBe('dropped');
  });

  it('wraps around 2^32 (serial number arithmetic)', () => {
    const s = session(0xffffffff);
    const seen: number[] = [];
    expect(s.order(0, () => seen.push(0))).toBe('held');
    s.order(0xffffffff, () => seen.push(-1));
    expect(seen).toEqual([-1, 0]);
    expect(s.expCmdSN).toBe(1);
  });

  it('narrows the window as commands stay active', () => {
    const s = session(1, 4);
    s.activeCommands = 3;
    expect(s.maxCmdSN).toBe(1);
    s.activeCommands = 4;
    expect(s.maxCmdSN).toBe(0); // closed: MaxCmdSN = ExpCmdSN - 1
    expect(s.order(1, () => undefined)).toBe('dropped');
  });
});
