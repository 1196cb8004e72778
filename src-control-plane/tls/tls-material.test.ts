import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureTlsMaterial, loadOperatorTls, loadTlsMaterial } from './tls-material.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cp-tls-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ensureTlsMaterial', () => {
  it('makes a P-256 CA and a server certificate for the loopback names on first start', { timeout: 20_000 }, async () => {
    const tls = await ensureTlsMaterial(join(dir, 'tls'), ['cp.example.test', '10.1.2.3']);
    expect(tls.createdCa).toBe(true);
    const ca = new X509Certificate(tls.caCertPem);
    const server = new X509Certificate(tls.certPem);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyType).toBe('ec');
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Date.parse(ca.validTo) - Date.now()).toBeGreaterThan(9.9 * 365 * 24 * 3600_000);
    expect(server.ca).toBe(false);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkIP('::1')).toBeDefined();
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('cp.example.test')).toBe('cp.example.test');
    expect(server.checkIP('10.1.2.3')).toBe('10.1.2.3');
    const days = (Date.parse(server.validTo) - Date.now()) / (24 * 3600_000);
    expect(days).toBeGreaterThan(700);
    expect(days).toBeLessThan(740);
    for (const [file, mode] of [['ca.crt', 0o644], ['ca.key', 0o600], ['server.crt', 0o644], ['server.key', 0o600]] as const) {
      expect((await stat(join(dir, 'tls', file))).mode & 0o777, file).toBe(mode);
    }
    expect(await readFile(join(dir, 'tls', 'ca.crt'), 'utf8')).toBe(tls.caCertPem);
    expect(tls.caFile).toBe(join(dir, 'tls', 'ca.crt'));
  });

  it('reuses the files on later starts', { timeout: 20_000 }, async () => {
    const first = await ensureTlsMaterial(dir, []);
    const second = await ensureTlsMaterial(dir, ['localhost']);
    expect(second.createdCa).toBe(false);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.certPem).toBe(first.certPem);
    expect(second.keyPem).toBe(first.keyPem);
  });

  it('reissues the server certificate from the same CA when a new name is asked for, keeping the old names', { timeout: 20_000 }, async () => {
    const first = await ensureTlsMaterial(dir, ['a.example.test']);
    const second = await ensureTlsMaterial(dir, ['b.example.test']);
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.certPem).not.toBe(first.certPem);
    const cert = new X509Certificate(second.certPem);
    expect(cert.checkHost('a.example.test')).toBeDefined();
    expect(cert.checkHost('b.example.test')).toBeDefined();
  });

  it('concurrent first starts sharing the folder end with one CA and one server certificate', { timeout: 30_000 }, async () => {
    const all = await Promise.all(Array.from({ length: 5 }, () => ensureTlsMaterial(dir, [])));
    expect(new Set(all.map((m) => m.caCertPem)).size).toBe(1);
    expect(new Set(all.map((m) => m.certPem)).size).toBe(1);
    expect(all.filter((m) => m.createdCa)).toHaveLength(1);
    expect(await readFile(join(dir, 'ca.crt'), 'utf8')).toBe(all[0]!.caCertPem);
  });

  it('remakes a CA whose certificate is missing (a crash between the two renames)', { timeout: 20_000 }, async () => {
    await ensureTlsMaterial(dir, []);
    await rm(join(dir, 'ca.crt'));
    const again = await ensureTlsMaterial(dir, []);
    expect(again.createdCa).toBe(true);
    expect(new X509Certificate(again.certPem).verify(new X509Certificate(again.caCertPem).publicKey)).toBe(true);
  });

  it('removes a stale lock left by a dead process', { timeout: 20_000 }, async () => {
    const { utimes } = await import('node:fs/promises');
    await writeFile(join(dir, '.lock'), '99999\n');
    const old = new Date(Date.now() - 5 * 60_000);
    await utimes(join(dir, '.lock'), old, old);
    const tls = await ensureTlsMaterial(dir, []);
    expect(tls.createdCa).toBe(true);
  });
});

describe('operator certificates', () => {
  it('loads a chain and key, with the CA from --tls-ca or the end of the chain', { timeout: 20_000 }, async () => {
    const own = await ensureTlsMaterial(join(dir, 'made'), []);
    await writeFile(join(dir, 'chain.pem'), own.certPem + own.caCertPem);
    await writeFile(join(dir, 'key.pem'), own.keyPem);
    await writeFile(join(dir, 'ca.pem'), own.caCertPem);
    const withCa = await loadOperatorTls(join(dir, 'chain.pem'), join(dir, 'key.pem'), join(dir, 'ca.pem'));
    expect(withCa.caCertPem).toBe(own.caCertPem);
    const fromChain = await loadTlsMaterial(dir, { names: [], certFile: join(dir, 'chain.pem'), keyFile: join(dir, 'key.pem'), caFile: null });
    expect(new X509Certificate(fromChain.caCertPem).fingerprint256).toBe(new X509Certificate(own.caCertPem).fingerprint256);
    expect(fromChain.caFile).toBe(join(dir, 'chain.pem'));
  });

  it('refuses a key that does not belong to the certificate', { timeout: 20_000 }, async () => {
    const a = await ensureTlsMaterial(join(dir, 'a'), []);
    const b = await ensureTlsMaterial(join(dir, 'b'), []);
    await writeFile(join(dir, 'cert.pem'), a.certPem);
    await writeFile(join(dir, 'key.pem'), b.keyPem);
    await expect(loadOperatorTls(join(dir, 'cert.pem'), join(dir, 'key.pem'), null)).rejects.toThrow(/not the key/);
  });
});
