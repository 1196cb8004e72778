import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { formatHostPort, isValidHost, parseHostPort } from './host-port.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:10809', { host: '127.0.0.1', port: 10809 }],
    [':10809', { host: '0.0.0.0', port: 10809 }],
    ['10809', { host: '0.0.0.0', port: 10809 }],
    ['[::1]:10809', { host: '::1', port: 10809 }],
    ['[::]:3260', { host: '::', port: 3260 }],
    ['[fe80::1%eth0]:3260', { host: 'fe80::1%eth0', port: 3260 }],
    ['gateway.local:9109', { host: 'gateway.local', port: 9109 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['0.0.0.0:65535', { host: '0.0.0.0', port: 65535 }],
    [' 127.0.0.1:80 ', { host: '127.0.0.1', port: 80 }],
  ])('%s', (text, expected) => {
    expect(parseHostPort(text, '0.0.0.0')).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['localhost', /missing port/],
    ['127.0.0.1:', /missing port/],
    ['127.0.0.1:abc', /port "abc" is not a number/],
    ['127.0.0.1:-1', /port "-1" is not a number/],
    ['127.0.0.1:65536', /out of range/],
    ['99999', /out of range/],
    ['::1:10809', /needs brackets/],
    ['::1', /needs brackets/],
    ['[::1]', /missing ":port"/],
    ['[::1]10809', /expected ":port"/],
    ['[::1:10809', /missing "]"/],
    ['[127.0.0.1]:80', /not an IPv6 address/],
    ['bad host:80', /not a valid IP address or host name/],
    ['-bad:80', /not a valid IP address or host name/],
    ['999.1.1.1:80', /not a valid IP address or host name/],
    ['host_name:80', /not a valid IP address or host name/],
  ])('rejects %j', (text, why) => {
    let caught: unknown;
    try {
      parseHostPort(text, '127.0.0.1');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: ErrorCode.InvalidArgument });
    expect((caught as Error).message).toContain(JSON.stringify(text));
    expect((caught as Error).message).toMatch(why);
  });
});

describe('formatHostPort and isValidHost', () => {
  it('brackets IPv6', () => {
    expect(formatHostPort({ host: '::1', port: 10809 })).toBe('[::1]:10809');
    expect(formatHostPort({ host: '127.0.0.1', port: 10809 })).toBe('127.0.0.1:10809');
  });

  it('validates hosts', () => {
    expect(isValidHost('example.com')).toBe(true);
    expect(isValidHost('example.com.')).toBe(true);
    expect(isValidHost('a'.repeat(64))).toBe(false);
    expect(isValidHost('')).toBe(false);
    expect(isValidHost('1.2.3')).toBe(false);
  });
});
