import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { isValidVolumeName, validateVolumeName } from './volume-name.js';

describe('volume names', () => {
  it.each(['a', '0', 'vol1', 'finance-share', 'a-b-c', 'a'.repeat(63), '1-2', 'a--b'])('accepts %j', (name) => {
    expect(isValidVolumeName(name)).toBe(true);
    expect(validateVolumeName(name)).toBe(name);
  });

  it.each([
    ['', /empty/],
    ['a'.repeat(64), /64 characters is too long/],
    ['Vol1', /uppercase letters are not allowed \(try "vol1"\)/],
    ['vol_1', /character "_" at position 4/],
    ['vol.1', /character "\." at position 4/],
    ['vol 1', /character " " at position 4/],
    ['vol/1', /character "\/" at position 4/],
    ['vøl', /character "ø" at position 2/],
    ['-vol', /must not start or end with "-"/],
    ['vol-', /must not start or end with "-"/],
    ['-', /must not start or end with "-"/],
  ])('rejects %j', (name, why) => {
    expect(isValidVolumeName(name)).toBe(false);
    let caught: unknown;
    try {
      validateVolumeName(name);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: ErrorCode.InvalidArgument });
    expect((caught as Error).message).toContain(`invalid volume name ${JSON.stringify(name)}`);
    expect((caught as Error).message).toMatch(why);
  });

  it('rejects non-strings', () => {
    expect(isValidVolumeName(5)).toBe(false);
    expect(() => validateVolumeName(null)).toThrow(/invalid volume name \(null\): expected a string/);
    expect(() => validateVolumeName(5)).toThrow(/\(number\)/);
  });
});
