import { describe, expect, it } from 'vitest';
import { CROCKFORD_ALPHABET, formatActivationKey, newActivationKey, normaliseActivationKey } from './activation-key-format.js';

describe('activation key format', () => {
  it('normalises what people type: case, dashes, spaces, O→0, I/L→1', () => {
    expect(normaliseActivationKey('K7QF-M2XD-9TRC')).toBe('K7QFM2XD9TRC');
    expect(normaliseActivationKey('k7qf m2xd 9trc')).toBe('K7QFM2XD9TRC');
    expect(normaliseActivationKey(' k7qfm2xd9trc ')).toBe('K7QFM2XD9TRC');
    expect(normaliseActivationKey('OoIi-LlAB-CDEF')).toBe('001111ABCDEF');
    expect(normaliseActivationKey('K7-QF-M2X-D9T-RC')).toBe('K7QFM2XD9TRC');
  });

  it('refuses U, other characters and wrong lengths', () => {
    expect(normaliseActivationKey('K7QF-M2XD-9TRU')).toBeNull();
    expect(normaliseActivationKey('K7QF-M2XD-9TR!')).toBeNull();
    expect(normaliseActivationKey('K7QF_M2XD_9TRC')).toBeNull();
    expect(normaliseActivationKey('K7QF-M2XD-9TR')).toBeNull();
    expect(normaliseActivationKey('K7QF-M2XD-9TRCA')).toBeNull();
    expect(normaliseActivationKey('')).toBeNull();
    expect(normaliseActivationKey('K7QF\tM2XD9TRC')).toBeNull();
    expect(normaliseActivationKey('K7QFM2XD9TRÇ')).toBeNull();
  });

  it('formats in groups of four and round-trips', () => {
    expect(formatActivationKey('K7QFM2XD9TRC')).toBe('K7QF-M2XD-9TRC');
    expect(() => formatActivationKey('k7qfm2xd9trc')).toThrow();
    for (let i = 0; i < 200; i++) {
      const key = newActivationKey();
      expect(key).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
      expect(normaliseActivationKey(formatActivationKey(key))).toBe(key);
      expect(normaliseActivationKey(formatActivationKey(key).toLowerCase())).toBe(key);
    }
  });

  it('draws every alphabet character', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) for (const ch of newActivationKey()) seen.add(ch);
    expect([...seen].sort().join('')).toBe([...CROCKFORD_ALPHABET].sort().join(''));
  });
});
