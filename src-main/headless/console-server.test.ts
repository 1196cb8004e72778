import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ControlPlaneError, ErrorCode, TidegateError } from '../../src-gateway-engine/index.js';
import { CONTENT_SECURITY_POLICY } from '../electron/content-security-policy.js';
import { ConsoleError } from '../ipc/console-error.js';
import type { IpcInvokeChannel, MetricSample } from '../ipc/ipc-contract.js';
import { CONSOLE_COOKIE } from './request-guard.js';
import { isLoopbackAddress, startConsoleServer, type RunningConsoleServer } from './console-server.js';

const TOKEN = 'T0ken_abcdefghijklmnopqrstuvwxyz0123456789-_';
const INDEX_HTML = '<!doctype html><title>Tidegate</title><script type="module" src="/assets/app.js"></script>\n';
const APP_JS = 'console.log("tidegate console");\n';
const SECRET = 'the contents of a file outside the renderer folder';

let dir: string;
let rendererDir: string;
let server: RunningConsoleServer;
let base: string;
let origin: string;
const cookie = `${CONSOLE_COOKIE}=${TOKEN}`;
const openSockets: WebSocket[] = [];
let calls: Array<{ channel: string; req: unknown }>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-console-'));
  rendererDir = join(dir, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), INDEX_HTML);
  await writeFile(join(rendererDir, 'assets', 'app.js'), APP_JS);
  // Things a path traversal would reach: next to the renderer folder.
  await writeFile(join(dir, 'package.json'), JSON.stringify({ secret: SECRET }));
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await mkdir(join(dir, 'renderer-other'), { recursive: true });
  await writeFile(join(dir, 'renderer-other', 'x.txt'), SECRET);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  calls = [];
  server = await startConsoleServer({ host: '127.0.0.1', port: 0, rendererDir, token: TOKEN });
  base = `http://127.0.0.1:${server.port}`;
  origin = base;
  const record = (channel: string) => async (req: unknown) => {
    calls.push({ channel, req });
    return { echoed: req ?? null };
  };
  server.register('volumes.list', record('volumes.list') as never);
  server.register('volumes.delete', record('volumes.delete') as never);
  server.register('volumes.create', (async (req: { throw?: string }) => {
    calls.push({ channel: 'volumes.create', req });
    switch (req?.throw) {
      case 'console':
        throw new ConsoleError('CONFIRMATION_MISMATCH', 'type the name again');
      case 'not-found':
        throw new TidegateError(ErrorCode.NotFound, 'no volume named x');
      case 'exists':
        throw new TidegateError(ErrorCode.AlreadyExists, 'volume x exists');
      case 'timeout':
        throw new TidegateError(ErrorCode.Timeout, 'too slow');
      case 'io':
        throw new TidegateError(ErrorCode.IoError, 'disk on fire');
      case 'control':
        throw new ControlPlaneError(ErrorCode.ControlPlaneRefused, 'the key expired', { controlCode: 'ACTIVATION_KEY_EXPIRED', httpStatus: 410 });
      case 'no-embedded':
        throw new ConsoleError('NO_EMBEDDED_CONTROL_PLANE', 'no embedded control plane');
      case 'plain':
        throw new Error('something broke');
      default:
        return { created: true };
    }
  }) as never);
  // Registered, but not a channel of the contract: must never be callable.
  server.register('debug.eval' as IpcInvokeChannel, (async () => {
    calls.push({ channel: 'debug.eval', req: null });
    return 'ran';
  }) as never);
});
afterEach(async () => {
  for (const ws of openSockets.splice(0)) ws.terminate();
  await server.close();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request sent exactly as written (fetch would normalize the path). */
function raw(path: string, o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port: server.port, path, method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(o.body);
  });
}

async function invoke(channel: string, body: unknown, headers: Record<string, string> = { cookie, origin }): Promise<{ status: number; json: { ok: boolean; result?: unknown; error?: { code: string; message: string } } }> {
  const res = await fetch(`${base}/api/invoke/${channel}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as never };
}

function connect(headers: Record<string, string>, path = '/api/events', wsOrigin?: string): Promise<{ ws: WebSocket; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, { headers, ...(wsOrigin !== undefined ? { origin: wsOrigin } : {}) });
    openSockets.push(ws);
    ws.on('open', () => resolve({ ws, status: null }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ ws, status: res.statusCode ?? -1 });
      ws.terminate();
    });
    ws.on('error', () => resolve({ ws, status: -1 }));
  });
}

async function until(what: string, ok: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the token', () => {
  it('trades ?token= for an HttpOnly SameSite=Strict cookie and a redirect without the token', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
    const res = await fetch(server.url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toContain(`${CONSOLE_COOKIE}=${TOKEN}`);
    expect(setCookie).toMatch(/;\s*HttpOnly/);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/);
    expect(setCookie).toMatch(/;\s*Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // plain http on loopback
    expect(res.headers.get('cache-control')).toBe('no-store');

    const deep = await fetch(`${base}/volumes?tab=iscsi&token=${TOKEN}`, { redirect: 'manual' });
    expect(deep.status).toBe(303);
    expect(deep.headers.get('location')).toBe('/volumes?tab=iscsi');
  });

  it('does not set a cookie for a wrong query token', async () => {
    const res = await fetch(`${base}/?token=nope`, { redirect: 'manual' });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('lets the cookie read pages and act with the right Origin', async () => {
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(INDEX_HTML);
    const r = await invoke('volumes.list', {}, { cookie, origin });
    expect(r).toEqual({ status: 200, json: { ok: true, result: { echoed: {} } } });
  });

  it('answers 401 without a token: JSON for the API, text for pages', async () => {
    const api = await fetch(`${base}/api/invoke/volumes.list`, { method: 'POST', headers: { origin }, body: '{}' });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await api.json()).toMatchObject({ ok: false, error: { code: 'TOKEN_REQUIRED' } });
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(401);
    expect(page.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await page.text()).not.toContain(INDEX_HTML);
    const asset = await fetch(`${base}/assets/app.js`);
    expect(asset.status).toBe(401);
    const wrong = await invoke('volumes.list', {}, { cookie: `${CONSOLE_COOKIE}=wrong`, origin });
    expect(wrong).toMatchObject({ status: 401, json: { error: { code: 'TOKEN_INVALID' } } });
    expect(calls).toEqual([]);
  });

  it('refuses POSTs from another origin, and cookie POSTs with no Origin, with 403', async () => {
    expect(await invoke('volumes.list', {}, { cookie, origin: 'https://evil.example' })).toMatchObject({ status: 403, json: { ok: false, error: { code: 'ORIGIN_REFUSED' } } });
    expect(await invoke('volumes.list', {}, { cookie })).toMatchObject({ status: 403, json: { error: { code: 'ORIGIN_REFUSED' } } });
    expect(calls).toEqual([]);
    // A script with the bearer token needs no Origin.
    expect(await invoke('volumes.list', {}, { authorization: `Bearer ${TOKEN}` })).toMatchObject({ status: 200, json: { ok: true } });
  });

  it('refuses a Host that is not loopback (DNS rebinding)', async () => {
    const r = await raw('/api/invoke/volumes.list', { method: 'POST', headers: { host: `evil.example:${server.port}`, authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'HOST_REFUSED' } });
    expect(calls).toEqual([]);
  });
});

describe('/api/invoke', () => {
  const bearer = { authorization: `Bearer ${TOKEN}` };

  it('passes the parsed request to the handler and its result back', async () => {
    const r = await invoke('volumes.delete', { name: 'vol1', confirmName: 'vol1' }, bearer);
    expect(r).toEqual({ status: 200, json: { ok: true, result: { echoed: { name: 'vol1', confirmName: 'vol1' } } } });
    expect(calls).toEqual([{ channel: 'volumes.delete', req: { name: 'vol1', confirmName: 'vol1' } }]);
  });

  it('calls a handler with no request for an empty body or JSON null', async () => {
    const empty = await fetch(`${base}/api/invoke/volumes.list`, { method: 'POST', headers: bearer });
    expect(await empty.json()).toEqual({ ok: true, result: { echoed: null } });
    await invoke('volumes.list', 'null', bearer);
    expect(calls).toEqual([
      { channel: 'volumes.list', req: undefined },
      { channel: 'volumes.list', req: undefined },
    ]);
  });

  it('answers 404 UNKNOWN_CHANNEL for a channel nobody registered or that is not in the contract', async () => {
    for (const channel of ['volumes.nope', 'debug.eval', 'constructor', '__proto__', 'storage.describe', '']) {
      const r = await invoke(channel, {}, bearer);
      expect(r.status, channel).toBe(404);
      expect(r.json.error?.code, channel).toBe(channel === '' ? 'UNKNOWN_CHANNEL' : 'UNKNOWN_CHANNEL');
    }
    expect(calls).toEqual([]);
  });

  it('maps errors to their code and an HTTP status', async () => {
    const cases: Array<[string, number, string]> = [
      ['console', 400, 'CONFIRMATION_MISMATCH'],
      ['not-found', 404, 'NOT_FOUND'],
      ['exists', 409, 'ALREADY_EXISTS'],
      ['timeout', 504, 'TIMEOUT'],
      ['io', 500, 'IO_ERROR'],
      ['control', 422, 'ACTIVATION_KEY_EXPIRED'],
      ['no-embedded', 422, 'NO_EMBEDDED_CONTROL_PLANE'],
      ['plain', 500, 'INTERNAL'],
    ];
    for (const [kind, status, code] of cases) {
      const r = await invoke('volumes.create', { throw: kind }, bearer);
      expect(r.status, kind).toBe(status);
      expect(r.json.ok, kind).toBe(false);
      expect(r.json.error?.code, kind).toBe(code);
      expect(r.json.error?.message, kind).toBeTypeOf('string');
    }
    expect((await invoke('volumes.create', { throw: 'plain' }, bearer)).json.error?.message).toBe('something broke');
  });

  it('answers 400 INVALID_ARGUMENT for malformed JSON, without calling the handler', async () => {
    for (const body of ['{', '{"name": }', 'undefined', "{'a':1}"]) {
      const r = await invoke('volumes.list', body, bearer);
      expect(r.status, body).toBe(400);
      expect(r.json.error?.code, body).toBe('INVALID_ARGUMENT');
    }
    expect(calls).toEqual([]);
  });

  it('answers 400 for a body over 256 KiB, without calling the handler, and keeps serving', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(256 * 1024) });
    const r = await raw('/api/invoke/volumes.list', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(big)) }, body: big });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: expect.stringContaining('larger than') } });
    // Just under the limit is fine.
    const fits = JSON.stringify({ pad: 'x'.repeat(256 * 1024 - 20) });
    expect((await invoke('volumes.list', fits, bearer)).status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('answers 405 to a GET on an invoke path, and 404 JSON to an unknown API path', async () => {
    const get = await fetch(`${base}/api/invoke/volumes.list`, { headers: { cookie } });
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ ok: false, error: { code: 'METHOD_NOT_ALLOWED' } });
    const unknown = await fetch(`${base}/api/nothing-here`, { headers: { cookie } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(calls).toEqual([]);
  });

  it('sends no-store and the security headers on API answers', async () => {
    const res = await fetch(`${base}/api/invoke/volumes.list`, { method: 'POST', headers: bearer, body: '{}' });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('static files', () => {
  it('serves index.html with the CSP and security headers, and never caches it', async () => {
    const res = await fetch(`${base}/`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toBe(INDEX_HTML);
  });

  it('serves assets with their type and a long cache, and HEAD without a body', async () => {
    const res = await fetch(`${base}/assets/app.js`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(APP_JS)));
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await res.text()).toBe(APP_JS);
    const head = await raw('/assets/app.js', { method: 'HEAD', headers: { cookie } });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers index.html for page routes and folders, 404 for unknown assets', async () => {
    for (const path of ['/volumes', '/volumes/vol1', '/assets', '/assets/']) {
      const res = await fetch(`${base}${path}`, { headers: { cookie } });
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(INDEX_HTML);
    }
    for (const path of ['/assets/missing.js', '/favicon.ico', '/app.css']) {
      const res = await fetch(`${base}${path}`, { headers: { cookie } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
  });

  it('never serves a file outside the renderer folder', async () => {
    const paths = [
      '/../package.json',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%2e%2e%5csecret.txt',
      '/../renderer-other/x.txt',
      '/..%2frenderer-other%2fx.txt',
      `/${'%2e%2e%2f'.repeat(8)}${dir.slice(1)}/secret.txt`,
      '/%252e%252e%252fsecret.txt',
      '/%ff%fe.txt',
    ];
    for (const path of paths) {
      const r = await raw(path, { headers: { cookie } });
      expect(r.body, path).not.toContain(SECRET);
      expect(r.status, path).toBe(404);
    }
    // With no extension it is a page route: index.html, never the file.
    for (const path of [`/${'%2e%2e%2f'.repeat(8)}etc/passwd`, '/../../../../etc/passwd', '/%2fetc%2fpasswd']) {
      const r = await raw(path, { headers: { cookie } });
      expect(r.status, path).toBe(200);
      expect(r.body, path).toBe(INDEX_HTML);
    }
  });

  it('answers 405 to a POST on a page', async () => {
    const res = await fetch(`${base}/`, { method: 'POST', headers: { cookie, origin } });
    expect(res.status).toBe(405);
  });

  it('answers 503 when the renderer is not built', async () => {
    const empty = await mkdtemp(join(dir, 'empty-'));
    const s = await startConsoleServer({ host: '127.0.0.1', port: 0, rendererDir: empty, token: TOKEN });
    try {
      const res = await fetch(`http://127.0.0.1:${s.port}/`, { headers: { cookie } });
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('not built');
    } finally {
      await s.close();
    }
  });
});

describe('/api/events', () => {
  const sample = { ts: 1_700_000_000_000, intervalMs: 1000, readOpsPerSec: 5 } as MetricSample;

  it('streams emitted events to a browser with the cookie and the right Origin, and counts watchers', async () => {
    expect(server.watchers).toBe(0);
    server.emit('metrics.sample', sample); // nobody listening: nothing happens
    const { ws, status } = await connect({ cookie }, '/api/events', origin);
    expect(status).toBeNull();
    await until('one watcher', () => server.watchers === 1);
    const got: unknown[] = [];
    ws.on('message', (data) => got.push(JSON.parse(String(data))));
    server.emit('metrics.sample', sample);
    server.emit('volumes.syncProgress', { name: 'v', phase: 'done', totalBytes: 1, remainingBytes: 0, recoveryPoint: null, error: null });
    await until('two events', () => got.length === 2);
    expect(got).toEqual([
      { event: 'metrics.sample', payload: sample },
      { event: 'volumes.syncProgress', payload: { name: 'v', phase: 'done', totalBytes: 1, remainingBytes: 0, recoveryPoint: null, error: null } },
    ]);

    const second = await connect({ cookie }, '/api/events', origin);
    expect(second.status).toBeNull();
    await until('two watchers', () => server.watchers === 2);
    second.ws.close();
    await until('one watcher again', () => server.watchers === 1);
  });

  it('refuses the upgrade without a token, from another origin, on the cookie without Origin, and elsewhere', async () => {
    expect((await connect({}, '/api/events', origin)).status).toBe(401);
    expect((await connect({ cookie }, '/api/events', 'https://evil.example')).status).toBe(403);
    expect((await connect({ cookie })).status).toBe(403);
    expect((await connect({ cookie: `${CONSOLE_COOKIE}=wrong` }, '/api/events', origin)).status).toBe(401);
    expect((await connect({ cookie }, '/api/other', origin)).status).toBe(404);
    expect((await connect({}, `/api/events?token=${TOKEN}`, origin)).status).toBe(404);
    expect((await connect({ host: `evil.example:${server.port}`, authorization: `Bearer ${TOKEN}` })).status).toBe(403);
    expect(server.watchers).toBe(0);
    // A script with the bearer token may listen.
    expect((await connect({ authorization: `Bearer ${TOKEN}` })).status).toBeNull();
  });

  it('close() ends the event sockets and open connections', async () => {
    const { ws } = await connect({ cookie }, '/api/events', origin);
    await until('one watcher', () => server.watchers === 1);
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await fetch(`${base}/`, { headers: { cookie } }); // a keep-alive connection
    const t0 = Date.now();
    await server.close();
    await closed;
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(server.watchers).toBe(0);
    await expect(fetch(`${base}/`, { headers: { cookie } })).rejects.toThrow();
    // afterEach closes again: that must be harmless.
    server = { close: async () => undefined } as unknown as RunningConsoleServer;
  });
});

describe('where the console listens', () => {
  it('needs TLS beyond loopback', async () => {
    await expect(startConsoleServer({ host: '0.0.0.0', port: 0, rendererDir, token: TOKEN })).rejects.toThrow(/TLS/);
    expect(isLoopbackAddress('127.0.0.1')).toBe(true);
    expect(isLoopbackAddress('127.8.9.10')).toBe(true);
    expect(isLoopbackAddress('::1')).toBe(true);
    expect(isLoopbackAddress('localhost')).toBe(true);
    expect(isLoopbackAddress('0.0.0.0')).toBe(false);
    expect(isLoopbackAddress('10.0.0.1')).toBe(false);
    expect(isLoopbackAddress('127.0.0.1.example')).toBe(false);
  });

  it('works on another loopback address (127.0.0.2)', async () => {
    const s = await startConsoleServer({ host: '127.0.0.2', port: 0, rendererDir, token: TOKEN });
    try {
      expect(s.url).toBe(`http://127.0.0.2:${s.port}/?token=${TOKEN}`);
      const res = await fetch(`http://127.0.0.2:${s.port}/`, { headers: { cookie } });
      expect(res.status).toBe(200);
    } finally {
      await s.close();
    }
  });
});
