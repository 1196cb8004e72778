/**
 * A gateway as the control plane sees it, written from the spec for tests: signed HTTPS
 * activation calls and the management WebSocket (docs/control-plane.md). Deliberately
 * independent of src-gateway-engine/control/, so the server is tested against the spec.
 */
import { request as httpsRequest } from 'node:https';
import { WebSocket } from 'ws';
import type { AlertRecord, GatewayMessage, ServerMessage } from '../../../src-gateway-engine/control/control-wire.js';
import { newTestGatewayKey, testGatewayMetadata, type TestGatewayKey } from './test-gateway-key.js';

/** An HTTP answer. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A JSON request over HTTPS trusting `ca`. Times out after 10 s. */
export function httpsJson(url: string, ca: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: options.method ?? 'GET', ca, headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An admin call with a Bearer token. */
export function adminCall(baseUrl: string, ca: string, token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpAnswer> {
  return httpsJson(`${baseUrl}${path}`, ca, { method, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** How the test gateway answers a request: a reply body, or null to stay silent. */
export type RequestAnswerer = (request: Extract<ServerMessage, { type: 'request' }>, gatewayId: string) => Omit<Extract<GatewayMessage, { type: 'reply' }>, 'type' | 'id'> | null;

/** A management connection of the test gateway. */
export interface TestConnection {
  ws: WebSocket;
  welcome: Promise<Extract<ServerMessage, { type: 'welcome' }>>;
  /** Every message received, in order. */
  received: ServerMessage[];
  /** Resolves with the next `alerts` message satisfying `match`. */
  nextAlerts(match?: (alerts: AlertRecord[]) => boolean): Promise<AlertRecord[]>;
  /** Resolves when the socket closed: its code. */
  closed: Promise<number>;
  send(message: GatewayMessage): void;
  close(): Promise<void>;
}

/** A refused upgrade: the HTTP status and JSON body. */
export interface RefusedUpgrade {
  status: number;
  body: unknown;
}

/** A test gateway with its own key. */
export class TestGateway {
  readonly key: TestGatewayKey;
  gatewayId: string | null = null;
  /** Default: answer every request `{ok:true, result:{method, params}}`. */
  answer: RequestAnswerer = (req, gatewayId) => ({ gatewayId, ok: true, result: { method: req.method, params: req.params } });

  constructor(
    private readonly baseUrl: string,
    private readonly ca: string,
    key?: TestGatewayKey,
  ) {
    this.key = key ?? newTestGatewayKey();
  }

  /** Point later calls at another server (same deployment). */
  useServer(baseUrl: string): TestGateway {
    const other = new TestGateway(baseUrl, this.ca, this.key);
    other.gatewayId = this.gatewayId;
    other.answer = this.answer;
    return other;
  }

  /** Step 1: register; returns the activation key. */
  async register(): Promise<string> {
    const res = await this.signedPost('/v1/activation/register', { publicKey: this.key.publicKey, metadata: testGatewayMetadata() });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { activationKey: string }).activationKey;
  }

  /** Step 4: claim; remembers the gateway id once activated. */
  async claim(activationKey: string): Promise<HttpAnswer> {
    const res = await this.signedPost('/v1/activation/claim', { activationKey });
    if (res.status === 200) this.gatewayId = (res.body as { gatewayId: string }).gatewayId;
    return res;
  }

  /** A signed POST with `x-tidegate-key`. */
  signedPost(path: string, body: unknown): Promise<HttpAnswer> {
    const text = JSON.stringify(body);
    return httpsJson(`${this.baseUrl}${path}`, this.ca, { method: 'POST', body: text, headers: this.key.sign('POST', path, text, { key: true }) });
  }

  /** Open the management connection; `autoPong: false` plays a gateway that stopped answering pings. */
  connect(options: { autoPong?: boolean; headers?: Record<string, string> } = {}): Promise<TestConnection> {
    if (!this.gatewayId) throw new Error('not activated');
    const gatewayId = this.gatewayId;
    const headers = options.headers ?? this.key.sign('GET', '/v1/connect', '', { gatewayId });
    const ws = new WebSocket(`${this.baseUrl.replace(/^https/, 'wss')}/v1/connect`, { ca: this.ca, headers, autoPong: options.autoPong ?? true, handshakeTimeout: 10_000 });
    const received: ServerMessage[] = [];
    const waiters: Array<(m: ServerMessage) => boolean> = [];
    let welcomed!: (m: Extract<ServerMessage, { type: 'welcome' }>) => void;
    const welcome = new Promise<Extract<ServerMessage, { type: 'welcome' }>>((resolve) => (welcomed = resolve));
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ServerMessage;
      received.push(m);
      if (m.type === 'welcome') welcomed(m);
      for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!(m)) waiters.splice(i, 1);
      if (m.type === 'request') {
        const reply = this.answer(m, gatewayId);
        if (reply) ws.send(JSON.stringify({ type: 'reply', id: m.id, ...reply }));
      }
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      ws.once('open', () =>
        resolve({
          ws,
          welcome,
          received,
          closed,
          nextAlerts: (match = () => true) =>
            new Promise((res) => {
              waiters.push((m) => {
                if (m.type !== 'alerts' || !match(m.alerts)) return false;
                res(m.alerts);
                return true;
              });
            }),
          send: (message) => ws.send(JSON.stringify(message)),
          close: async () => {
            if (ws.readyState !== ws.CLOSED) {
              ws.close(1000, 'bye');
              await closed;
            }
          },
        }),
      );
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const refused: RefusedUpgrade = { status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null };
          reject(Object.assign(new Error(`upgrade refused: ${res.statusCode} ${text}`), { refused }));
        });
      });
      ws.once('error', (err) => reject(err));
    });
  }

  /** Try to connect and return the refusal (throws if the upgrade was accepted). */
  async refusedConnect(headers?: Record<string, string>): Promise<RefusedUpgrade> {
    try {
      const c = await this.connect(headers ? { headers } : {});
      await c.close();
    } catch (err) {
      const refused = (err as { refused?: RefusedUpgrade }).refused;
      if (refused) return refused;
      throw err;
    }
    throw new Error('the upgrade was accepted');
  }
}

/** Poll `check` every 25 ms until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000, what = 'condition'): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
