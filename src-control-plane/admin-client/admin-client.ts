/**
 * A small client of the admin REST API for the CLI (`tidegate control-plane gateways`): HTTPS
 * with the deployment's CA, Bearer token, and the API's error body turned into an error that
 * carries its stable code.
 */
import { request as httpsRequest } from 'node:https';
import type { GatewayView } from '../admin/gateway-view.js';

/** Where and as whom to call. */
export interface AdminClientOptions {
  /** e.g. https://127.0.0.1:9443 */
  url: string;
  token: string;
  /** The CA to trust (PEM); null = the system's CAs. */
  caCertPem: string | null;
  /** Default 15 s. */
  timeoutMs?: number;
}

/** A refusal of the control plane (its error code and HTTP status), or a transport failure (code null). */
export class AdminApiError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
    readonly httpStatus: number | null,
  ) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** `GET /v1/gateways`: the token's account's gateways. */
export async function listGateways(options: AdminClientOptions): Promise<GatewayView[]> {
  const body = (await adminRequest(options, 'GET', '/v1/gateways')) as { gateways: GatewayView[] };
  return body.gateways;
}

/** One JSON request to the admin API; rejects with AdminApiError. */
export function adminRequest(options: AdminClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let target: URL;
  try {
    target = new URL(path, options.url.endsWith('/') ? options.url : `${options.url}/`);
  } catch {
    return Promise.reject(new AdminApiError(`not a URL: ${options.url}`, null, null));
  }
  if (target.protocol !== 'https:') return Promise.reject(new AdminApiError(`the control plane is served over https (got ${options.url})`, null, null));
  const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      target,
      {
        method,
        headers: { authorization: `Bearer ${options.token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) },
        ...(options.caCertPem ? { ca: options.caCertPem } : {}),
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = JSON.parse(text);
          } catch {
            // reported below
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300 && json !== null) return resolve(json);
          const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
          reject(new AdminApiError(error?.message ?? `HTTP ${status} from ${target.origin}`, error?.code ?? null, status));
        });
        res.on('error', (err) => reject(new AdminApiError(err.message, null, null)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${target.origin} within ${options.timeoutMs ?? 15_000} ms`)));
    req.on('error', (err) => reject(new AdminApiError(`cannot reach ${target.origin}: ${err.message}`, null, null)));
    req.end(payload ?? undefined);
  });
}
