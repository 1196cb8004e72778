/**
 * The console over TLS (what it serves when bound beyond loopback): a certificate from the
 * deployment's own CA, the Secure cookie, and the origin check on the https scheme.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTlsMaterial } from '../../src-control-plane/index.js';
import { startConsoleServer, type RunningConsoleServer } from './console-server.js';

const TOKEN = 'tls_token_abcdefghijklmnopqrstuvwxyz0123456789';
let dir: string;
let server: RunningConsoleServer;
let caPem: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-console-tls-'));
  await mkdir(join(dir, 'renderer'));
  await writeFile(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Tidegate</title>\n');
  const tls = await ensureTlsMaterial(join(dir, 'console-tls'), ['127.0.0.1']);
  caPem = tls.caCertPem;
  server = await startConsoleServer({ host: '127.0.0.1', port: 0, rendererDir: join(dir, 'renderer'), token: TOKEN, tls: { certPem: tls.certPem, keyPem: tls.keyPem } });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, method, headers, ca: caPem }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

it('prints an https URL and serves with a certificate its CA vouches for', async () => {
  expect(server.url).toBe(`https://127.0.0.1:${server.port}/?token=${TOKEN}`);
  expect((await get('/')).status).toBe(401);
});

it('trades the token for a Secure, HttpOnly, SameSite=Strict cookie', async () => {
  const r = await get(`/?token=${TOKEN}`);
  expect(r.status).toBe(303);
  expect(String(r.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Secure/);
});

it('compares the Origin on the https scheme', async () => {
  const own = `https://127.0.0.1:${server.port}`;
  const cookie = `tidegate_console=${TOKEN}`;
  const refused = await get('/api/invoke/app.info', { cookie, origin: `http://127.0.0.1:${server.port}` }, 'POST');
  expect(refused.status).toBe(403);
  const unknown = await get('/api/invoke/app.info', { cookie, origin: own }, 'POST');
  // Nothing registered here: past the guard, the channel has no handler.
  expect(JSON.parse(unknown.body).error.code).toBe('UNKNOWN_CHANNEL');
});

it('refuses to listen beyond loopback without TLS', async () => {
  await expect(startConsoleServer({ host: '0.0.0.0', port: 0, rendererDir: join(dir, 'renderer'), token: TOKEN })).rejects.toThrow(/needs TLS/);
});
