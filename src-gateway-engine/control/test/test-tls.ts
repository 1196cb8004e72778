/**
 * Test certificates: a CA (ECDSA P-256, as the control plane makes its own) and server
 * certificates it signs for 127.0.0.1, ::1 and localhost. Made in memory with @peculiar/x509.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A test CA that can issue server certificates. */
export interface TestCa {
  readonly caPem: string;
  /** A server certificate (+ key) for 127.0.0.1, ::1 and localhost; `certPem` is the leaf, `chainPem` leaf + CA. */
  issueServer(): Promise<{ certPem: string; chainPem: string; keyPem: string }>;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Makes a new self-signed CA named `name`. */
export async function makeTestCa(name = 'Tidegate test CA'): Promise<TestCa> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ALG,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const caPem = ca.toString('pem');
  return {
    caPem,
    async issueServer() {
      const sk = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        subject: 'CN=127.0.0.1',
        issuer: ca.subject,
        publicKey: sk.publicKey,
        signingKey: keys.privateKey,
        signingAlgorithm: ALG,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 30 * 86_400_000),
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension([
            { type: 'ip', value: '127.0.0.1' },
            { type: 'ip', value: '::1' },
            { type: 'dns', value: 'localhost' },
          ]),
          await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
        ],
      });
      const certPem = cert.toString('pem');
      return { certPem, chainPem: `${certPem}\n${caPem}`, keyPem: await keyPem(sk.privateKey) };
    },
  };
}
