/**
 * Which TLS certificates the gateway trusts for its control plane (docs/control-plane.md
 * § Processes and trust). Always one pinned CA, never the system store:
 *
 * 1. the CA received at activation (stored in activation.json), once activated;
 * 2. before that, a CA PEM given by the administrator (`--ca-file`) or the embedded control
 *    plane's CA file;
 * 3. otherwise trust on first use: connect once without verification, take the root of the
 *    chain the server presents (or, when it sends no root, the top certificate it sent), and
 *    pin it. Every later connection verifies against the pin with the usual host-name check.
 *
 * Connections set `allowPartialTrustChain` so that a pinned certificate that is not
 * self-signed (a leaf or intermediate seen on first use, or an operator's intermediate)
 * anchors the chain. It widens nothing: the trust store is only ever the pinned PEM.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate } from 'node:tls';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { ControlPlaneError } from './control-plane-error.js';
import { hostOf, portOf } from './control-plane-url.js';

/** OpenSSL/Node verification failures: the server is not who the pinned CA says. */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Checks a PEM holding one or more certificates and returns it normalised (certificates
 * only, in order). Throws INVALID_ARGUMENT naming `what` when there is none or one is bad.
 */
export function checkCaPem(pem: string, what = 'the CA certificate'): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new TidegateError(ErrorCode.InvalidArgument, `${what} holds no PEM certificate`);
  const out: string[] = [];
  for (const b of blocks) {
    try {
      out.push(new X509Certificate(b).toString().trim());
    } catch (err) {
      throw new TidegateError(ErrorCode.InvalidArgument, `${what} is not a valid certificate: ${(err as Error).message}`, { cause: err });
    }
  }
  return `${out.join('\n')}\n`;
}

/** The control plane's error for a failed connection: UNTRUSTED for certificate problems, else UNAVAILABLE (transient). */
export function connectionError(err: unknown, origin: string): ControlPlaneError {
  if (err instanceof ControlPlaneError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code !== undefined && UNTRUSTED_CODES.has(code)) {
    return new ControlPlaneError(
      ErrorCode.ControlPlaneUntrusted,
      `the control plane at ${origin} presented a certificate the gateway does not trust (${code}: ${message}); it is refused`,
      { cause: err },
    );
  }
  return new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, `cannot reach the control plane at ${origin}: ${code ?? message}`, { transient: true, cause: err });
}

/** TLS options every control-plane connection uses with its pinned PEM (see the file comment). */
export function pinnedTlsOptions(caPem: string): { ca: string; allowPartialTrustChain: true } {
  return { ca: caPem, allowPartialTrustChain: true };
}

/**
 * Trust on first use: connects once without verifying, and returns (PEM) what to pin: the
 * self-signed root of the chain the server sent, or, when it sent none (servers usually send
 * only their own certificate), the top certificate it did send.
 */
export async function fetchPeerCa(origin: string, timeoutMs: number): Promise<string> {
  const u = new URL(origin);
  const host = hostOf(u);
  const chain = await new Promise<DetailedPeerCertificate>((resolve, reject) => {
    const sock = connect({ host, port: portOf(u), ...(isIP(host) === 0 ? { servername: host } : {}), rejectUnauthorized: false });
    const timer = setTimeout(() => sock.destroy(Object.assign(new Error('TLS handshake timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
    sock.once('secureConnect', () => {
      clearTimeout(timer);
      const cert = sock.getPeerCertificate(true);
      sock.end();
      sock.destroy();
      resolve(cert);
    });
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(connectionError(err, origin));
    });
  });
  if (chain.raw === undefined) throw new ControlPlaneError(ErrorCode.ControlPlaneUntrusted, `the control plane at ${origin} presented no certificate`);
  let top = chain;
  const seen = new Set<string>([top.fingerprint256]);
  // The issuer links end at a self-signed root (which names itself) or at the last certificate sent.
  while ((top.issuerCertificate as DetailedPeerCertificate | undefined) !== undefined && top.issuerCertificate !== null && !seen.has(top.issuerCertificate.fingerprint256)) {
    top = top.issuerCertificate;
    seen.add(top.fingerprint256);
  }
  return `${new X509Certificate(top.raw).toString().trim()}\n`;
}
