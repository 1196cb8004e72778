import { createPublicKey, verify } from 'node:crypto';
import { chmod, readFile, stat, writeFile, readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/index.js';
import { CoreTempDirs } from '../test/support/core-temp-dirs.js';
import { controlDir, gatewayKeyPath, loadGatewayKey, loadOrCreateGatewayKey, publicKeyFromRaw } from './gateway-key.js';

const dirs = new CoreTempDirs('gateway-key');
afterEach(() => dirs.cleanup());

describe('gateway key', () => {
  it('is made on first use: folder 0700, file 0600, PKCS#8 Ed25519, no temp files left', async () => {
    const dataDir = await dirs.make();
    expect(await loadGatewayKey(dataDir)).toBeUndefined();
    const key = await loadOrCreateGatewayKey(dataDir);
    expect((await stat(controlDir(dataDir))).mode & 0o777).toBe(0o700);
    expect((await stat(gatewayKeyPath(dataDir))).mode & 0o777).toBe(0o600);
    const pem = await readFile(gatewayKeyPath(dataDir), 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    expect(await readdir(controlDir(dataDir))).toEqual(['gateway-key.pem']);
  });

  it('exports the raw 32-byte public key as base64url, the last 32 bytes of the SPKI DER', async () => {
    const key = await loadOrCreateGatewayKey(await dirs.make());
    const raw = Buffer.from(key.publicKeyRaw, 'base64url');
    expect(raw).toHaveLength(32);
    expect(key.publicKeyRaw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const spki = key.publicKey.export({ format: 'der', type: 'spki' });
    expect(spki.subarray(spki.length - 32).equals(raw)).toBe(true);
    // What a verifier rebuilds from the raw key checks our signatures.
    const data = Buffer.from('hello');
    expect(verify(null, data, publicKeyFromRaw(key.publicKeyRaw), Buffer.from(key.sign(data), 'base64url'))).toBe(true);
    expect(createPublicKey(key.privateKey).export({ format: 'jwk' }).x).toBe(key.publicKeyRaw);
  });

  it('is loaded again, unchanged, on the next start', async () => {
    const dataDir = await dirs.make();
    const a = await loadOrCreateGatewayKey(dataDir);
    const b = await loadOrCreateGatewayKey(dataDir);
    const c = await loadGatewayKey(dataDir);
    expect(b.publicKeyRaw).toBe(a.publicKeyRaw);
    expect(c?.publicKeyRaw).toBe(a.publicKeyRaw);
  });

  it('two creators racing end with one key', async () => {
    const dataDir = await dirs.make();
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateGatewayKey(dataDir)));
    expect(new Set(keys.map((k) => k.publicKeyRaw)).size).toBe(1);
    expect(await readdir(controlDir(dataDir))).toEqual(['gateway-key.pem']);
  });

  it('refuses a key file that group or others can read, with a clear error', async () => {
    const dataDir = await dirs.make();
    await loadOrCreateGatewayKey(dataDir);
    await chmod(gatewayKeyPath(dataDir), 0o644);
    const err = await loadOrCreateGatewayKey(dataDir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCode.UnsafePermissions });
    expect((err as Error).message).toContain('mode 0644');
    expect((err as Error).message).toContain('chmod 600');
    await chmod(gatewayKeyPath(dataDir), 0o640);
    await expect(loadGatewayKey(dataDir)).rejects.toMatchObject({ code: ErrorCode.UnsafePermissions });
  });

  it('refuses a file that is not an Ed25519 private key', async () => {
    const dataDir = await dirs.make();
    await loadOrCreateGatewayKey(dataDir);
    await writeFile(gatewayKeyPath(dataDir), 'not a key', { mode: 0o600 });
    await expect(loadGatewayKey(dataDir)).rejects.toMatchObject({ code: ErrorCode.Corrupt });
  });

  it('tightens an existing control folder to 0700', async () => {
    const dataDir = await dirs.make();
    await loadOrCreateGatewayKey(dataDir);
    await chmod(controlDir(dataDir), 0o755);
    await loadOrCreateGatewayKey(dataDir);
    expect((await stat(controlDir(dataDir))).mode & 0o777).toBe(0o700);
  });
});
