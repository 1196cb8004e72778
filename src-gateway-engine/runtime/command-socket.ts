/**
 * The command API over a local Unix socket: one JSON object per line each way,
 * `{id, method, params}` → `{id, ok, result}` or `{id, ok:false, error:{code, message}}`.
 * The socket lives in the data dir (0700) and is itself 0600: file permissions are the
 * access control, as for docker.sock.
 */
import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, TidegateError } from '../errors/index.js';
import type { CommandParams, CommandResult, EngineCommand, EngineCommandApi } from './engine-commands.js';

/** Largest request line accepted (commands are small; anything bigger is an attack or a bug). */
const MAX_LINE_BYTES = 1 << 20;

/** Path of the command socket in a data dir. */
export function commandSocketPath(dataDir: string): string {
  return join(dataDir, 'control.sock');
}

/** Serve the command API on the data dir's socket. */
export async function serveCommandSocket(dataDir: string, api: EngineCommandApi): Promise<{ close(): Promise<void> }> {
  const path = commandSocketPath(dataDir);
  await rm(path, { force: true }); // left by a killed engine; the data-dir lock already proved it is dead
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE_BYTES) {
        sock.end(`${JSON.stringify({ id: null, ok: false, error: { code: ErrorCode.InvalidArgument, message: 'request too large' } })}\n`);
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        void handle(api, line).then((reply) => {
          if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`);
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return {
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}

async function handle(api: EngineCommandApi, line: string): Promise<unknown> {
  let id: unknown = null;
  try {
    const req = JSON.parse(line) as { id?: unknown; method?: unknown; params?: unknown };
    id = req.id ?? null;
    if (typeof req.method !== 'string' || !Object.hasOwn(api, req.method)) {
      throw new TidegateError(ErrorCode.NotSupported, `unknown command ${JSON.stringify(req.method)}`);
    }
    const fn = api[req.method as EngineCommand] as (p: unknown) => Promise<unknown>;
    const result = await fn((req.params ?? {}) as never);
    return { id, ok: true, result };
  } catch (err) {
    const code = err instanceof TidegateError ? err.code : err instanceof SyntaxError ? ErrorCode.InvalidArgument : ErrorCode.IoError;
    const message = err instanceof Error ? err.message : String(err);
    return { id, ok: false, error: { code, message } };
  }
}

/** Call one command on a running engine. */
export async function callEngine<M extends EngineCommand>(dataDir: string, method: M, params: CommandParams<M>, timeoutMs = 0): Promise<CommandResult<M>> {
  const path = commandSocketPath(dataDir);
  return new Promise<CommandResult<M>>((resolve, reject) => {
    const sock = connect(path);
    let buf = '';
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        sock.destroy();
        reject(new TidegateError(ErrorCode.Timeout, `the gateway did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      const reply = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: { code: ErrorCode; message: string } };
      if (reply.ok) resolve(reply.result as CommandResult<M>);
      else reject(new TidegateError(reply.error!.code, reply.error!.message));
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        reject(new TidegateError(ErrorCode.NotFound, `no gateway is running with data dir ${dataDir} (start it with: tidegate serve --data-dir ${dataDir})`));
      } else if (err.code === 'EACCES') {
        reject(new TidegateError(ErrorCode.AccessDenied, `permission denied on ${path}: run as the user that runs the gateway`));
      } else reject(err);
    });
  });
}
