import { describe, expect, it } from 'vitest';
import { encodeTextKeys, formatBoolean, formatHex, parseBinary, parseBoolean, parseList, parseNumber, parseTextKeys, TextKeyError, type TextKeyErrorReason } from './text-keys.js';

const seg = (s: string) => Buffer.from(s, 'utf8');

function reasonOf(fn: () => unknown): TextKeyErrorReason | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof TextKeyError) return e.reason;
    throw e;
  }
  return undefined;
}

describe('parseTextKeys', () => {
  it('parses NUL-terminated pairs in order, ignoring padding NULs', () => {
    const m = parseTextKeys(seg('InitiatorName=iqn.1994-05.com.redhat:abc\0SessionType=Normal\0\0\0'));
    expect([...m]).toEqual([
      ['InitiatorName', 'iqn.1994-05.com.redhat:abc'],
      ['SessionType', 'Normal'],
    ]);
  });

  it('keeps "=" inside values and accepts empty values', () => {
    const m = parseTextKeys(seg('X-a=b=c\0SendTargets=\0'));
    expect(m.get('X-a')).toBe('b=c');
    expect(m.get('SendTargets')).toBe('');
  });

  it('returns an empty map for empty or all-padding data', () => {
    expect(parseTextKeys(Buffer.alloc(0)).size).toBe(0);
    expect(parseTextKeys(Buffer.alloc(4)).size).toBe(0);
  });

  it('decodes UTF-8 values', () => {
    expect(parseTextKeys(seg('InitiatorAlias=bürö\0')).get('InitiatorAlias')).toBe('bürö');
  });

  it.each<[string, Buffer, TextKeyErrorReason]>([
    ['missing =', seg('HeaderDigest\0'), 'missing-equals'],
    ['empty key', seg('=None\0'), 'empty-key'],
    ['bad key characters', seg('Header Digest=None\0'), 'invalid-key'],
    ['unterminated last pair', seg('HeaderDigest=None'), 'unterminated'],
    ['empty pair in the middle', seg('A=1\0\0B=2\0'), 'empty-pair'],
    ['duplicate key', seg('A=1\0A=1\0'), 'duplicate-key'],
    ['non-UTF-8 value', Buffer.concat([seg('InitiatorAlias='), Buffer.of(0xff, 0xfe), Buffer.of(0)]), 'invalid-utf8'],
  ])('rejects %s', (_name, data, reason) => {
    expect(reasonOf(() => parseTextKeys(data))).toBe(reason);
  });

  it('allows a 63-byte key and refuses a 64-byte one', () => {
    expect(parseTextKeys(seg(`${'K'.repeat(63)}=v\0`)).size).toBe(1);
    expect(reasonOf(() => parseTextKeys(seg(`${'K'.repeat(64)}=v\0`)))).toBe('key-too-long');
  });

  it('bounds ordinary values at 8192 bytes but lets CHAP_C/CHAP_R reach 64 KiB', () => {
    expect(parseTextKeys(seg(`A=${'x'.repeat(8192)}\0`)).get('A')).toHaveLength(8192);
    expect(reasonOf(() => parseTextKeys(seg(`A=${'x'.repeat(8193)}\0`)))).toBe('value-too-long');
    expect(parseTextKeys(seg(`CHAP_C=0x${'a'.repeat(20000)}\0`)).get('CHAP_C')).toHaveLength(20002);
    expect(reasonOf(() => parseTextKeys(seg(`CHAP_R=0x${'a'.repeat(65535)}\0`)))).toBe('value-too-long');
  });

  it('counts value bytes, not characters', () => {
    expect(reasonOf(() => parseTextKeys(seg(`A=${'é'.repeat(4097)}\0`)))).toBe('value-too-long');
  });

  it('limits the number of keys', () => {
    const data = seg(Array.from({ length: 5 }, (_, i) => `K${i}=v\0`).join(''));
    expect(parseTextKeys(data, { maxKeys: 5 }).size).toBe(5);
    expect(reasonOf(() => parseTextKeys(data, { maxKeys: 4 }))).toBe('too-many-keys');
  });
});

describe('encodeTextKeys', () => {
  it('round-trips through parseTextKeys', () => {
    const pairs: [string, string][] = [
      ['TargetPortalGroupTag', '1'],
      ['InitiatorAlias', 'bürö'],
    ];
    expect([...parseTextKeys(encodeTextKeys(pairs))]).toEqual(pairs);
  });

  it('keeps repeated keys (SendTargets answers need them)', () => {
    expect(encodeTextKeys([['TargetAddress', 'a'], ['TargetAddress', 'b']]).toString()).toBe('TargetAddress=a\0TargetAddress=b\0');
  });

  it('refuses values with NUL and bad keys', () => {
    expect(() => encodeTextKeys([['A', 'x\0y']])).toThrow(TextKeyError);
    expect(() => encodeTextKeys([['A B', 'x']])).toThrow(TextKeyError);
  });
});

describe('value helpers', () => {
  it('parses decimal and hex numbers within bounds', () => {
    expect(parseNumber('262144')).toBe(262144);
    expect(parseNumber('0x40000')).toBe(262144);
    expect(parseNumber('0X1f')).toBe(31);
    expect(parseNumber('007')).toBe(7);
    expect(() => parseNumber('511', 512)).toThrow(TextKeyError);
    expect(() => parseNumber('70000', 0, 65535)).toThrow(TextKeyError);
    for (const bad of ['', '-1', '1.5', '12a', '0x', 'Yes', ' 1', '99999999999999999']) expect(() => parseNumber(bad), bad).toThrow(TextKeyError);
  });

  it('decodes hex (either case, odd length) and base64 binaries', () => {
    expect(parseBinary('0xDEADbeef')).toEqual(Buffer.from('deadbeef', 'hex'));
    expect(parseBinary('0Xabc')).toEqual(Buffer.from('0abc', 'hex'));
    expect(parseBinary('0b3q2+7w==')).toEqual(Buffer.from('deadbeef', 'hex'));
    expect(parseBinary('0B3q2+7w==')).toEqual(Buffer.from('deadbeef', 'hex'));
    for (const bad of ['deadbeef', '0x', '0xzz', '0b', '0b3q2+7w', '0b3q2*7w==']) expect(() => parseBinary(bad), bad).toThrow(TextKeyError);
  });

  it('formats hex with a lower-case 0x prefix', () => {
    expect(formatHex(Buffer.of(0xab, 0x01))).toBe('0xab01');
  });

  it('parses Yes/No exactly', () => {
    expect(parseBoolean('Yes')).toBe(true);
    expect(parseBoolean('No')).toBe(false);
    expect(() => parseBoolean('yes')).toThrow(TextKeyError);
    expect(formatBoolean(true)).toBe('Yes');
    expect(formatBoolean(false)).toBe('No');
  });

  it('splits lists and refuses empty items', () => {
    expect(parseList('None,CRC32C')).toEqual(['None', 'CRC32C']);
    expect(parseList('5')).toEqual(['5']);
    expect(() => parseList('None,,CRC32C')).toThrow(TextKeyError);
    expect(() => parseList('')).toThrow(TextKeyError);
  });
});
