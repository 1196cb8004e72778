/**
 * A small control plane for the gateway-side tests, written from docs/control-plane.md and
 * independent of the client code: HTTPS with a test CA, activation (register, submit, claim)
 * and the management WebSocket, with every gateway request's Ed25519 signature, timestamp
 * and nonce checked. Knobs let a test refuse upgrades, go silent, or drop the welcome.
 */
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { GatewayMessage, ServerMessage } from '../control-wire.js';
import { makeTestCa, type TestCa } from './test-tls.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface FakeControlPlaneOptions {
  /** The certificate chain the server presents (leaf first) and its key. */
  certPem: string;
  keyPem: string;
  /** The CA handed to gateways in the claim. */
  caPem: string;
  heartbeatMs?: number;
  statusIntervalMs?: number;
  activationTtlMs?: number;
}

interface KeyRecord {
  publicKey: string;
  metadata: unknown;
  expiresAt: number;
  gatewayId: string | null;
}

interface GatewayRecord {
  id: string;
  publicKey: string;
  name: string;
  timezone: string;
}

/** One HTTP request the fake saw, with its answer. */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
  code: string | null;
}

type Refusal = { status: number; code: string; message: string };

/** The fake control plane; `start()` listens on 127.0.0.1 on a free port. */
export class FakeControlPlane {
  readonly serverId = `srv-${randomBytes(3).toString('hex')}`;
  readonly token = `tg_${randomBytes(32).toString('base64url')}`;
  readonly keys = new Map<string, KeyRecord>();
  readonly gateways = new Map<string, GatewayRecord>();
  readonly seen: SeenRequest[] = [];
  /** Messages received from gateways, in order. */
  readonly received: GatewayMessage[] = [];
  /** Open gateway sockets, newest last. */
  readonly sockets: WebSocket[] = [];
  /** Upgrade attempts (accepted or refused), with their time. */
  readonly upgrades: Array<{ at: number; refused: Refusal | null }> = [];
  /** Pings received from gateways. */
  pings = 0;
  /** Refuse management connections with this answer. */
  refuseUpgrade: Refusal | null = null;
  /** Stop answering pings and sending pings (a hung server). */
  silent = false;
  /** Send the welcome on connect. */
  sendWelcome = true;
  /** Answer claims with this error. */
  refuseClaim: Refusal | null = null;
  private readonly nonces = new Set<string>();
  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false });
  private readonly sockSet = new Set<Socket>();
  private server!: Server;
  private pingTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  url = '';

  private constructor(private readonly options: FakeControlPlaneOptions) {}

  static async start(options: FakeControlPlaneOptions): Promise<FakeControlPlane> {
    const cp = new FakeControlPlane(options);
    await cp.listen(0);
    return cp;
  }

  get heartbeatMs(): number {
    return this.options.heartbeatMs ?? 10_000;
  }

  /** Listens (again, after `stop()`) on `port`. */
  async listen(port: number): Promise<void> {
    this.server = createServer({ cert: this.options.certPem, key: this.options.keyPem }, (req, res) => void this.onRequest(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockSet.add(s);
      s.on('close', () => this.sockSet.delete(s));
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.pingTimer = setInterval(() => {
      if (this.silent) return;
      for (const ws of this.sockets) if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, this.heartbeatMs);
  }

  /** Stops listening and drops every connection (a killed server). */
  async stop(): Promise<void> {
    clearInterval(this.pingTimer);
    for (const ws of this.sockets) ws.terminate();
    this.sockets.length = 0;
    for (const s of this.sockSet) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stops for good. */
  async close(): Promise<void> {
    await this.stop();
    this.wss.close();
  }

  /** The administrator's submit, without HTTP. */
  submit(activationKey: string, name = 'office-gw', timezone = 'Europe/Paris'): string {
    const rec = this.keys.get(normalise(activationKey));
    if (rec === undefined || rec.gatewayId !== null) throw new Error(`no unused activation key ${activationKey}`);
    const id = `gw_${randomBytes(6).toString('hex')}`;
    rec.gatewayId = id;
    this.gateways.set(id, { id, publicKey: rec.publicKey, name, timezone });
    return id;
  }

  /** Sends a message to the newest gateway socket. */
  send(msg: ServerMessage): void {
    const ws = this.sockets[this.sockets.length - 1];
    if (ws === undefined) throw new Error('no gateway connected');
    ws.send(JSON.stringify(msg));
  }

  /** Resolves once `cond` holds (checked on every event), or rejects after `timeoutMs`. */
  async waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
    const start = Date.now();
    while (!cond()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 20);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Replies received for request `id`. */
  repliesTo(id: string): Array<Extract<GatewayMessage, { type: 'reply' }>> {
    return this.received.filter((m): m is Extract<GatewayMessage, { type: 'reply' }> => m.type === 'reply' && m.id === id);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Checks a gateway request's signature; returns the refusal, or null when it is good. */
  private checkSignature(req: IncomingMessage, body: Buffer, publicKey: string | undefined): Refusal | null {
    const h = (n: string): string | undefined => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined);
    const ts = h('x-tidegate-timestamp');
    const nonce = h('x-tidegate-nonce');
    const sig = h('x-tidegate-signature');
    if (ts === undefined || nonce === undefined || sig === undefined || publicKey === undefined) return { status: 401, code: 'SIGNATURE_MISSING', message: 'signature headers missing' };
    if (!/^\d+$/.test(ts) || Math.abs(Date.now() - Number(ts)) > 5 * 60_000) return { status: 401, code: 'REQUEST_EXPIRED', message: 'timestamp too far off' };
    if (Buffer.from(nonce, 'base64url').length !== 16) return { status: 401, code: 'SIGNATURE_INVALID', message: 'nonce is not 16 bytes' };
    const canonical = ['TIDEGATE-ED25519-V1', req.method, req.url, ts, nonce, createHash('sha256').update(body).digest('hex')].join('\n');
    let ok = false;
    try {
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKey }, format: 'jwk' });
      ok = verify(null, Buffer.from(canonical), key, Buffer.from(sig, 'base64url'));
    } catch {
      ok = false;
    }
    if (!ok) return { status: 401, code: 'SIGNATURE_INVALID', message: 'bad signature' };
    if (this.nonces.has(nonce)) return { status: 401, code: 'NONCE_REPLAYED', message: 'nonce seen before' };
    this.nonces.add(nonce);
    return null;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const answer = (status: number, json: unknown): void => {
      const code = (json as { error?: { code?: string } }).error?.code ?? null;
      this.seen.push({ method: req.method ?? '', path: req.url ?? '', status, code });
      const text = JSON.stringify(json);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      this.wake();
    };
    const refuse = (r: Refusal): void => answer(r.status, { error: { code: r.code, message: r.message } });
    let parsed: Record<string, unknown> = {};
    try {
      parsed = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      refuse({ status: 400, code: 'INVALID_ARGUMENT', message: 'not JSON' });
      return;
    }
    const headerKey = typeof req.headers['x-tidegate-key'] === 'string' ? req.headers['x-tidegate-key'] : undefined;
    if (req.method === 'POST' && req.url === '/v1/activation/register') {
      const bad = this.checkSignature(req, body, headerKey);
      if (bad) return refuse(bad);
      if (parsed.publicKey !== headerKey) return refuse({ status: 400, code: 'INVALID_ARGUMENT', message: 'publicKey differs from the signing key' });
      let key = '';
      for (let i = 0; i < 12; i++) key += CROCKFORD[randomBytes(1)[0]! % 32];
      const expiresAt = Date.now() + (this.options.activationTtlMs ?? 30 * 60_000);
      this.keys.set(key, { publicKey: headerKey!, metadata: parsed.metadata, expiresAt, gatewayId: null });
      return answer(201, { activationKey: `${key.slice(0, 4)}-${key.slice(4, 8)}-${key.slice(8)}`, expiresAt: new Date(expiresAt).toISOString() });
    }
    if (req.method === 'POST' && req.url === '/v1/activation/claim') {
      const bad = this.checkSignature(req, body, headerKey);
      if (bad) return refuse(bad);
      if (this.refuseClaim) return refuse(this.refuseClaim);
      const rec = this.keys.get(normalise(String(parsed.activationKey)));
      if (rec === undefined) return refuse({ status: 404, code: 'ACTIVATION_KEY_UNKNOWN', message: 'unknown activation key' });
      if (rec.publicKey !== headerKey) return refuse({ status: 403, code: 'PUBLIC_KEY_MISMATCH', message: 'another key registered this activation key' });
      if (rec.gatewayId === null) {
        if (Date.now() > rec.expiresAt) return refuse({ status: 410, code: 'ACTIVATION_KEY_EXPIRED', message: 'activation key expired' });
        return answer(202, { state: 'pending', expiresAt: new Date(rec.expiresAt).toISOString() });
      }
      const gw = this.gateways.get(rec.gatewayId)!;
      return answer(200, { state: 'activated', gatewayId: gw.id, accountId: 'acct_local', name: gw.name, timezone: gw.timezone, caCertPem: this.options.caPem, connectPath: '/v1/connect' });
    }
    if (req.method === 'POST' && req.url === '/v1/gateways') {
      const auth = req.headers.authorization;
      if (auth === undefined) return refuse({ status: 401, code: 'AUTH_REQUIRED', message: 'no token' });
      if (auth !== `Bearer ${this.token}`) return refuse({ status: 401, code: 'TOKEN_INVALID', message: 'bad token' });
      const rec = this.keys.get(normalise(String(parsed.activationKey)));
      if (rec === undefined) return refuse({ status: 404, code: 'ACTIVATION_KEY_UNKNOWN', message: 'unknown activation key' });
      if (rec.gatewayId !== null) return refuse({ status: 409, code: 'ACTIVATION_KEY_USED', message: 'activation key already used' });
      if (Date.now() > rec.expiresAt) return refuse({ status: 410, code: 'ACTIVATION_KEY_EXPIRED', message: 'activation key expired' });
      const id = this.submit(String(parsed.activationKey), String(parsed.name), String(parsed.timezone));
      return answer(201, { id, name: parsed.name, timezone: parsed.timezone, accountId: 'acct_local' });
    }
    refuse({ status: 404, code: 'NOT_FOUND', message: 'no such route' });
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const refuse = (r: Refusal): void => {
      this.upgrades.push({ at: Date.now(), refused: r });
      const text = JSON.stringify({ error: { code: r.code, message: r.message } });
      socket.end(`HTTP/1.1 ${r.status} Refused\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
      this.wake();
    };
    if (req.url !== '/v1/connect') return refuse({ status: 404, code: 'NOT_FOUND', message: 'no such route' });
    const id = typeof req.headers['x-tidegate-gateway'] === 'string' ? req.headers['x-tidegate-gateway'] : undefined;
    const gw = id === undefined ? undefined : this.gateways.get(id);
    const bad = this.checkSignature(req, Buffer.alloc(0), gw?.publicKey ?? (id === undefined ? undefined : 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    if (bad && (gw !== undefined || bad.code === 'SIGNATURE_MISSING')) return refuse(bad);
    if (gw === undefined) return refuse({ status: 404, code: 'GATEWAY_UNKNOWN', message: 'no such gateway' });
    if (this.refuseUpgrade) return refuse(this.refuseUpgrade);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.upgrades.push({ at: Date.now(), refused: null });
      this.sockets.push(ws);
      ws.on('ping', (data) => {
        this.pings++;
        if (!this.silent) ws.pong(data);
        this.wake();
      });
      ws.on('message', (data) => {
        if (this.silent) return;
        this.received.push(JSON.parse(String(data)) as GatewayMessage);
        this.wake();
      });
      ws.on('close', () => {
        const i = this.sockets.indexOf(ws);
        if (i >= 0) this.sockets.splice(i, 1);
        this.wake();
      });
      if (this.sendWelcome) {
        ws.send(JSON.stringify({ type: 'welcome', protocol: 1, serverId: this.serverId, gatewayId: gw.id, heartbeatMs: this.heartbeatMs, statusIntervalMs: this.options.statusIntervalMs ?? 10_000 } satisfies ServerMessage));
      }
      this.wake();
    });
  }
}

function normalise(key: string): string {
  return key.toUpperCase().replace(/-/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}

/** A fake control plane with a fresh test CA (or the one given); `leafOnly` sends no CA in the TLS chain. */
export async function startTestControlPlane(
  options: { ca?: TestCa; leafOnly?: boolean; heartbeatMs?: number; statusIntervalMs?: number; activationTtlMs?: number } = {},
): Promise<{ cp: FakeControlPlane; ca: TestCa }> {
  const ca = options.ca ?? (await makeTestCa());
  const server = await ca.issueServer();
  const cp = await FakeControlPlane.start({
    certPem: options.leafOnly ? server.certPem : server.chainPem,
    keyPem: server.keyPem,
    caPem: ca.caPem,
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.statusIntervalMs !== undefined ? { statusIntervalMs: options.statusIntervalMs } : {}),
    ...(options.activationTtlMs !== undefined ? { activationTtlMs: options.activationTtlMs } : {}),
  });
  return { cp, ca };
}
