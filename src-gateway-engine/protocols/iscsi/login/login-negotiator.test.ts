import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChapChallengeRegistry } from './chap.js';
import { LoginNegotiator, type LoginNegotiatorConfig, type LoginRequestInput, type LoginResponseOutput, type TargetAccessPolicy } from './login-negotiator.js';

const TARGET = 'iqn.2026-01.io.tidegate:vol1';
const INITIATOR = 'iqn.1994-05.com.redhat:client1';
const ISID = Buffer.from('400001370000', 'hex');

const open: TargetAccessPolicy = { name: TARGET, alias: 'vol1' };
const chapPolicy: TargetAccessPolicy = { name: TARGET, chap: { user: 'alice', secret: 'initiator-pw1', mutualUser: 'tidegate', mutualSecret: 'target-secret1' } };

function negotiator(policy: TargetAccessPolicy | undefined = open, over: Partial<LoginNegotiatorConfig> = {}) {
  return new LoginNegotiator({ targetPortalGroupTag: 7, lookupTarget: (n) => (policy && n === policy.name ? policy : undefined), ...over });
}

function req(csg: number, nsg: number, transit: boolean, keys: [string, string][], over: Partial<LoginRequestInput> = {}): LoginRequestInput {
  return { transit, cont: false, csg, nsg, isid: ISID, tsih: 0, cid: 0, keys: new Map(keys), ...over };
}

const kv = (r: LoginResponseOutput) => Object.fromEntries(r.keys);
const status = (r: LoginResponseOutput) => (r.statusClass << 8) | r.statusDetail;
const md5 = (id: number, secret: string, challengeHex: string) =>
  `0x${createHash('md5').update(Buffer.from([id])).update(secret).update(Buffer.from(challengeHex.slice(2), 'hex')).digest('hex').toUpperCase()}`;

const opKeys: [string, string][] = [
  ['HeaderDigest', 'None,CRC32C'],
  ['DataDigest', 'None,CRC32C'],
  ['InitialR2T', 'Yes'],
  ['ImmediateData', 'Yes'],
  ['MaxBurstLength', '262144'],
  ['FirstBurstLength', '262144'],
  ['DefaultTime2Wait', '2'],
  ['DefaultTime2Retain', '0'],
  ['MaxOutstandingR2T', '1'],
  ['ErrorRecoveryLevel', '0'],
  ['IFMarker', 'No'],
  ['OFMarker', 'No'],
  ['MaxConnections', '1'],
  ['MaxRecvDataSegmentLength', '262144'],
  ['DataPDUInOrder', 'Yes'],
  ['DataSequenceInOrder', 'Yes'],
];

describe('LoginNegotiator: real initiator sequences', () => {
  it('libiscsi without CHAP: one operational PDU straight to full feature', () => {
    const n = negotiator();
    const r = n.handle(req(1, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['SessionType', 'Normal'], ...opKeys], { tsih: 0, cid: 5 }));
    expect(status(r)).toBe(0);
    expect(r).toMatchObject({ transit: true, csg: 1, nsg: 3, isid: ISID, tsih: 0, cid: 5 });
    const k = kv(r);
    expect(k).toMatchObject({ TargetPortalGroupTag: '7', HeaderDigest: 'None', DataDigest: 'None', MaxRecvDataSegmentLength: '262144', TargetAlias: 'vol1', IFMarker: 'No' });
    expect(r.keys[0]).toEqual(['TargetPortalGroupTag', '7']);
    expect(r.done).toMatchObject({ sessionType: 'Normal', initiatorName: INITIATOR, targetName: TARGET, authMethod: 'None' });
    expect(r.done?.params).toMatchObject({ maxRecvDataSegmentLength: 262144, maxXmitDataSegmentLength: 262144, maxBurstLength: 262144, firstBurstLength: 262144, defaultTime2Retain: 0 });
    expect(n.finished).toBe(true);
    expect(() => n.handle(req(1, 3, true, []))).toThrow(/finished/);
  });

  it('libiscsi with mutual CHAP: AuthMethod (T=1), CHAP_A (T=0), CHAP_N/R/I/C (T=1), then operational', () => {
    const n = negotiator(chapPolicy);
    const r1 = n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['SessionType', 'Normal'], ['AuthMethod', 'CHAP,None']]));
    expect(status(r1)).toBe(0);
    expect(r1).toMatchObject({ transit: false, csg: 0 });
    expect(kv(r1)).toEqual({ TargetPortalGroupTag: '7', AuthMethod: 'CHAP' });

    const r2 = n.handle(req(0, 1, false, [['CHAP_A', '5']]));
    const c = kv(r2);
    expect(r2.transit).toBe(false);
    expect(c.CHAP_A).toBe('5');
    expect(c.TargetPortalGroupTag).toBeUndefined(); // first response only

    const mutualC = `0x${'5A'.repeat(32)}`;
    const r3 = n.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(c.CHAP_I), 'initiator-pw1', c.CHAP_C!)], ['CHAP_I', '1'], ['CHAP_C', mutualC]]));
    expect(status(r3)).toBe(0);
    expect(r3).toMatchObject({ transit: true, csg: 0, nsg: 1 });
    expect(kv(r3)).toEqual({ CHAP_N: 'tidegate', CHAP_R: md5(1, 'target-secret1', mutualC).toLowerCase().replace('0X', '0x') });

    const r4 = n.handle(req(1, 3, true, opKeys));
    expect(status(r4)).toBe(0);
    expect(r4).toMatchObject({ transit: true, csg: 1, nsg: 3 });
    expect(r4.done?.authMethod).toBe('CHAP');
  });

  it('open-iscsi: AuthMethod=CHAP,None then CHAP_A list, all with T=1; CHAP_R in lower case', () => {
    const n = negotiator(chapPolicy);
    expect(kv(n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['InitiatorAlias', 'client1'], ['TargetName', TARGET], ['SessionType', 'Normal'], ['AuthMethod', 'CHAP,None']])))).toMatchObject({ AuthMethod: 'CHAP' });
    const c = kv(n.handle(req(0, 1, true, [['CHAP_A', '7,6,5']])));
    expect(c.CHAP_A).toBe('5');
    const r3 = n.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(c.CHAP_I), 'initiator-pw1', c.CHAP_C!).toLowerCase().replace('0X', '0x')]]));
    expect(r3).toMatchObject({ transit: true, nsg: 1, keys: [] });
    const r4 = n.handle(req(1, 3, true, [['HeaderDigest', 'CRC32C,None'], ['MaxRecvDataSegmentLength', '262144']]));
    expect(r4.done).toMatchObject({ initiatorAlias: 'client1', params: { headerDigest: 'CRC32C' } });
  });

  it('Windows without CHAP: security stage with AuthMethod=None, T=1 to operational', () => {
    const n = negotiator();
    const r1 = n.handle(req(0, 1, true, [['InitiatorName', 'iqn.1991-05.com.microsoft:host'], ['InitiatorAlias', 'host'], ['SessionType', 'Normal'], ['TargetName', TARGET], ['AuthMethod', 'None']]));
    expect(r1).toMatchObject({ transit: true, csg: 0, nsg: 1 });
    expect(kv(r1)).toEqual({ TargetPortalGroupTag: '7', AuthMethod: 'None' });
    const r2 = n.handle(req(1, 3, true, [['HeaderDigest', 'None'], ['DataDigest', 'None'], ['ErrorRecoveryLevel', '2'], ['InitialR2T', 'No'], ['MaxRecvDataSegmentLength', '65536']]));
    expect(kv(r2)).toMatchObject({ ErrorRecoveryLevel: '0', InitialR2T: 'No', MaxRecvDataSegmentLength: '262144' });
    expect(r2.done?.params.maxXmitDataSegmentLength).toBe(65536);
  });

  it('Windows with one-way CHAP: AuthMethod=CHAP, CHAP_A=5, then CHAP_N/CHAP_R', () => {
    const n = negotiator(chapPolicy);
    n.handle(req(0, 1, true, [['InitiatorName', 'iqn.1991-05.com.microsoft:host'], ['SessionType', 'Normal'], ['TargetName', TARGET], ['AuthMethod', 'CHAP']]));
    const c = kv(n.handle(req(0, 1, true, [['CHAP_A', '5']])));
    const r = n.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(c.CHAP_I), 'initiator-pw1', c.CHAP_C!)]]));
    expect(r).toMatchObject({ transit: true, nsg: 1, statusClass: 0 });
  });

  it('discovery session without auth, keys a discovery login does not need are Irrelevant', () => {
    const n = negotiator();
    const r = n.handle(req(1, 3, true, [['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ...opKeys]));
    expect(status(r)).toBe(0);
    expect(kv(r)).toMatchObject({ MaxBurstLength: 'Irrelevant', HeaderDigest: 'None', MaxRecvDataSegmentLength: '262144' });
    expect(kv(r).TargetPortalGroupTag).toBeUndefined();
    expect(kv(r).TargetAlias).toBeUndefined();
    expect(r.done).toMatchObject({ sessionType: 'Discovery', initiatorName: INITIATOR });
    expect(r.done?.targetName).toBeUndefined();
  });

  it('discovery session with discovery CHAP', () => {
    const n = negotiator(undefined, { discoveryAuth: { user: 'disc', secret: 'discovery-pw1' } });
    expect(kv(n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ['AuthMethod', 'CHAP,None']])))).toEqual({ AuthMethod: 'CHAP' });
    const c = kv(n.handle(req(0, 1, false, [['CHAP_A', '5']])));
    const bad = negotiator(undefined, { discoveryAuth: { user: 'disc', secret: 'discovery-pw1' } });
    expect(status(bad.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ['AuthMethod', 'None']])))).toBe(0x0201);
    expect(n.handle(req(0, 3, true, [['CHAP_N', 'disc'], ['CHAP_R', md5(Number(c.CHAP_I), 'discovery-pw1', c.CHAP_C!)]])).done?.sessionType).toBe('Discovery');
  });
});

describe('LoginNegotiator: stages and the T bit', () => {
  it('stays in the stage while the initiator does not ask to transit', () => {
    const n = negotiator();
    const r1 = n.handle(req(0, 0, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]));
    expect(r1).toMatchObject({ transit: false, csg: 0, nsg: 0 });
    const r2 = n.handle(req(0, 1, true, []));
    expect(r2).toMatchObject({ transit: true, csg: 0, nsg: 1 });
    const r3 = n.handle(req(1, 0, false, [['MaxBurstLength', '65536']]));
    expect(r3).toMatchObject({ transit: false, csg: 1 });
    expect(kv(r3)).toEqual({ MaxBurstLength: '65536', MaxRecvDataSegmentLength: '262144', TargetAlias: 'vol1' });
    const r4 = n.handle(req(1, 3, true, [['MaxOutstandingR2T', '4']]));
    expect(kv(r4)).toEqual({ MaxOutstandingR2T: '4' }); // declarations only once
    expect(r4.done?.params).toMatchObject({ maxBurstLength: 65536, maxOutstandingR2T: 4 });
  });

  it('may go from security straight to full feature, with default data segment sizes', () => {
    const n = negotiator();
    const r = n.handle(req(0, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]));
    expect(r).toMatchObject({ transit: true, csg: 0, nsg: 3 });
    expect(r.done?.params).toMatchObject({ maxRecvDataSegmentLength: 8192, maxXmitDataSegmentLength: 8192 });
  });

  it('does not transit before CHAP is finished even when T=1', () => {
    const n = negotiator(chapPolicy);
    expect(n.handle(req(0, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP']])).transit).toBe(false);
    expect(n.handle(req(0, 3, true, [['CHAP_A', '5']])).transit).toBe(false);
  });

  it('lets CHAP finish with T=0 and transits on the next T=1', () => {
    const n = negotiator(chapPolicy);
    n.handle(req(0, 1, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP']]));
    const c = kv(n.handle(req(0, 1, false, [['CHAP_A', '5']])));
    expect(n.handle(req(0, 1, false, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(c.CHAP_I), 'initiator-pw1', c.CHAP_C!)]])).transit).toBe(false);
    expect(n.handle(req(0, 1, true, [])).transit).toBe(true);
  });

  it('accepts AuthMethod and CHAP_A in the same request', () => {
    const n = negotiator(chapPolicy);
    const r = n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP'], ['CHAP_A', '5']]));
    expect(Object.keys(kv(r))).toEqual(['TargetPortalGroupTag', 'AuthMethod', 'CHAP_A', 'CHAP_I', 'CHAP_C']);
  });

  it('acknowledges a Continue request without consuming it', () => {
    const n = negotiator();
    const r = n.handle(req(0, 0, false, [['InitiatorName', INITIATOR]], { cont: true }));
    expect(r).toMatchObject({ transit: false, statusClass: 0, keys: [] });
    expect(n.finished).toBe(false);
    expect(status(n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']])))).toBe(0);
  });

  it.each<[string, LoginRequestInput]>([
    ['CSG 3', req(3, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET]])],
    ['CSG 2', req(2, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET]])],
    ['NSG not above CSG', req(1, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET]])],
    ['NSG 2', req(0, 2, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET]])],
    ['C and T together', req(1, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET]], { cont: true })],
    ['operational key in the security stage', req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['MaxBurstLength', '65536']])],
    ['SendTargets during login', req(1, 3, true, [['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ['SendTargets', 'All']])],
    ['a target-only key', req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['TargetAlias', 'x']])],
    ['an over-long InitiatorName', req(1, 3, true, [['InitiatorName', `iqn.${'x'.repeat(220)}`], ['TargetName', TARGET]])],
  ])('fails with initiator error on %s', (_name, request) => {
    const n = negotiator();
    const r = n.handle(request);
    expect(status(r)).toBe(0x0200);
    expect(r.keys).toEqual([]);
    expect(r.transit).toBe(false);
    expect(n.finished).toBe(true);
  });

  it('fails a CSG that does not match the stage', () => {
    const n = negotiator();
    n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]));
    expect(status(n.handle(req(0, 1, true, [])))).toBe(0x0200);
  });

  it('fails a stage change without transit', () => {
    const n = negotiator();
    n.handle(req(0, 1, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]));
    expect(status(n.handle(req(1, 3, true, [])))).toBe(0x0200);
  });

  it('fails keys negotiated twice and changed declaratives, tolerates repeated equal ones', () => {
    const twice = negotiator();
    twice.handle(req(1, 0, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['MaxBurstLength', '65536']]));
    expect(status(twice.handle(req(1, 3, true, [['MaxBurstLength', '65536']])))).toBe(0x0200);

    const same = negotiator();
    same.handle(req(1, 0, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET]]));
    expect(status(same.handle(req(1, 3, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET]])))).toBe(0);

    const changed = negotiator();
    changed.handle(req(1, 0, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET]]));
    expect(status(changed.handle(req(1, 3, true, [['TargetName', 'iqn.2026-01.io.tidegate:other']])))).toBe(0x0200);

    const authTwice = negotiator();
    authTwice.handle(req(0, 1, false, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None']]));
    expect(status(authTwice.handle(req(0, 1, true, [['AuthMethod', 'None']])))).toBe(0x0200);
  });

  it('gives up on a login that never ends', () => {
    const n = negotiator(undefined, { maxRequests: 3 });
    const first = req(0, 0, false, [['InitiatorName', INITIATOR], ['SessionType', 'Discovery'], ['AuthMethod', 'None']]);
    expect(status(n.handle(first))).toBe(0);
    expect(status(n.handle(req(0, 0, false, [])))).toBe(0);
    expect(status(n.handle(req(0, 0, false, [])))).toBe(0);
    expect(status(n.handle(req(0, 0, false, [])))).toBe(0x0200);
  });

  it('answers unknown keys in the security stage with NotUnderstood', () => {
    const r = negotiator().handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None'], ['X-com.example.Thing', '1']]));
    expect(kv(r)['X-com.example.Thing']).toBe('NotUnderstood');
  });
});

describe('LoginNegotiator: identity and access', () => {
  const first = (n: LoginNegotiator, keys: [string, string][], csg = 1) => status(n.handle(req(csg, 3, true, keys)));

  it('requires InitiatorName (0x0207) and TargetName for Normal sessions (0x0207)', () => {
    expect(first(negotiator(), [['TargetName', TARGET]])).toBe(0x0207);
    expect(first(negotiator(), [['InitiatorName', INITIATOR]])).toBe(0x0207);
    expect(first(negotiator(), [['InitiatorName', INITIATOR], ['SessionType', 'Normal']])).toBe(0x0207);
  });

  it('refuses unknown session types (0x0209) and unknown targets (0x0203)', () => {
    expect(first(negotiator(), [['InitiatorName', INITIATOR], ['SessionType', 'Bogus']])).toBe(0x0209);
    expect(first(negotiator(), [['InitiatorName', INITIATOR], ['TargetName', 'iqn.2026-01.io.tidegate:nope']])).toBe(0x0203);
  });

  it('enforces allowedInitiators case-insensitively (0x0202)', () => {
    const policy: TargetAccessPolicy = { name: TARGET, allowedInitiators: ['IQN.1994-05.com.redhat:client1'] };
    expect(first(negotiator(policy), [['InitiatorName', INITIATOR], ['TargetName', TARGET]])).toBe(0);
    expect(first(negotiator(policy), [['InitiatorName', 'iqn.1994-05.com.redhat:intruder'], ['TargetName', TARGET]])).toBe(0x0202);
    expect(first(negotiator({ name: TARGET, allowedInitiators: [] }), [['InitiatorName', 'iqn.any'], ['TargetName', TARGET]])).toBe(0);
  });

  it('requires CHAP when the target has a secret (0x0201)', () => {
    const id: [string, string][] = [['InitiatorName', INITIATOR], ['TargetName', TARGET]];
    expect(first(negotiator(chapPolicy), [...id, ['AuthMethod', 'None']], 0)).toBe(0x0201);
    expect(first(negotiator(chapPolicy), id, 0)).toBe(0x0201); // skips AuthMethod
    expect(first(negotiator(chapPolicy), id, 1)).toBe(0x0201); // skips the security stage
    expect(first(negotiator(chapPolicy), [...id, ['AuthMethod', 'SRP,KRB5']], 0)).toBe(0x0201);
  });

  it('chooses CHAP from an initiator list that prefers None when CHAP is required', () => {
    const r = negotiator(chapPolicy).handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'None,CHAP']]));
    expect(kv(r).AuthMethod).toBe('CHAP');
  });

  it('refuses CHAP-only initiators when the target has no secret (0x0201)', () => {
    expect(first(negotiator(), [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP']], 0)).toBe(0x0201);
  });

  it('fails CHAP keys out of sequence and bad CHAP with 0x0201', () => {
    const base: [string, string][] = [['InitiatorName', INITIATOR], ['TargetName', TARGET]];
    expect(first(negotiator(), [...base, ['AuthMethod', 'None'], ['CHAP_A', '5']], 0)).toBe(0x0201);

    const noMd5 = negotiator(chapPolicy);
    noMd5.handle(req(0, 1, true, [...base, ['AuthMethod', 'CHAP']]));
    expect(status(noMd5.handle(req(0, 1, true, [['CHAP_A', '7']])))).toBe(0x0201);

    const early = negotiator(chapPolicy);
    early.handle(req(0, 1, true, [...base, ['AuthMethod', 'CHAP']]));
    expect(status(early.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', `0x${'00'.repeat(16)}`]])))).toBe(0x0201);

    const wrong = negotiator(chapPolicy);
    wrong.handle(req(0, 1, true, [...base, ['AuthMethod', 'CHAP']]));
    const c = kv(wrong.handle(req(0, 1, true, [['CHAP_A', '5']])));
    const r = wrong.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(c.CHAP_I), 'wrong-secret!', c.CHAP_C!)]]));
    expect(status(r)).toBe(0x0201);
    expect(r.keys).toEqual([]);

    const both = negotiator(chapPolicy);
    both.handle(req(0, 1, true, [...base, ['AuthMethod', 'CHAP']]));
    expect(status(both.handle(req(0, 1, true, [['CHAP_A', '5'], ['CHAP_N', 'alice'], ['CHAP_R', '0x00']])))).toBe(0x0201);
  });

  it('fails mutual CHAP requested from a target without a target secret (0x0201)', () => {
    const oneWay: TargetAccessPolicy = { name: TARGET, chap: { user: 'alice', secret: 'initiator-pw1' } };
    const n = negotiator(oneWay);
    n.handle(req(0, 1, true, [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP']]));
    const c = kv(n.handle(req(0, 1, true, [['CHAP_A', '5']])));
    const r = n.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(c.CHAP_I), 'initiator-pw1', c.CHAP_C!)], ['CHAP_I', '3'], ['CHAP_C', `0x${'ab'.repeat(16)}`]]));
    expect(status(r)).toBe(0x0201);
  });

  it('catches a mutual challenge reflected from another connection through the shared registry', () => {
    const chapRegistry = new ChapChallengeRegistry();
    const a = negotiator(chapPolicy, { chapRegistry });
    const b = negotiator(chapPolicy, { chapRegistry });
    const base: [string, string][] = [['InitiatorName', INITIATOR], ['TargetName', TARGET], ['AuthMethod', 'CHAP']];
    a.handle(req(0, 1, true, base));
    b.handle(req(0, 1, true, base));
    const ca = kv(a.handle(req(0, 1, true, [['CHAP_A', '5']])));
    const cb = kv(b.handle(req(0, 1, true, [['CHAP_A', '5']])));
    const r = b.handle(req(0, 1, true, [['CHAP_N', 'alice'], ['CHAP_R', md5(Number(cb.CHAP_I), 'initiator-pw1', cb.CHAP_C!)], ['CHAP_I', ca.CHAP_I!], ['CHAP_C', ca.CHAP_C!]]));
    expect(status(r)).toBe(0x0201);
  });

  it('validates its limits', () => {
    expect(() => negotiator(open, { limits: { maxBurstLength: 1024 } })).toThrow(/maxBurstLength/);
  });
});
