import { describe, expect, it } from 'vitest';
import { checkGatewayName, checkTimeZone } from './gateway-naming.js';

describe('gateway names and time zones', () => {
  it('takes 1-64 printable characters', () => {
    for (const ok of ['a', 'Büro Köln #2', '東京オフィス', 'x'.repeat(64), '🙂'.repeat(64)]) expect(checkGatewayName(ok)).toBe(ok);
    for (const bad of ['', 'x'.repeat(65), 'a\nb', 'a\u0000b', ' a', 'a ', 'a\u2028b', 'a\u200bb']) expect(() => checkGatewayName(bad), JSON.stringify(bad)).toThrow(/name/);
  });

  it('takes IANA zones and answers their canonical name', () => {
    expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(checkTimeZone('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(checkTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
    expect(checkTimeZone('europe/paris')).toBe('Europe/Paris');
    for (const bad of ['', 'Mars/Olympus', '+01:00', 'Europe/../etc', 'Europe/Paris ', 'x'.repeat(80)]) expect(() => checkTimeZone(bad), bad).toThrow(/timezone/);
  });
});
