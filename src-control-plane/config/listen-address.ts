/**
 * Listen addresses of the control plane: "127.0.0.1:9443", "[::1]:9443", "cp.example:9443",
 * ":9443" or "9443" (the last two use the default host). IPv6 hosts need brackets.
 */
import { isIP } from 'node:net';

/** Where a server listens. */
export interface ListenAddress {
  readonly host: string;
  /** 0–65535; 0 asks the OS for a free port. */
  readonly port: number;
}

const HOSTNAME_RE = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** True for an IP address or a DNS host name. */
export function isValidHostName(host: string): boolean {
  return isIP(host) !== 0 || (HOSTNAME_RE.test(host) && !/^[\d.]+$/.test(host));
}

/** Parse "host:port"; throws a RangeError naming the text and what is wrong with it. */
export function parseListenAddress(text: string, defaultHost: string): ListenAddress {
  const t = text.trim();
  const bad = (why: string): RangeError => new RangeError(`invalid address ${JSON.stringify(text)}: ${why}`);
  let host: string;
  let portText: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0 || t[close + 1] !== ':') throw bad('expected "[ipv6]:port"');
    host = t.slice(1, close);
    portText = t.slice(close + 2);
    if (isIP(host) !== 6) throw bad(`"${host}" is not an IPv6 address`);
  } else if (/^\d+$/.test(t)) {
    host = defaultHost;
    portText = t;
  } else {
    const colon = t.lastIndexOf(':');
    if (colon < 0) throw bad('missing port; expected host:port');
    host = t.slice(0, colon) || defaultHost;
    portText = t.slice(colon + 1);
    if (host.includes(':')) throw bad('an IPv6 address needs brackets, e.g. "[::1]:9443"');
    if (!isValidHostName(host)) throw bad(`"${host}" is not a valid IP address or host name`);
  }
  if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw bad(`port "${portText}" is not a number in 0-65535`);
  return { host, port: Number(portText) };
}

/** "127.0.0.1:9443" or "[::1]:9443". */
export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
