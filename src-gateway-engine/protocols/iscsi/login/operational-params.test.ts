import { describe, expect, it } from 'vitest';
import { classifyKey, DEFAULT_TARGET_LIMITS, negotiateOperational, RFC_DEFAULT_PARAMS, validateTargetLimits, type OperationalContext } from './operational-params.js';

const ctx = (over: Partial<OperationalContext> = {}): OperationalContext => ({ sessionType: 'Normal', leading: true, negotiated: new Set(), declare: false, ...over });
const run = (pairs: [string, string][], over: Partial<OperationalContext> = {}) => negotiateOperational(new Map(pairs), RFC_DEFAULT_PARAMS, DEFAULT_TARGET_LIMITS, ctx(over));
const answers = (pairs: [string, string][], over: Partial<OperationalContext> = {}) => Object.fromEntries(run(pairs, over).responses);

describe('negotiateOperational', () => {
  it('answers the open-iscsi operational offer', () => {
    const r = run([
      ['HeaderDigest', 'None'],
      ['DataDigest', 'None'],
      ['MaxRecvDataSegmentLength', '262144'],
      ['InitialR2T', 'No'],
      ['ImmediateData', 'Yes'],
      ['MaxBurstLength', '16776192'],
      ['FirstBurstLength', '262144'],
      ['MaxConnections', '1'],
      ['DefaultTime2Wait', '2'],
      ['DefaultTime2Retain', '0'],
      ['MaxOutstandingR2T', '1'],
      ['DataPDUInOrder', 'Yes'],
      ['DataSequenceInOrder', 'Yes'],
      ['ErrorRecoveryLevel', '0'],
      ['IFMarker', 'No'],
      ['OFMarker', 'No'],
    ]);
    expect(r.error).toBeUndefined();
    expect(r.responses).toEqual([
      ['HeaderDigest', 'None'],
      ['DataDigest', 'None'],
      ['InitialR2T', 'No'], // OR with our No
      ['ImmediateData', 'Yes'],
      ['MaxBurstLength', '16776192'],
      ['FirstBurstLength', '262144'],
      ['MaxConnections', '1'],
      ['DefaultTime2Wait', '2'],
      ['DefaultTime2Retain', '0'],
      ['MaxOutstandingR2T', '1'],
      ['DataPDUInOrder', 'Yes'],
      ['DataSequenceInOrder', 'Yes'],
      ['ErrorRecoveryLevel', '0'],
      ['IFMarker', 'No'],
      ['OFMarker', 'No'],
    ]);
    expect(r.params).toMatchObject({ initialR2T: false, immediateData: true, maxBurstLength: 16776192, firstBurstLength: 262144, maxXmitDataSegmentLength: 262144, defaultTime2Retain: 0 });
  });

  it('does not modify the params it was given', () => {
    const before = { ...RFC_DEFAULT_PARAMS };
    run([['MaxBurstLength', '1024']]);
    expect(RFC_DEFAULT_PARAMS).toEqual(before);
  });

  it('picks the first digest in the initiator list that we support', () => {
    expect(answers([['HeaderDigest', 'CRC32C,None'], ['DataDigest', 'None,CRC32C']])).toEqual({ HeaderDigest: 'CRC32C', DataDigest: 'None' });
    expect(run([['HeaderDigest', 'CRC32C,None']]).params.headerDigest).toBe('CRC32C');
    expect(answers([['HeaderDigest', 'FancyHash,CRC32C']])).toEqual({ HeaderDigest: 'CRC32C' });
    expect(answers([['DataDigest', 'FancyHash']])).toEqual({ DataDigest: 'Reject' });
  });

  it('honours a target that supports no CRC32C', () => {
    const r = negotiateOperational(new Map([['HeaderDigest', 'CRC32C,None']]), RFC_DEFAULT_PARAMS, { ...DEFAULT_TARGET_LIMITS, headerDigests: ['None'] }, ctx());
    expect(r.responses).toEqual([['HeaderDigest', 'None']]);
  });

  it('applies OR to InitialR2T and AND to ImmediateData', () => {
    expect(answers([['InitialR2T', 'Yes'], ['ImmediateData', 'No']])).toEqual({ InitialR2T: 'Yes', ImmediateData: 'No' });
    const relaxed = negotiateOperational(new Map([['InitialR2T', 'No']]), RFC_DEFAULT_PARAMS, { ...DEFAULT_TARGET_LIMITS, initialR2T: false }, ctx());
    expect(relaxed.responses).toEqual([['InitialR2T', 'No']]);
    expect(relaxed.params.initialR2T).toBe(false);
  });

  it('answers Yes to DataPDUInOrder/DataSequenceInOrder=No (OR with our Yes)', () => {
    expect(answers([['DataPDUInOrder', 'No'], ['DataSequenceInOrder', 'No']])).toEqual({ DataPDUInOrder: 'Yes', DataSequenceInOrder: 'Yes' });
  });

  it('takes the minimum against our limits', () => {
    expect(
      answers([
        ['MaxBurstLength', '16777215'],
        ['FirstBurstLength', '16777215'],
        ['MaxOutstandingR2T', '64'],
        ['MaxConnections', '8'],
        ['ErrorRecoveryLevel', '2'],
        ['DefaultTime2Retain', '3600'],
        ['iSCSIProtocolLevel', '2'],
      ]),
    ).toEqual({ MaxBurstLength: '16777215', FirstBurstLength: '262144', MaxOutstandingR2T: '16', MaxConnections: '1', ErrorRecoveryLevel: '0', DefaultTime2Retain: '20', iSCSIProtocolLevel: '1' });
  });

  it('takes the maximum for DefaultTime2Wait', () => {
    expect(answers([['DefaultTime2Wait', '0']])).toEqual({ DefaultTime2Wait: '2' });
    expect(answers([['DefaultTime2Wait', '10']])).toEqual({ DefaultTime2Wait: '10' });
  });

  it('keeps FirstBurstLength ≤ MaxBurstLength whatever the key order', () => {
    const a = run([['FirstBurstLength', '131072'], ['MaxBurstLength', '65536']]);
    expect(a.responses).toEqual([['FirstBurstLength', '65536'], ['MaxBurstLength', '65536']]);
    expect(a.params.firstBurstLength).toBe(65536);
    const b = run([['MaxBurstLength', '65536'], ['FirstBurstLength', '131072']]);
    expect(b.responses).toEqual([['MaxBurstLength', '65536'], ['FirstBurstLength', '65536']]);
  });

  it('rejects malformed or out-of-range values without failing the login', () => {
    const r = run([
      ['MaxBurstLength', '100'],
      ['MaxConnections', '0'],
      ['InitialR2T', 'Maybe'],
      ['ErrorRecoveryLevel', '3'],
      ['HeaderDigest', ''],
    ]);
    expect(r.error).toBeUndefined();
    expect(r.responses.map(([, v]) => v)).toEqual(['Reject', 'Reject', 'Reject', 'Reject', 'Reject']);
    expect(r.params.maxBurstLength).toBe(RFC_DEFAULT_PARAMS.maxBurstLength);
  });

  it('treats MaxRecvDataSegmentLength as a declaration per direction', () => {
    const r = run([['MaxRecvDataSegmentLength', '65536']], { declare: true });
    expect(r.responses).toEqual([['MaxRecvDataSegmentLength', '262144']]);
    expect(r.params.maxXmitDataSegmentLength).toBe(65536); // what we may send
    expect(r.params.maxRecvDataSegmentLength).toBe(262144); // what the initiator may send
    expect(run([]).params.maxRecvDataSegmentLength).toBe(8192); // undeclared: RFC default
    expect(run([['MaxRecvDataSegmentLength', '16777215']]).params.maxXmitDataSegmentLength).toBe(DEFAULT_TARGET_LIMITS.maxXmitDataSegmentLength);
    expect(run([['MaxRecvDataSegmentLength', '99999999']]).error).toBeUndefined();
  });

  it('fails the login on a MaxRecvDataSegmentLength below 512 or malformed', () => {
    expect(run([['MaxRecvDataSegmentLength', '511']]).error?.status).toEqual({ statusClass: 2, statusDetail: 0 });
    expect(run([['MaxRecvDataSegmentLength', 'lots']]).error?.status).toEqual({ statusClass: 2, statusDetail: 0 });
  });

  it('answers unknown and vendor keys with NotUnderstood', () => {
    expect(answers([['X-com.example.Foo', '1'], ['X#org.example', 'a'], ['Whatever', 'b']])).toEqual({ 'X-com.example.Foo': 'NotUnderstood', 'X#org.example': 'NotUnderstood', Whatever: 'NotUnderstood' });
  });

  it('answers obsolete marker keys as RFC 7143 §13.26 allows', () => {
    expect(answers([['IFMarker', 'Yes'], ['OFMarker', 'No'], ['IFMarkInt', '2048~8192'], ['OFMarkInt', '2048']])).toEqual({ IFMarker: 'No', OFMarker: 'No', IFMarkInt: 'Reject', OFMarkInt: 'Reject' });
  });

  it('answers session-wide keys with Irrelevant in a Discovery session', () => {
    const r = answers(
      [
        ['HeaderDigest', 'None'],
        ['MaxBurstLength', '262144'],
        ['InitialR2T', 'No'],
        ['ImmediateData', 'Yes'],
        ['MaxConnections', '1'],
        ['DefaultTime2Wait', '2'],
        ['ErrorRecoveryLevel', '0'],
      ],
      { sessionType: 'Discovery' },
    );
    expect(r).toEqual({ HeaderDigest: 'None', MaxBurstLength: 'Irrelevant', InitialR2T: 'Irrelevant', ImmediateData: 'Irrelevant', MaxConnections: 'Irrelevant', DefaultTime2Wait: '2', ErrorRecoveryLevel: '0' });
  });

  it('answers leading-only keys with Irrelevant on a non-leading connection', () => {
    expect(answers([['MaxBurstLength', '65536'], ['DataDigest', 'CRC32C']], { leading: false })).toEqual({ MaxBurstLength: 'Irrelevant', DataDigest: 'CRC32C' });
  });

  it('fails a key negotiated twice in one login', () => {
    const negotiated = new Set<string>();
    expect(run([['MaxBurstLength', '65536']], { negotiated }).error).toBeUndefined();
    expect(run([['MaxBurstLength', '65536']], { negotiated }).error?.message).toMatch(/more than once/);
  });

  it.each([
    ['AuthMethod', 'None'],
    ['CHAP_A', '5'],
    ['TargetAlias', 'x'],
    ['TargetPortalGroupTag', '1'],
    ['TargetAddress', '10.0.0.1:3260,1'],
    ['SendTargets', 'All'],
  ])('fails the login on %s in the operational stage', (key, value) => {
    expect(run([[key, value]]).error?.status).toEqual({ statusClass: 2, statusDetail: 0 });
  });

  it('skips login declaratives and ignores answer constants', () => {
    expect(run([['InitiatorName', 'iqn.x'], ['TargetName', 'iqn.y'], ['MaxBurstLength', 'NotUnderstood']]).responses).toEqual([]);
  });
});

describe('classifyKey', () => {
  it('routes keys', () => {
    expect(classifyKey('InitiatorName')).toBe('login-declarative');
    expect(classifyKey('CHAP_R')).toBe('security');
    expect(classifyKey('MaxRecvDataSegmentLength')).toBe('operational');
    expect(classifyKey('TargetAlias')).toBe('target-only');
    expect(classifyKey('SendTargets')).toBe('full-feature-only');
    expect(classifyKey('X-vendor')).toBe('unknown');
  });
});

describe('validateTargetLimits', () => {
  it('accepts the defaults and refuses limits below RFC defaults', () => {
    expect(() => validateTargetLimits(DEFAULT_TARGET_LIMITS)).not.toThrow();
    expect(() => validateTargetLimits({ ...DEFAULT_TARGET_LIMITS, maxBurstLength: 65536 })).toThrow(/maxBurstLength/);
    expect(() => validateTargetLimits({ ...DEFAULT_TARGET_LIMITS, firstBurstLength: 32768 })).toThrow(/firstBurstLength/);
    expect(() => validateTargetLimits({ ...DEFAULT_TARGET_LIMITS, headerDigests: ['CRC32C'] })).toThrow(/None/);
  });
});
