import { describe, expect, it } from 'vitest';
import { sendTargetsResponse, type SendTargetsEntry } from './sendtargets.js';

const targets: SendTargetsEntry[] = [
  { name: 'iqn.2026-01.io.tidegate:vol1', addresses: ['192.0.2.10:3260,1', '[2001:db8::10]:3260,1'] },
  { name: 'iqn.2026-01.io.tidegate:vol2', addresses: ['192.0.2.10:3260,1'] },
];

describe('sendTargetsResponse', () => {
  it('lists every target and its addresses for All in a discovery session', () => {
    expect(sendTargetsResponse('All', targets, true)).toEqual([
      ['TargetName', 'iqn.2026-01.io.tidegate:vol1'],
      ['TargetAddress', '192.0.2.10:3260,1'],
      ['TargetAddress', '[2001:db8::10]:3260,1'],
      ['TargetName', 'iqn.2026-01.io.tidegate:vol2'],
      ['TargetAddress', '192.0.2.10:3260,1'],
    ]);
  });

  it('answers a named target only, case-insensitively, and nothing for an unknown name', () => {
    expect(sendTargetsResponse('IQN.2026-01.io.tidegate:VOL2', targets, true)).toEqual([
      ['TargetName', 'iqn.2026-01.io.tidegate:vol2'],
      ['TargetAddress', '192.0.2.10:3260,1'],
    ]);
    expect(sendTargetsResponse('iqn.2026-01.io.tidegate:none', targets, true)).toEqual([]);
  });

  it('answers an empty value in a normal session with the session target', () => {
    expect(sendTargetsResponse('', [targets[0]!], false)).toEqual([
      ['TargetName', 'iqn.2026-01.io.tidegate:vol1'],
      ['TargetAddress', '192.0.2.10:3260,1'],
      ['TargetAddress', '[2001:db8::10]:3260,1'],
    ]);
  });

  it('rejects All in a normal session and an empty value in a discovery session', () => {
    expect(sendTargetsResponse('All', targets, false)).toEqual([['SendTargets', 'Reject']]);
    expect(sendTargetsResponse('', targets, true)).toEqual([['SendTargets', 'Reject']]);
  });

  it('reports a target without portals by name alone', () => {
    expect(sendTargetsResponse('All', [{ name: 'iqn.x:y', addresses: [] }], true)).toEqual([['TargetName', 'iqn.x:y']]);
  });
});
