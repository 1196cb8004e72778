import { describe, expect, it } from 'vitest';
import { remoteAddressOf } from './remote-address.js';

describe('remoteAddressOf', () => {
  it('formats IPv4, IPv6 (bracketed) and a closed socket', () => {
    expect(remoteAddressOf({ remoteAddress: '10.0.0.7', remotePort: 51234 })).toBe('10.0.0.7:51234');
    expect(remoteAddressOf({ remoteAddress: '::1', remotePort: 10809 })).toBe('[::1]:10809');
    expect(remoteAddressOf({ remoteAddress: '::ffff:10.0.0.7', remotePort: 1 })).toBe('[::ffff:10.0.0.7]:1');
    expect(remoteAddressOf({ remoteAddress: undefined, remotePort: undefined })).toBe('unknown');
  });
});
