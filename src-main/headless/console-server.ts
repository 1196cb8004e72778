/**
 * The headless console: the built renderer and the console's IPC contract served to a browser
 * by `tidegate serve --console HOST:PORT`, for gateways without a display.
 *
 *   GET  /…                     the renderer's files (index.html for unknown paths)
 *   POST /api/invoke/<channel>  body: the request as JSON → {ok:true,result} | {ok:false,error:{code,message}}
 *   GET  /api/events            WebSocket; each message {event, payload}
 *
 * Every request passes request-guard.ts (token, origin, loopback Host). TLS is required when
 * the console listens beyond loopback.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../electron/content-security-policy.js';
import { toConsoleErrorBody } from '../ipc/console-error.js';
import type { EmitEvent, RegisterHandler } from '../ipc/handlers/index.js';
import { IPC_INVOKE_CHANNELS, type IpcInvokeChannel } from '../ipc/ipc-contract.js';
import { guardRequest, tokenCookie, type GuardOptions } from './request-guard.js';
import { serveStaticFile } from './static-files.js';

/** Largest request body accepted (requests are small; a CA certificate is the biggest). */
const MAX_BODY_BYTES = 256 * 1024;
const PING_MS = 30_000;

export interface ConsoleServerOptions {
  host: string;
  port: number;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  token: string;
  /** Required unless `host` is a loopback address. */
  tls?: { certPem: string; keyPem: string };
}

export interface RunningConsoleServer {
  /** The URL to open, token included. */
  readonly url: string;
  readonly port: number;
  /** Register a handler for a channel (pass to registerConsoleHandlers). */
  readonly register: RegisterHandler;
  /** Push an event to every connected browser. */
  readonly emit: EmitEvent;
  /** Browsers connected to the event stream now. */
  readonly watchers: number;
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;
const CHANNELS: ReadonlySet<string> = new Set(IPC_INVOKE_CHANNELS);

/** True when `host` is a loopback address (the console needs no TLS there). */
export function isLoopbackAddress(host: string): boolean {
  return LOOPBACK.test(host);
}

/** Start serving; resolves once listening. */
export async function startConsoleServer(o: ConsoleServerOptions): Promise<RunningConsoleServer> {
  const loopback = isLoopbackAddress(o.host);
  if (!loopback && o.tls === undefined) throw new Error(`the console needs TLS to listen on ${o.host} (beyond loopback)`);
  const handlers = new Map<string, (req: unknown) => Promise<unknown>>();
  const sockets = new Set<WebSocket>();
  const scheme = o.tls ? 'https' : 'http';
  let guard: GuardOptions = { token: o.token, scheme, loopback, port: o.port };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handleRequest(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: 'INTERNAL', message: err.message } });
      else res.destroy();
    });
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://console');
    const acting = req.method !== 'GET' && req.method !== 'HEAD';
    const verdict = guardRequest(req, guard, acting);
    if (!verdict.ok) {
      if (url.pathname.startsWith('/api/')) return sendJson(res, verdict.status, { ok: false, error: { code: verdict.code, message: verdict.message } });
      return sendText(res, verdict.status, `Tidegate console: ${verdict.message}\n`);
    }
    if (verdict.via === 'query') {
      // Trade the token in the address bar for a cookie, and drop it from the URL.
      url.searchParams.delete('token');
      res.writeHead(303, { location: url.pathname + url.search, 'set-cookie': tokenCookie(o.token, scheme === 'https'), 'cache-control': 'no-store' });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/api/invoke/')) {
      if (req.method !== 'POST') return sendJson(res, 405, { ok: false, error: { code: 'METHOD_NOT_ALLOWED', message: 'use POST' } });
      const channel = decodeURIComponent(url.pathname.slice('/api/invoke/'.length));
      const handler = CHANNELS.has(channel) ? handlers.get(channel) : undefined;
      if (handler === undefined) return sendJson(res, 404, { ok: false, error: { code: 'UNKNOWN_CHANNEL', message: `no console call named ${JSON.stringify(channel)}` } });
      let request: unknown;
      try {
        const body = await readBody(req);
        request = body.length === 0 ? null : JSON.parse(body);
      } catch (err) {
        return sendJson(res, 400, { ok: false, error: { code: 'INVALID_ARGUMENT', message: (err as Error).message } });
      }
      try {
        sendJson(res, 200, { ok: true, result: await handler(request ?? undefined) });
      } catch (err) {
        const error = toConsoleErrorBody(err);
        sendJson(res, statusOf(error.code), { ok: false, error });
      }
      return;
    }
    if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { ok: false, error: { code: 'NOT_FOUND', message: `no such API path ${url.pathname}` } });
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
    await serveStaticFile(o.rendererDir, url.pathname, req, res, { 'content-security-policy': CONTENT_SECURITY_POLICY, ...SECURITY_HEADERS });
  };

  const server: Server = o.tls ? createHttpsServer({ cert: o.tls.certPem, key: o.tls.keyPem }, onRequest) : createHttpServer(onRequest);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://console');
    const verdict = guardRequest(req, guard, true);
    if (url.pathname !== '/api/events' || !verdict.ok || verdict.via === 'query') {
      const status = !verdict.ok ? verdict.status : 404;
      socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      let alive = true;
      ws.on('pong', () => (alive = true));
      const ping = setInterval(() => {
        if (!alive) return ws.terminate();
        alive = false;
        ws.ping();
      }, PING_MS);
      ping.unref();
      ws.on('close', () => {
        clearInterval(ping);
        sockets.delete(ws);
      });
      ws.on('error', () => undefined);
      // The console only listens; anything it sends is ignored.
      ws.on('message', () => undefined);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  guard = { ...guard, port };
  const hostInUrl = o.host.includes(':') ? `[${o.host}]` : o.host;

  return {
    url: `${scheme}://${hostInUrl}:${port}/?token=${o.token}`,
    port,
    register: (channel: IpcInvokeChannel, handler) => {
      handlers.set(channel, handler as (req: unknown) => Promise<unknown>);
    },
    emit: (event, payload) => {
      if (sockets.size === 0) return;
      const text = JSON.stringify({ event, payload });
      for (const ws of sockets) if (ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 20) ws.send(text);
    },
    get watchers() {
      return sockets.size;
    },
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** HTTP status for a console error code (the body carries the code either way). */
function statusOf(code: string): number {
  if (code === 'INVALID_ARGUMENT' || code === 'CONFIRMATION_MISMATCH' || code.endsWith('_INVALID') || code === 'API_TOKEN_REQUIRED') return 400;
  if (code === 'NOT_FOUND' || code.endsWith('_UNKNOWN')) return 404;
  if (code === 'ALREADY_EXISTS' || code.endsWith('_USED') || code === 'ACTIVATION_NOT_STARTED') return 409;
  if (code === 'TIMEOUT' || code === 'GATEWAY_TIMEOUT') return 504;
  if (code === 'INTERNAL' || code === 'IO_ERROR') return 500;
  return 422;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(text);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...SECURITY_HEADERS });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
