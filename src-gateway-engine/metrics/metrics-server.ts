import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { ControlStatus } from '../runtime/engine-commands.js';
import { activationSummary, renderActivationPage } from './activation-page.js';
import { PROMETHEUS_CONTENT_TYPE, type MetricsRegistry } from './registry.js';

export interface MetricsServerOptions {
  /** Listen address (default '127.0.0.1': loopback only; expose it deliberately). */
  host?: string;
  /** TCP port; 0 picks a free one (see `address.port`). */
  port: number;
  registry: MetricsRegistry;
  /** Serves `/activation` (HTML) and `/activation.json` from this control status; omitted = 404. */
  activation?: () => ControlStatus;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The bound address (the real port when 0 was asked for). */
  readonly address: { readonly host: string; readonly port: number };
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and HEAD) in the Prometheus text format 0.0.4, and, when given a
 * control status, the activation page `/activation` (+ `/activation.json`) for headless
 * installs; other paths get 404, other methods 405. Rejects with IO_ERROR when it cannot listen.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const { port, registry } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TidegateError(ErrorCode.InvalidArgument, `metrics port must be an integer 0-65535 (got ${String(port)})`);
  }

  const server = createServer((req, res) => handle(registry, options.activation, req, res));
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(
        new TidegateError(ErrorCode.IoError, `metrics server cannot listen on ${formatAddr(host, port)}: ${err.code ?? err.message}`, {
          cause: err,
        }),
      );
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });

  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    address: Object.freeze({ host: bound.address, port: bound.port }),
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function handle(registry: MetricsRegistry, activation: (() => ControlStatus) | undefined, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const isActivation = activation !== undefined && (path === '/activation' || path === '/activation.json');
  if (path !== '/metrics' && !isActivation) {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  if (isActivation) {
    serveActivation(activation, path === '/activation.json', req, res);
    return;
  }
  let body: string;
  try {
    body = registry.render();
  } catch (err) {
    send(res, 500, 'text/plain; charset=utf-8', `metrics rendering failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return;
  }
  send(res, 200, PROMETHEUS_CONTENT_TYPE, body, req.method === 'HEAD');
}

function serveActivation(activation: () => ControlStatus, json: boolean, req: IncomingMessage, res: ServerResponse): void {
  let status: ControlStatus;
  try {
    status = activation();
  } catch (err) {
    send(res, 500, 'text/plain; charset=utf-8', `activation status failed: ${err instanceof Error ? err.message : String(err)}\n`);
    return;
  }
  const headOnly = req.method === 'HEAD';
  if (json) {
    send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(activationSummary(status))}\n`, headOnly);
    return;
  }
  // A page of our own text only: no scripts, no outside resources, not framable.
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  send(res, 200, 'text/html; charset=utf-8', renderActivationPage(status), headOnly);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': buf.length,
    'Cache-Control': 'no-store',
  });
  res.end(headOnly ? undefined : buf);
}

function formatAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
