/**
 * Control-plane addresses. A control plane is named by its HTTPS origin
 * (`https://host[:port]`); every API path, the management WebSocket's included, hangs off
 * that origin (docs/control-plane.md).
 */
import { ErrorCode, TidegateError } from '../errors/index.js';

/** The normalised origin of a control-plane URL; throws INVALID_ARGUMENT unless it is `https://host[:port][/]`. */
export function controlPlaneOrigin(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TidegateError(ErrorCode.InvalidArgument, `not a control-plane URL: ${JSON.stringify(url)} (expected https://host[:port])`);
  }
  if (u.protocol !== 'https:') throw new TidegateError(ErrorCode.InvalidArgument, `the control-plane URL must use https (got ${JSON.stringify(url)})`);
  if (u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '' || (u.pathname !== '/' && u.pathname !== '')) {
    throw new TidegateError(ErrorCode.InvalidArgument, `the control-plane URL must be just https://host[:port] (got ${JSON.stringify(url)})`);
  }
  return u.origin;
}

/** The management WebSocket URL of a control-plane origin (`wss://host:port/v1/connect`). */
export function connectUrl(origin: string, connectPath = '/v1/connect'): URL {
  const u = new URL(connectPath, origin);
  u.protocol = 'wss:';
  return u;
}

/** The host name to give TLS and net.connect (IPv6 literals without brackets). */
export function hostOf(u: URL): string {
  return u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
}

/** The TCP port of an https/wss URL. */
export function portOf(u: URL): number {
  return u.port === '' ? 443 : Number(u.port);
}
