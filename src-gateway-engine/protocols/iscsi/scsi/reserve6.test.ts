import { describe, expect, it } from 'vitest';
import { LegacyReservation } from './reserve6.js';
import type { ItNexus } from './scsi-contract.js';

const n = (id: string): ItNexus => ({ id, initiatorName: `iqn.x:${id}`, isid: '000000000001', relativeTargetPortId: 1, targetPortalGroupTag: 1 });

describe('RESERVE(6) reservation', () => {
  it('is held by one nexus; release by another is a no-op', () => {
    const r = new LegacyReservation();
    expect(r.reserve(n('a'))).toBe(true);
    expect(r.reserve(n('a'))).toBe(true);
    expect(r.reserve(n('b'))).toBe(false);
    r.release(n('b'));
    expect(r.heldBy(n('a'))).toBe(true);
    expect(r.heldByOther(n('b'))).toBe(true);
    r.release(n('a'));
    expect(r.holder).toBeNull();
    r.reserve(n('b'));
    r.clear();
    expect(r.holder).toBeNull();
  });
});
