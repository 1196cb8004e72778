/**
 * The control plane's own small PKI: an ECDSA P-256 CA (10 years, basicConstraints CA,
 * path length 0) and server certificates it signs (2 years, serverAuth, SANs 127.0.0.1, ::1,
 * localhost plus the configured names). Pure generation; tls-material.ts decides when and
 * where the files are written.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 is typed against the DOM's WebCrypto; Node's webcrypto is the same API.
type X509Crypto = Parameters<typeof x509.cryptoProvider.set>[0];
type X509KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type X509PrivateKey = Extract<Parameters<typeof x509.X509CertificateGenerator.create>[0], { signingKey: unknown }>['signingKey'];
type X509PublicKey = Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0];

x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600_000;
/** Backdating covers clocks of gateways that run a little behind. */
const BACKDATE_MS = 3600_000;

/** Names every server certificate carries. */
export const BUILTIN_SERVER_NAMES: readonly string[] = ['127.0.0.1', '::1', 'localhost'];

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
}

/** A fresh CA: self-signed, valid 10 years. */
export async function createCertificateAuthority(now = new Date()): Promise<CertificateAndKey> {
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerialNumber(),
    name: `CN=Tidegate control plane CA ${randomBytes(4).toString('hex')}, O=Tidegate`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + 3652 * DAY_MS),
    signingAlgorithm: SIGNING,
    keys: keys as unknown as X509KeyPair,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509PublicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** A server certificate for `names` (plus the built-in loopback names), signed by `ca`, valid 2 years. */
export async function createServerCertificate(ca: CertificateAndKey, names: readonly string[], now = new Date()): Promise<CertificateAndKey> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(ca.keyPem), EC_KEY, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify']);
  const all = [...new Set([...BUILTIN_SERVER_NAMES, ...names])];
  const firstDns = all.find((n) => isIP(n) === 0 && n !== 'localhost') ?? 'localhost';
  const caKeyId = caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newSerialNumber(),
    subject: `CN=${firstDns}, O=Tidegate`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + 730 * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey as unknown as X509PublicKey,
    signingKey: caKey as unknown as X509PrivateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
      new x509.SubjectAlternativeNameExtension(all.map((n) => ({ type: isIP(n) === 0 ? ('dns' as const) : ('ip' as const), value: n }))),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as X509PublicKey),
      ...(caKeyId === undefined ? [] : [new x509.AuthorityKeyIdentifierExtension(caKeyId)]),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

/** The DNS names and IP addresses of a certificate's subjectAltName extension. */
export function subjectAltNames(certPem: string): string[] {
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  return san ? san.names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value) : [];
}

/** A positive 128-bit serial number, hex. */
function newSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function privateKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{1,64}/g, '$&\n')}-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
