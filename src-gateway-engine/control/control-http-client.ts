/**
 * JSON over HTTPS to one control plane, verified against one pinned CA (tls-trust.ts) with
 * Node's default host-name check. Gateway calls are signed (request-signer.ts); the
 * administrator's call (`POST /v1/gateways`, from `tidegate activate`) carries a Bearer
 * token. A non-2xx answer becomes a ControlPlaneError carrying the control plane's code.
 */
import { request } from 'node:https';
import { ErrorCode } from '../errors/index.js';
import { ControlPlaneError, controlPlaneErrorFromResponse } from './control-plane-error.js';
import { controlPlaneOrigin, hostOf, portOf } from './control-plane-url.js';
import type { GatewayKey } from './gateway-key.js';
import { signRequest, type SignerIdentity } from './request-signer.js';
import { connectionError, pinnedTlsOptions } from './tls-trust.js';

/** Largest answer read (the control plane's answers are small JSON documents). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Default time for one call, connect to last byte. */
export const DEFAULT_CONTROL_HTTP_TIMEOUT_MS = 15_000;

/** Where the client calls and what it trusts. */
export interface ControlHttpClientOptions {
  /** The control plane, `https://host[:port]`. */
  url: string;
  /** PEM of the one CA its certificate must chain to. */
  caPem: string;
  /** Per call, connect to last byte (default 15 s). */
  timeoutMs?: number;
}

/** One call. */
export interface ControlHttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with query, e.g. `/v1/activation/claim`. */
  path: string;
  /** JSON body (omitted for none). */
  body?: unknown;
  /** Sign as the gateway. */
  sign?: { key: GatewayKey; identity: SignerIdentity };
  /** `Authorization: Bearer <token>` (administrator calls). */
  bearer?: string;
  /** Aborts the call (it then fails as CONTROL_PLANE_UNAVAILABLE). */
  signal?: AbortSignal;
}

/** A 2xx answer. */
export interface ControlHttpResponse<T> {
  status: number;
  body: T;
}

/** An HTTPS JSON client bound to one control plane and its pinned CA. */
export class ControlHttpClient {
  /** The normalised origin, `https://host:port`. */
  readonly origin: string;
  readonly caPem: string;
  private readonly timeoutMs: number;

  constructor(options: ControlHttpClientOptions) {
    this.origin = controlPlaneOrigin(options.url);
    this.caPem = options.caPem;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CONTROL_HTTP_TIMEOUT_MS;
  }

  /** Sends one request; resolves with a 2xx answer, rejects with a ControlPlaneError otherwise. */
  async request<T>(req: ControlHttpRequest): Promise<ControlHttpResponse<T>> {
    const what = `${req.method} ${req.path}`;
    const body = req.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(req.body), 'utf8');
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(body.length);
    }
    if (req.sign) Object.assign(headers, signRequest(req.sign.key, req.sign.identity, req.method, req.path, body));
    if (req.bearer !== undefined) headers.authorization = `Bearer ${req.bearer}`;
    const u = new URL(this.origin);
    const { status, text, retryAfter } = await new Promise<{ status: number; text: string; retryAfter: string | undefined }>((resolve, reject) => {
      const r = request(
        {
          host: hostOf(u),
          port: portOf(u),
          method: req.method,
          path: req.path,
          headers,
          ...pinnedTlsOptions(this.caPem),
          // A fresh connection per call: calls are rare, and no pooled socket outlives a re-pinned CA.
          agent: false,
          ...(req.signal !== undefined ? { signal: req.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > MAX_RESPONSE_BYTES) {
              res.destroy(new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, `the control plane's answer to ${what} is larger than ${MAX_RESPONSE_BYTES} bytes`, { transient: true }));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            const ra = res.headers['retry-after'];
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), retryAfter: Array.isArray(ra) ? ra[0] : ra });
          });
          res.on('error', (err) => reject(connectionError(err, this.origin)));
        },
      );
      r.setTimeout(this.timeoutMs, () =>
        r.destroy(new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, `the control plane at ${this.origin} did not answer ${what} within ${this.timeoutMs} ms`, { transient: true })),
      );
      r.on('error', (err) => reject(connectionError(err, this.origin)));
      r.end(body);
    });
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        if (status >= 200 && status < 300) {
          throw new ControlPlaneError(ErrorCode.ControlPlaneUnavailable, `the control plane answered ${what} with something that is not JSON`, { httpStatus: status, transient: true });
        }
      }
    }
    if (status < 200 || status >= 300) throw controlPlaneErrorFromResponse(status, parsed, retryAfter, what);
    return { status, body: parsed as T };
  }
}
