import { describe, expect, it } from 'vitest';
import { decodePrState, encodePrState, type PrState } from './pr-state-file.js';
import { PrType } from './reservation-types.js';

describe('persistent reservation state file', () => {
  it('round-trips registrations and the holder', () => {
    const a = { initiatorName: 'iqn.a:1', isid: '400001370000', relativeTargetPortId: 1, targetPortalGroupTag: 1, allTgPt: false, key: 0xffffffffffffffffn };
    const b = { initiatorName: 'iqn.a:2', isid: null, relativeTargetPortId: 2, targetPortalGroupTag: 3, allTgPt: true, key: 1n };
    const state: PrState = { registrations: [a, b], reservation: { holder: b, type: PrType.WriteExclusive, scope: 0 } };
    const back = decodePrState(encodePrState(state));
    expect(back.registrations).toEqual([a, b]);
    expect(back.reservation?.holder).toBe(back.registrations[1]);
    expect(back.reservation?.type).toBe(PrType.WriteExclusive);
    const shared = decodePrState(encodePrState({ registrations: [a], reservation: { holder: null, type: PrType.ExclusiveAccessAllRegistrants, scope: 0 } }));
    expect(shared.reservation).toEqual({ holder: null, type: PrType.ExclusiveAccessAllRegistrants, scope: 0 });
  });

  it('says why it cannot trust a file', () => {
    expect(() => decodePrState('nope')).toThrow(/not JSON/);
    expect(() => decodePrState('{"format":"x"}')).toThrow(/not a persistent reservation file/);
    expect(() => decodePrState('{"format":"tidegate-pr","version":2}')).toThrow(/version/);
    expect(() => decodePrState('{"format":"tidegate-pr","version":1,"registrations":[],"reservation":{"holder":0,"type":1,"scope":0}}')).toThrow(/holder/);
    expect(() => decodePrState('{"format":"tidegate-pr","version":1,"registrations":[],"reservation":{"holder":null,"type":2,"scope":0}}')).toThrow(/type/);
  });
});
