import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { formatSize, parseSize } from './size.js';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const TiB = 1024 ** 4;

describe('parseSize', () => {
  it.each([
    ['4096', 4096],
    ['0', 0],
    ['4096B', 4096],
    ['1KiB', KiB],
    ['512MiB', 512 * MiB],
    ['10GiB', 10 * GiB],
    ['1.5TiB', 1.5 * TiB],
    ['2PiB', 2 * 1024 ** 5],
    ['10K', 10 * KiB],
    ['10M', 10 * MiB],
    ['10G', 10 * GiB],
    ['10T', 10 * TiB],
    ['10Gi', 10 * GiB],
    ['10KB', 10_000],
    ['10MB', 10_000_000],
    ['10GB', 10_000_000_000],
    ['2TB', 2_000_000_000_000],
    ['10gib', 10 * GiB],
    ['10 GiB', 10 * GiB],
    ['  64MiB  ', 64 * MiB],
    ['1.5KiB', 1536],
    ['1.18GB', 1_180_000_000],
    ['0.5MiB', 512 * KiB],
    ['007', 7],
  ])('%s → %d', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('accepts the largest safe integer and rejects overflow beyond 2^53', () => {
    expect(parseSize(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseSize(String(2 ** 53))).toThrow(/too large/);
    expect(() => parseSize('9PiB')).toThrow(/too large/);
    expect(() => parseSize('99999999999999999999999999')).toThrow(/too large/);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['-1', /negative/],
    ['-10GiB', /negative/],
    ['abc', /expected a number/],
    ['10XB', /unknown unit "XB"/],
    ['10 G B', /expected a number/],
    ['1e9', /expected a number/],
    ['1.', /expected a number/],
    ['.5G', /expected a number/],
    ['1.1B', /not a whole number of bytes/],
    ['0.1GiB', /not a whole number of bytes/],
    ['10GiB!', /expected a number/],
    ['NaN', /unknown unit|expected a number/],
    ['Infinity', /expected a number/],
    ['0x10', /expected a number/],
  ])('rejects %j', (text, why) => {
    let caught: unknown;
    try {
      parseSize(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: ErrorCode.InvalidArgument });
    const msg = (caught as Error).message;
    expect(msg).toContain(JSON.stringify(text)); // names the bad text
    expect(msg).toMatch(why);
  });

  it('rejects non-strings', () => {
    expect(() => parseSize(10 as never)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument }));
  });
});

describe('formatSize', () => {
  it.each([
    [0, '0 B'],
    [1000, '1000 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [4 * GiB, '4 GiB'],
    [64 * MiB, '64 MiB'],
    [1.5 * TiB, '1.5 TiB'],
    [10_000_000_000, '9.31 GiB'],
    [1024 * 1024 - 1, '1 MiB'],
    [Number.MAX_SAFE_INTEGER, '8 PiB'],
    [-2048, '-2 KiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('round-trips exact values through parseSize', () => {
    for (const b of [0, 1, 1024, 1536, 64 * MiB, 4 * GiB, 3 * TiB]) expect(parseSize(formatSize(b))).toBe(b);
  });
});
