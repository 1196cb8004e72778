import { describe, expect, it } from 'vitest';
import { PrType, allowedUnderReserve6, classify, isPrType, nonHolderConflicts } from './reservation-types.js';

const cdb = (...bytes: number[]): Buffer => Buffer.from([...bytes, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

describe('reservation types', () => {
  it('knows the six types', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter(isPrType)).toEqual([1, 3, 5, 6, 7, 8]);
  });

  it('classifies commands', () => {
    expect(classify(cdb(0x00))).toBe('always'); // TEST UNIT READY
    expect(classify(cdb(0x12))).toBe('always'); // INQUIRY
    expect(classify(cdb(0x9e, 0x10))).toBe('always'); // READ CAPACITY(16)
    expect(classify(cdb(0x9e, 0x12))).toBe('read'); // GET LBA STATUS
    expect(classify(cdb(0xa3, 0x0a))).toBe('always'); // REPORT TARGET PORT GROUPS
    expect(classify(cdb(0xa3, 0x0c))).toBe('read'); // REPORT SUPPORTED OPERATION CODES
    expect(classify(cdb(0x28))).toBe('read');
    expect(classify(cdb(0x1a))).toBe('read'); // MODE SENSE
    for (const op of [0x2a, 0x8a, 0x41, 0x93, 0x42, 0x89, 0x35, 0x91, 0x15, 0x83, 0xc0]) expect(classify(cdb(op))).toBe('write');
  });

  it('applies the SPC-4 table for non-holders', () => {
    expect(nonHolderConflicts(PrType.WriteExclusive, 'read', false)).toBe(false);
    expect(nonHolderConflicts(PrType.WriteExclusive, 'write', true)).toBe(true);
    expect(nonHolderConflicts(PrType.ExclusiveAccess, 'read', true)).toBe(true);
    expect(nonHolderConflicts(PrType.ExclusiveAccess, 'always', false)).toBe(false);
    expect(nonHolderConflicts(PrType.ExclusiveAccessRegistrantsOnly, 'write', true)).toBe(false);
    expect(nonHolderConflicts(PrType.ExclusiveAccessRegistrantsOnly, 'read', false)).toBe(true);
    expect(nonHolderConflicts(PrType.WriteExclusiveAllRegistrants, 'read', false)).toBe(false);
    expect(nonHolderConflicts(PrType.WriteExclusiveAllRegistrants, 'write', false)).toBe(true);
  });

  it('lets only a few commands past a RESERVE(6) of another nexus', () => {
    expect(allowedUnderReserve6(cdb(0x12))).toBe(true);
    expect(allowedUnderReserve6(cdb(0x03))).toBe(true);
    expect(allowedUnderReserve6(cdb(0xa0))).toBe(true);
    expect(allowedUnderReserve6(cdb(0x17))).toBe(true);
    expect(allowedUnderReserve6(cdb(0x00))).toBe(false);
    expect(allowedUnderReserve6(cdb(0x1a))).toBe(false);
    expect(allowedUnderReserve6(cdb(0x28))).toBe(false);
  });
});
