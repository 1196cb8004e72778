/**
 * The TLS files of a deployment in `<dataDir>/tls/`: `ca.crt`, `ca.key` (0600), `server.crt`,
 * `server.key` (0600). Made on first start, reused afterwards; servers of one deployment may
 * share the folder and start at the same moment.
 *
 * Lock discipline:
 *  - Readers take the four files only when all exist and `server.key` matches `server.crt`;
 *    otherwise they wait and look again (a writer is between its renames).
 *  - Exactly one writer at a time: it holds `tls/.lock`, made with exclusive create. A lock
 *    older than STALE_LOCK_MS belongs to a process that died mid-way and is removed.
 *  - Under the lock the writer looks again (someone may have just finished), then writes each
 *    missing file as a temporary file (exclusive create, final mode) renamed into place:
 *    `ca.key` before `ca.crt`, `server.key` before `server.crt`. A crash leaves either the old
 *    file or the new one, never a torn one; a half-made CA (key without cert) is remade.
 *  - The server certificate is reissued by the same CA when it lacks a requested name or
 *    expires within 30 days; the reissued one keeps the names the old one had.
 */
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { TlsConfig } from '../config/control-plane-config.js';
import { createCertificateAuthority, createServerCertificate, subjectAltNames, type CertificateAndKey } from './certificate-authority.js';

/** What the https server and the activation answer need. */
export interface TlsMaterial {
  /** Server certificate chain (PEM). */
  certPem: string;
  keyPem: string;
  /** The CA gateways pin (PEM). */
  caCertPem: string;
  /** A file holding `caCertPem`, for `--ca-file` of gateways and the CLI. */
  caFile: string;
  /** True when this call made the CA (first start). */
  createdCa: boolean;
}

/** File names inside the TLS folder. */
export const TLS_FILES = Object.freeze({ caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'server.crt', serverKey: 'server.key', lock: '.lock' });

const STALE_LOCK_MS = 60_000;
const WAIT_STEP_MS = 50;
const WAIT_LIMIT_MS = 120_000;
const RENEW_BEFORE_MS = 30 * 24 * 3600_000;

/** The TLS material a server uses: the operator's files when configured, else the deployment's own CA in `<dataDir>/tls`. */
export async function loadTlsMaterial(dataDir: string, tls: TlsConfig): Promise<TlsMaterial> {
  if (tls.certFile !== null && tls.keyFile !== null) return loadOperatorTls(tls.certFile, tls.keyFile, tls.caFile);
  return ensureTlsMaterial(join(dataDir, 'tls'), tls.names);
}

/** Make (first start) or reuse the CA and server certificate in `dir`; safe against concurrent first starts. */
export async function ensureTlsMaterial(dir: string, names: readonly string[], now: () => Date = () => new Date()): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (true) {
    const found = await readComplete(dir);
    if (found !== null && serverCertFits(found.server.certPem, names, now())) {
      return { certPem: found.server.certPem, keyPem: found.server.keyPem, caCertPem: found.ca.certPem, caFile: join(dir, TLS_FILES.caCert), createdCa: false };
    }
    const lock = await tryLock(dir);
    if (lock) {
      try {
        return await writeMissing(dir, names, now());
      } finally {
        await unlink(join(dir, TLS_FILES.lock)).catch(() => undefined);
      }
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for another server to write the TLS files in ${dir} (remove ${join(dir, TLS_FILES.lock)} if no server is starting)`);
    await sleep(WAIT_STEP_MS);
  }
}

/** An operator's certificate chain and key; the CA is `caFile`, or else the last certificate of the chain. */
export async function loadOperatorTls(certFile: string, keyFile: string, caFile: string | null): Promise<TlsMaterial> {
  const certPem = await readFile(certFile, 'utf8');
  const keyPem = await readFile(keyFile, 'utf8');
  const chain = certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (chain.length === 0) throw new Error(`${certFile} holds no PEM certificate`);
  if (!new X509Certificate(chain[0]!).checkPrivateKey(createPrivateKey(keyPem))) throw new Error(`${keyFile} is not the key of the certificate in ${certFile}`);
  const caCertPem = caFile === null ? `${chain[chain.length - 1]!}\n` : await readFile(caFile, 'utf8');
  return { certPem, keyPem, caCertPem, caFile: caFile ?? certFile, createdCa: false };
}

interface TlsFiles {
  ca: CertificateAndKey;
  server: CertificateAndKey;
}

async function writeMissing(dir: string, names: readonly string[], now: Date): Promise<TlsMaterial> {
  let ca = await readPair(dir, TLS_FILES.caCert, TLS_FILES.caKey);
  let createdCa = false;
  if (ca === null) {
    ca = await createCertificateAuthority(now);
    await writeAtomically(join(dir, TLS_FILES.caKey), ca.keyPem, 0o600);
    await writeAtomically(join(dir, TLS_FILES.caCert), ca.certPem, 0o644);
    createdCa = true;
  }
  let server = createdCa ? null : await readPair(dir, TLS_FILES.serverCert, TLS_FILES.serverKey);
  if (server !== null && !issuedBy(server.certPem, ca.certPem)) server = null;
  if (server === null || !serverCertFits(server.certPem, names, now)) {
    const keep = server === null ? [] : subjectAltNames(server.certPem);
    server = await createServerCertificate(ca, [...keep, ...names], now);
    await writeAtomically(join(dir, TLS_FILES.serverKey), server.keyPem, 0o600);
    await writeAtomically(join(dir, TLS_FILES.serverCert), server.certPem, 0o644);
  }
  return { certPem: server.certPem, keyPem: server.keyPem, caCertPem: ca.certPem, caFile: join(dir, TLS_FILES.caCert), createdCa };
}

/** All four files, consistent; null when any is missing or a writer is between its renames. */
async function readComplete(dir: string): Promise<TlsFiles | null> {
  const ca = await readPair(dir, TLS_FILES.caCert, TLS_FILES.caKey);
  const server = await readPair(dir, TLS_FILES.serverCert, TLS_FILES.serverKey);
  if (ca === null || server === null || !issuedBy(server.certPem, ca.certPem)) return null;
  return { ca, server };
}

/** A certificate and its key, or null when either is missing or they do not belong together. */
async function readPair(dir: string, certName: string, keyName: string): Promise<CertificateAndKey | null> {
  try {
    const certPem = await readFile(join(dir, certName), 'utf8');
    const keyPem = await readFile(join(dir, keyName), 'utf8');
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem)) ? { certPem, keyPem } : null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function issuedBy(certPem: string, caPem: string): boolean {
  return new X509Certificate(certPem).verify(new X509Certificate(caPem).publicKey);
}

/** The certificate names every requested name and is not about to expire. */
function serverCertFits(certPem: string, names: readonly string[], now: Date): boolean {
  const cert = new X509Certificate(certPem);
  if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS) return false;
  return names.every((n) => (isIP(n) === 0 ? cert.checkHost(n, { wildcards: false }) !== undefined : cert.checkIP(n) !== undefined));
}

async function tryLock(dir: string): Promise<boolean> {
  const path = join(dir, TLS_FILES.lock);
  try {
    const handle = await open(path, 'wx', 0o600);
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const info = await stat(path).catch(() => null);
  if (info !== null && Date.now() - info.mtimeMs > STALE_LOCK_MS) await rm(path, { force: true });
  return false;
}

async function writeAtomically(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, 'wx', mode);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
