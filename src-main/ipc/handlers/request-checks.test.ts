import { describe, expect, it } from 'vitest';
import { ConsoleError } from '../console-error.js';
import { invalid, optionalBoolean, optionalNumber, optionalString, requestObject, requiredNumber, requiredString } from './request-checks.js';

/** The INVALID_ARGUMENT `fn` throws (fails the test if it throws nothing or something else). */
function refusal(fn: () => unknown): ConsoleError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConsoleError);
    expect((err as ConsoleError).code).toBe('INVALID_ARGUMENT');
    return err as ConsoleError;
  }
  throw new Error('expected a refusal');
}

describe('requestObject', () => {
  it('accepts a plain object and refuses everything else, naming the channel', () => {
    const o = { a: 1 };
    expect(requestObject(o, 'volumes.create')).toBe(o);
    for (const bad of [null, undefined, [], [1], 'x', 42, true]) {
      expect(refusal(() => requestObject(bad, 'volumes.create')).message).toBe('volumes.create needs a request object');
    }
  });
});

describe('requiredString', () => {
  it('answers the text', () => {
    expect(requiredString({ name: 'vol1' }, 'name')).toBe('vol1');
    expect(requiredString({ name: 'x'.repeat(10) }, 'name', 10)).toBe('x'.repeat(10));
  });
  it('refuses a missing, empty, blank or non-text value, naming the field', () => {
    for (const v of [undefined, null, '', '   ', 5, {}, ['a']]) {
      expect(refusal(() => requiredString({ name: v }, 'name')).message).toBe('name is required');
    }
  });
  it('refuses text over the maximum length', () => {
    expect(refusal(() => requiredString({ name: 'x'.repeat(11) }, 'name', 10)).message).toBe('name is longer than 10 characters');
    expect(refusal(() => requiredString({ name: 'x'.repeat(1025) }, 'name')).message).toContain('1024');
  });
});

describe('optionalString', () => {
  it('answers undefined for absent, null or empty', () => {
    for (const v of [undefined, null, '']) expect(optionalString({ f: v }, 'f')).toBeUndefined();
    expect(optionalString({}, 'f')).toBeUndefined();
    expect(optionalString({ f: 'abc' }, 'f')).toBe('abc');
  });
  it('refuses a non-text value or text over the maximum, naming the field', () => {
    expect(refusal(() => optionalString({ diskPath: 7 }, 'diskPath')).message).toBe('diskPath must be text');
    expect(refusal(() => optionalString({ diskPath: 'abcd' }, 'diskPath', 3)).message).toBe('diskPath is longer than 3 characters');
  });
});

describe('optionalNumber and requiredNumber', () => {
  it('answers numbers within the bounds, bounds included', () => {
    expect(optionalNumber({ n: 1 }, 'n', 1, 10)).toBe(1);
    expect(optionalNumber({ n: 10 }, 'n', 1, 10)).toBe(10);
    expect(optionalNumber({}, 'n', 1, 10)).toBeUndefined();
    expect(requiredNumber({ n: 5 }, 'n', 1, 10)).toBe(5);
  });
  it('refuses what is not a finite number in bounds, naming the field and the bounds', () => {
    for (const v of ['5', null, Number.NaN, Number.POSITIVE_INFINITY, 0, 11, -1, true]) {
      expect(refusal(() => optionalNumber({ sizeBytes: v }, 'sizeBytes', 1, 10)).message).toBe('sizeBytes must be a number from 1 to 10');
    }
  });
  it('requiredNumber refuses a missing value', () => {
    expect(refusal(() => requiredNumber({}, 'rangeSeconds', 1, 10)).message).toBe('rangeSeconds is required');
  });
});

describe('optionalBoolean', () => {
  it('answers booleans and refuses anything else, naming the field', () => {
    expect(optionalBoolean({ b: true }, 'b')).toBe(true);
    expect(optionalBoolean({ b: false }, 'b')).toBe(false);
    expect(optionalBoolean({}, 'b')).toBeUndefined();
    for (const v of ['true', 1, 0, null]) expect(refusal(() => optionalBoolean({ nbdExport: v }, 'nbdExport')).message).toBe('nbdExport must be true or false');
  });
});

describe('invalid', () => {
  it('is a ConsoleError with INVALID_ARGUMENT', () => {
    const e = invalid('nope');
    expect(e).toBeInstanceOf(ConsoleError);
    expect(e).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'nope', name: 'ConsoleError' });
  });
});
