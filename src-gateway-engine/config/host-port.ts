import { isIPv4, isIPv6 } from 'node:net';
import { ErrorCode, TidegateError } from '../errors/index.js';

/** A listen address. */
export interface HostPort {
  readonly host: string;
  /** 0–65535; 0 asks the OS for any free port. */
  readonly port: number;
}

const HOSTNAME_LABEL_RE = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

function bad(text: string, why: string): TidegateError {
  return new TidegateError(ErrorCode.InvalidArgument, `invalid address ${JSON.stringify(text)}: ${why}`);
}

/**
 * Parses a listen address: "127.0.0.1:10809", "[::1]:10809", "gw.local:10809",
 * ":10809" or "10809" (the last two use `defaultHost`). IPv6 hosts need brackets.
 * Throws INVALID_ARGUMENT naming the bad text.
 */
export function parseHostPort(text: string, defaultHost: string): HostPort {
  if (typeof text !== 'string') {
    throw new TidegateError(ErrorCode.InvalidArgument, `invalid address ${String(text)}: expected a string such as "127.0.0.1:10809"`);
  }
  const t = text.trim();
  if (t === '') throw bad(text, 'empty; expected host:port, :port or port');
  let host: string;
  let portText: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close === -1) throw bad(text, 'missing "]" after the IPv6 address');
    host = t.slice(1, close);
    const rest = t.slice(close + 1);
    if (!rest.startsWith(':')) throw bad(text, rest === '' ? 'missing ":port" after the IPv6 address' : 'expected ":port" after "]"');
    portText = rest.slice(1);
    if (!isIPv6(host)) throw bad(text, `"${host}" is not an IPv6 address`);
  } else if (/^\d+$/.test(t)) {
    host = defaultHost;
    portText = t;
  } else {
    const colon = t.lastIndexOf(':');
    if (colon === -1) throw bad(text, 'missing port; expected host:port');
    host = t.slice(0, colon);
    portText = t.slice(colon + 1);
    if (host.includes(':')) throw bad(text, 'an IPv6 address needs brackets, e.g. "[::1]:10809"');
    if (host === '') host = defaultHost;
    else checkHost(text, host);
  }
  return { host, port: parsePort(text, portText) };
}

/** Formats an address for logs and URLs: "127.0.0.1:10809", "[::1]:10809". */
export function formatHostPort(addr: HostPort): string {
  return addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/** True when `host` is an IPv4/IPv6 address or a valid DNS hostname. */
export function isValidHost(host: string): boolean {
  if (typeof host !== 'string' || host === '') return false;
  if (isIPv4(host) || isIPv6(host)) return true;
  if (/^[\d.]+$/.test(host)) return false; // looks numeric but is not a valid IPv4 address
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => HOSTNAME_LABEL_RE.test(l));
}

/** True for an integer 0–65535. */
export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535;
}

function checkHost(text: string, host: string): void {
  if (!isValidHost(host)) throw bad(text, `"${host}" is not a valid IP address or host name`);
}

function parsePort(text: string, portText: string): number {
  if (portText === '') throw bad(text, 'missing port');
  if (!/^\d+$/.test(portText)) throw bad(text, `port "${portText}" is not a number`);
  const port = Number(portText);
  if (port > 65535) throw bad(text, `port ${portText} is out of range 0-65535`);
  return port;
}
