import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { CONSOLE_COOKIE, guardRequest, tokenCookie, type GuardOptions } from './request-guard.js';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuvwxyzABCD';
const PORT = 4817;
const HOST = `127.0.0.1:${PORT}`;
const ORIGIN = `http://${HOST}`;
const o: GuardOptions = { token: TOKEN, scheme: 'http', loopback: true, port: PORT };

function req(headers: Record<string, string>, url = '/'): IncomingMessage {
  return { headers: { host: HOST, ...headers }, url } as unknown as IncomingMessage;
}
const cookie = (t = TOKEN): string => `${CONSOLE_COOKIE}=${t}`;

describe('guardRequest: the token', () => {
  it('refuses a request without a token with 401 TOKEN_REQUIRED', () => {
    for (const acting of [false, true]) {
      expect(guardRequest(req({}), o, acting)).toMatchObject({ ok: false, status: 401, code: 'TOKEN_REQUIRED' });
    }
    // Other cookies, other auth schemes, an empty query are not a token.
    expect(guardRequest(req({ cookie: 'theme=dark; session=abc', authorization: `Basic ${TOKEN}` }, '/?tok=x'), o, false)).toMatchObject({ code: 'TOKEN_REQUIRED' });
  });

  it('refuses a wrong token with 401 TOKEN_INVALID, however it is presented', () => {
    const wrong = TOKEN.slice(0, -1) + 'E';
    expect(guardRequest(req({ authorization: `Bearer ${wrong}` }), o, false)).toMatchObject({ ok: false, status: 401, code: 'TOKEN_INVALID' });
    expect(guardRequest(req({}, `/?token=${wrong}`), o, false)).toMatchObject({ ok: false, status: 401, code: 'TOKEN_INVALID' });
    expect(guardRequest(req({ cookie: cookie(wrong) }), o, false)).toMatchObject({ ok: false, status: 401, code: 'TOKEN_INVALID' });
    // A prefix or an extension of the token is wrong too.
    expect(guardRequest(req({ cookie: cookie(TOKEN.slice(0, 10)) }), o, false)).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(guardRequest(req({ cookie: cookie(`${TOKEN}x`) }), o, false)).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(guardRequest(req({ authorization: 'Bearer ' }), o, false)).toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('accepts the token as a bearer, a query parameter or the cookie, and says which', () => {
    expect(guardRequest(req({ authorization: `Bearer ${TOKEN}` }), o, true)).toEqual({ ok: true, via: 'bearer' });
    expect(guardRequest(req({}, `/volumes?x=1&token=${TOKEN}`), o, false)).toEqual({ ok: true, via: 'query' });
    expect(guardRequest(req({ cookie: `theme=dark; ${cookie()}; lang=fr` }), o, false)).toEqual({ ok: true, via: 'cookie' });
  });
});

describe('guardRequest: the origin', () => {
  it('refuses a request from another site with 403 ORIGIN_REFUSED, even with the right token', () => {
    for (const origin of ['https://evil.example', `http://127.0.0.1:${PORT + 1}`, `https://${HOST}`, 'null', `http://localhost:${PORT}`]) {
      for (const acting of [false, true]) {
        expect(guardRequest(req({ cookie: cookie(), origin }), o, acting)).toMatchObject({ ok: false, status: 403, code: 'ORIGIN_REFUSED' });
        expect(guardRequest(req({ authorization: `Bearer ${TOKEN}`, origin }), o, acting)).toMatchObject({ ok: false, status: 403, code: 'ORIGIN_REFUSED' });
      }
    }
  });

  it("accepts the console's own origin", () => {
    expect(guardRequest(req({ cookie: cookie(), origin: ORIGIN }), o, true)).toEqual({ ok: true, via: 'cookie' });
  });

  it('refuses an acting request on the cookie without an Origin header, but lets it read', () => {
    expect(guardRequest(req({ cookie: cookie() }), o, true)).toMatchObject({ ok: false, status: 403, code: 'ORIGIN_REFUSED' });
    expect(guardRequest(req({ cookie: cookie() }), o, false)).toEqual({ ok: true, via: 'cookie' });
  });

  it('lets a bearer (a script, not a browser) act without an Origin header', () => {
    expect(guardRequest(req({ authorization: `Bearer ${TOKEN}` }), o, true)).toEqual({ ok: true, via: 'bearer' });
  });

  it('compares the origin with https when the console is served over TLS', () => {
    const tls = { ...o, scheme: 'https' as const };
    expect(guardRequest(req({ cookie: cookie(), origin: `https://${HOST}` }), tls, true)).toEqual({ ok: true, via: 'cookie' });
    expect(guardRequest(req({ cookie: cookie(), origin: ORIGIN }), tls, true)).toMatchObject({ code: 'ORIGIN_REFUSED' });
  });
});

describe('guardRequest: the Host header on loopback', () => {
  const ok = (host: string): boolean => guardRequest(req({ host, authorization: `Bearer ${TOKEN}` }), o, false).ok;

  it('accepts the loopback names on the right port', () => {
    expect(ok(`127.0.0.1:${PORT}`)).toBe(true);
    expect(ok(`localhost:${PORT}`)).toBe(true);
    expect(ok(`LocalHost:${PORT}`)).toBe(true);
    expect(ok(`[::1]:${PORT}`)).toBe(true);
    // The console may listen on any 127.x address (isLoopbackAddress says so); its Host must pass.
    expect(ok(`127.0.0.2:${PORT}`)).toBe(true);
    expect(ok(`127.1.2.3:${PORT}`)).toBe(true);
  });

  it('refuses another port, a missing port (80), a rebinding name, and garbage with 403 HOST_REFUSED', () => {
    for (const host of [`127.0.0.1:${PORT + 1}`, '127.0.0.1', 'localhost', `evil.example:${PORT}`, `localhost.evil.example:${PORT}`, `127.0.0.1.nip.io:${PORT}`, `127.0.0.evil.example:${PORT}`, `128.0.0.1:${PORT}`, `[::2]:${PORT}`, '', `127.0.0.1:${PORT}:1`, `::1:${PORT}`]) {
      expect(guardRequest(req({ host, authorization: `Bearer ${TOKEN}` }), o, false), host).toMatchObject({ ok: false, status: 403, code: 'HOST_REFUSED' });
    }
  });

  it('checks the Host before the token (a rebinding page learns nothing about the token)', () => {
    expect(guardRequest(req({ host: `evil.example:${PORT}` }), o, false)).toMatchObject({ code: 'HOST_REFUSED' });
  });

  it('accepts a missing port when the console listens on port 80', () => {
    expect(guardRequest(req({ host: 'localhost', authorization: `Bearer ${TOKEN}` }), { ...o, port: 80 }, false).ok).toBe(true);
  });

  it('does not check the Host when the console listens beyond loopback', () => {
    const wide = { ...o, loopback: false, scheme: 'https' as const };
    expect(guardRequest(req({ host: `gateway.office.example:${PORT}`, authorization: `Bearer ${TOKEN}` }), wide, false)).toEqual({ ok: true, via: 'bearer' });
    expect(guardRequest(req({ host: `gateway.office.example:${PORT}`, cookie: cookie(), origin: `https://gateway.office.example:${PORT}` }), wide, true)).toEqual({ ok: true, via: 'cookie' });
  });
});

describe('tokenCookie', () => {
  it('is HttpOnly, SameSite=Strict, for the whole site, and Secure only over TLS', () => {
    expect(tokenCookie(TOKEN, false)).toBe(`${CONSOLE_COOKIE}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`);
    expect(tokenCookie(TOKEN, true)).toBe(`${CONSOLE_COOKIE}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict; Secure`);
  });
});
