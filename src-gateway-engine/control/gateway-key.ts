/**
 * The gateway's identity towards its control plane: an Ed25519 key pair made on first use.
 * The private key is kept as PKCS#8 PEM in `<dataDir>/control/gateway-key.pem` (folder 0700,
 * file 0600, written atomically); the public key travels as its raw 32 bytes, base64url
 * (docs/control-plane.md § Processes and trust). A key file that group or others can read
 * is refused rather than used: the key is the gateway's only credential.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, TidegateError } from '../errors/index.js';
import { ensurePrivateDir, writePrivateFile } from './private-file.js';

/** A loaded gateway key pair. */
export interface GatewayKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The raw 32-byte Ed25519 public key, base64url (what `x-tidegate-key` and register carry). */
  readonly publicKeyRaw: string;
  /** Ed25519 signature of `data`, base64url. */
  sign(data: Uint8Array): string;
}

/** The folder of the gateway's control-plane files in a data dir. */
export function controlDir(dataDir: string): string {
  return join(dataDir, 'control');
}

/** Path of the private key file in a data dir. */
export function gatewayKeyPath(dataDir: string): string {
  return join(controlDir(dataDir), 'gateway-key.pem');
}

/** Loads the data dir's gateway key, making (and saving) a new one when there is none. */
export async function loadOrCreateGatewayKey(dataDir: string): Promise<GatewayKey> {
  const path = gatewayKeyPath(dataDir);
  await ensurePrivateDir(controlDir(dataDir));
  const existing = await readKeyFile(path);
  if (existing !== undefined) return existing;
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  // Exclusive: if another creator got there first, its key wins and we load that one.
  await writePrivateFile(path, pem, { exclusive: true });
  const saved = await readKeyFile(path);
  if (saved === undefined) throw new TidegateError(ErrorCode.IoError, `the gateway key ${path} vanished right after it was written`);
  return saved;
}

/** Loads the data dir's gateway key; undefined when it does not exist yet. */
export async function loadGatewayKey(dataDir: string): Promise<GatewayKey | undefined> {
  return readKeyFile(gatewayKeyPath(dataDir));
}

/** The raw 32-byte Ed25519 public key of `publicKey`, base64url. */
export function rawPublicKey(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TidegateError(ErrorCode.InvalidArgument, 'not an Ed25519 public key');
  }
  return jwk.x;
}

/** The public key object of a raw base64url Ed25519 key (for verifying; the control plane does the same). */
export function publicKeyFromRaw(raw: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw }, format: 'jwk' });
}

async function readKeyFile(path: string): Promise<GatewayKey | undefined> {
  let mode: number;
  try {
    mode = (await stat(path)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TidegateError(ErrorCode.IoError, `cannot read the gateway key ${path}: ${(err as Error).message}`, { cause: err });
  }
  if ((mode & 0o077) !== 0) {
    throw new TidegateError(
      ErrorCode.UnsafePermissions,
      `the gateway key ${path} is readable by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); it is refused: run "chmod 600 ${path}" if it was not exposed, or delete it and activate the gateway again`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readFile(path, 'utf8'));
  } catch (err) {
    throw new TidegateError(ErrorCode.Corrupt, `the gateway key ${path} is not a readable PEM private key: ${(err as Error).message}`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TidegateError(ErrorCode.Corrupt, `the gateway key ${path} is a ${privateKey.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  const publicKey = createPublicKey(privateKey);
  return Object.freeze({
    privateKey,
    publicKey,
    publicKeyRaw: rawPublicKey(publicKey),
    sign: (data: Uint8Array) => sign(null, data, privateKey).toString('base64url'),
  });
}
