/**
 * Talking to a real control plane from the engine's end-to-end tests without importing it
 * (DESIGN.md §1): HTTPS with the control plane's own CA pinned, requests signed the way
 * docs/control-plane.md § Signed requests says (with the test's own Ed25519 keys, so a test
 * can misbehave on purpose: replay, stale timestamps, wrong keys), a stand-alone
 * `tidegate control-plane serve` process, and the status and activation-page reads the
 * tests poll.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { requireBuiltCli, TIDEGATE_BIN } from './gateway-process.js';

/** First line of every signed payload (the spec's scheme name). */
const SIGNATURE_SCHEME = 'TIDEGATE-ED25519-V1';

/** One HTTP answer: status, headers, the raw text and the parsed JSON (undefined when it is not JSON). */
export interface CpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/** A request to a control plane; `body` is sent byte for byte (a signed request signs these bytes). */
export interface CpRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** `Authorization: Bearer …`. */
  bearer?: string;
}

/** The JSON bytes of a request body. */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** An HTTPS request to `origin` trusting only `caPem`; never rejects for an HTTP error status. */
export function cpRequest(origin: string, caPem: string, req: CpRequest): Promise<CpResponse> {
  const url = new URL(origin);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(req.body.length);
  }
  if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`;
  return new Promise((resolve, reject) => {
    const r = httpsRequest(
      { host: url.hostname, port: Number(url.port), method: req.method, path: req.path, headers, ca: caPem, agent: false, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`${req.method} ${origin}${req.path} timed out`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

/** The stable code of an error answer (`{error:{code}}`), or undefined. */
export function errorCodeOf(res: CpResponse): string | undefined {
  const code = (res.json as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `status code` plus the body, for readable assertion failures. */
export function shown(res: CpResponse): string {
  return `${res.status} ${res.text.slice(0, 500)}`;
}

/** An Ed25519 key pair of the test, standing in for a gateway's (or an impostor's). */
export interface TestKey {
  /** Raw 32-byte public key, base64url (what `x-tidegate-key` carries). */
  readonly publicKeyRaw: string;
  readonly privateKey: KeyObject;
}

/** A fresh Ed25519 key pair. */
export function newTestKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('node:crypto exported an Ed25519 key without x');
  return { publicKeyRaw: jwk.x, privateKey };
}

/** What to sign, and the knobs a misbehaving client turns. */
export interface SignOptions {
  method: string;
  /** Path with query, exactly as sent. */
  path: string;
  body: Buffer;
  /** Before activation the raw public key goes in `x-tidegate-key`; after, the gateway id in `x-tidegate-gateway`. */
  identity: { publicKey: string } | { gatewayId: string };
  /** ms since the epoch (default now). */
  timestamp?: number;
  /** base64url (default 16 random bytes). */
  nonce?: string;
}

/** The four signing headers of docs/control-plane.md § Signed requests, signed with `key`. */
export function signedHeaders(key: TestKey, o: SignOptions): Record<string, string> {
  const timestamp = String(o.timestamp ?? Date.now());
  const nonce = o.nonce ?? randomBytes(16).toString('base64url');
  const bodyHash = createHash('sha256').update(o.body).digest('hex');
  const payload = Buffer.from(`${SIGNATURE_SCHEME}\n${o.method.toUpperCase()}\n${o.path}\n${timestamp}\n${nonce}\n${bodyHash}`, 'utf8');
  const signature = sign(null, payload, key.privateKey).toString('base64url');
  const identity: Record<string, string> = 'publicKey' in o.identity ? { 'x-tidegate-key': o.identity.publicKey } : { 'x-tidegate-gateway': o.identity.gatewayId };
  return { ...identity, 'x-tidegate-timestamp': timestamp, 'x-tidegate-nonce': nonce, 'x-tidegate-signature': signature };
}

/** A signed JSON request, ready for `cpRequest` (sending it twice is a replay). */
export function signedJson(key: TestKey, method: string, path: string, body: unknown, extra: Partial<SignOptions> = {}): CpRequest {
  const bytes = jsonBytes(body);
  return { method, path, body: bytes, headers: signedHeaders(key, { method, path, body: bytes, identity: { publicKey: key.publicKeyRaw }, ...extra }) };
}

/** Register body of `key` with plausible metadata. */
export function registerBody(key: TestKey, label = 'e2e-test'): { publicKey: string; metadata: Record<string, unknown> } {
  return { publicKey: key.publicKeyRaw, metadata: { version: '0.0.0-test', host: label, platform: 'test', capacityBytes: 0, localGatewayId: `gw-${label}` } };
}

/** `GET http://<metrics>/<path>` on the gateway's metrics listener. */
export function metricsGet(metrics: string, path: string): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const r = httpGet({ host: metrics.split(':')[0], port: Number(metrics.split(':').pop()), path, agent: false, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`GET ${path} on the metrics listener timed out`)));
    r.on('error', reject);
  });
}

/** A TCP port on 127.0.0.1 free right now (for listeners that must keep their port across a restart). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A running `tidegate control-plane serve`. */
export interface ControlPlaneProcess {
  readonly pid: number;
  readonly url: string;
  readonly caPem: string;
  /** The local administrator's token (stand-alone servers without Redis make one). */
  readonly adminToken: string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  stderr(): string;
}

/** Start `tidegate control-plane serve --listen 127.0.0.1:0 --data-dir DIR …`; resolves once it listens. */
export async function startControlPlaneServer(dataDir: string, extraArgs: string[] = []): Promise<ControlPlaneProcess> {
  requireBuiltCli();
  const child: ChildProcess = spawn(process.execPath, [TIDEGATE_BIN, 'control-plane', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const kill9 = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  try {
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`control plane did not start within 30 s\n${err}`)), 30_000);
      const check = (): void => {
        const m = /URL:\s+(https:\/\/\S+)/.exec(out);
        if (m && /admin token:|Create an account:/.test(out)) {
          clearTimeout(timer);
          res(m[1]!);
        }
      };
      child.stdout!.on('data', check);
      void exited.then((code) => {
        clearTimeout(timer);
        rej(new Error(`control plane exited (${code}) before listening:\n${err}`));
      });
    });
    const caFile = /CA:\s+(\S+)/.exec(out)?.[1] ?? join(dataDir, 'tls', 'ca.crt');
    const tokenFile = /admin token:\s+(\S+)/.exec(out)?.[1] ?? join(dataDir, 'admin-token');
    const caPem = await readFile(caFile, 'utf8');
    const adminToken = (await readFile(tokenFile, 'utf8')).trim();
    return {
      pid: child.pid!,
      url,
      caPem,
      adminToken,
      stop: async () => {
        child.kill('SIGTERM');
        return exited;
      },
      kill9,
      stderr: () => err,
    };
  } catch (e) {
    await kill9();
    throw e;
  }
}

/** The embedded control plane of a gateway data dir: its CA and the local administrator's token. */
export async function embeddedControlPlaneSecrets(dataDir: string): Promise<{ caPem: string; adminToken: string }> {
  const cp = join(dataDir, 'control-plane');
  return { caPem: await readFile(join(cp, 'tls', 'ca.crt'), 'utf8'), adminToken: (await readFile(join(cp, 'admin-token'), 'utf8')).trim() };
}
