/**
 * Who may use the headless console. Every request needs the token: as the `token` query
 * parameter once (answered with an HttpOnly, SameSite=Strict cookie and a redirect that drops
 * it from the address bar), then the cookie, or `Authorization: Bearer` for scripts.
 * Requests that act (POST, the event WebSocket) must also come from the console's own origin
 * when they carry an Origin header, and must carry one when they rely on the cookie — a page
 * of another site can neither read nor drive the console. On loopback the Host header must
 * name the loopback address too, which defeats DNS rebinding.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const CONSOLE_COOKIE = 'tidegate_console';

export type GuardVerdict =
  | { ok: true; via: 'cookie' | 'bearer' | 'query' }
  | { ok: false; status: 401 | 403; code: 'TOKEN_REQUIRED' | 'TOKEN_INVALID' | 'ORIGIN_REFUSED' | 'HOST_REFUSED'; message: string };

export interface GuardOptions {
  token: string;
  /** http or https. */
  scheme: 'http' | 'https';
  /** The console listens on a loopback address. */
  loopback: boolean;
  /** The port it listens on. */
  port: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Decide whether a request may proceed; `acting` marks POSTs and WebSocket upgrades. */
export function guardRequest(req: IncomingMessage, o: GuardOptions, acting: boolean): GuardVerdict {
  const host = req.headers.host ?? '';
  if (o.loopback && !isLoopbackHost(host, o.port)) {
    return { ok: false, status: 403, code: 'HOST_REFUSED', message: `this console answers only on the loopback address (Host ${JSON.stringify(host)} refused)` };
  }
  const presented = presentedToken(req);
  if (presented === null) {
    return { ok: false, status: 401, code: 'TOKEN_REQUIRED', message: 'open the console with the URL that `tidegate serve --console` printed (its token is also in DATA_DIR/console-token)' };
  }
  if (!sameSecret(presented.token, o.token)) return { ok: false, status: 401, code: 'TOKEN_INVALID', message: 'the console token is wrong or was replaced: open the URL that `tidegate serve --console` printed' };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${o.scheme}://${host}`) {
    return { ok: false, status: 403, code: 'ORIGIN_REFUSED', message: `requests from ${origin} are refused: only the console's own pages may call it` };
  }
  if (acting && origin === undefined && presented.via === 'cookie') {
    return { ok: false, status: 403, code: 'ORIGIN_REFUSED', message: 'a request that acts with the console cookie must carry an Origin header' };
  }
  return { ok: true, via: presented.via };
}

/** The `Set-Cookie` value that carries the token after a `?token=` visit. */
export function tokenCookie(token: string, secure: boolean): string {
  return `${CONSOLE_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

function presentedToken(req: IncomingMessage): { token: string; via: 'cookie' | 'bearer' | 'query' } | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { token: auth.slice(7).trim(), via: 'bearer' };
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
  if (q !== null) return { token: q, via: 'query' };
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === CONSOLE_COOKIE) return { token: v.join('='), via: 'cookie' };
  }
  return null;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isLoopbackHost(host: string, port: number): boolean {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  if (m === null) return false;
  const name = m[1]!.toLowerCase();
  // Any 127.x.y.z literal: the console may listen on 127.0.0.2 (an IP literal cannot be rebound).
  return (LOOPBACK_HOSTS.has(name) || /^127(\.\d{1,3}){3}$/.test(name)) && (m[2] === undefined ? port === 80 : Number(m[2]) === port);
}
