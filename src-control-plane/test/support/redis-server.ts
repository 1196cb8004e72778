/**
 * A throw-away redis-server for tests: 127.0.0.1 on a free port, no persistence
 * (`--save '' --appendonly no`), its own temp folder, stopped (by PID) and wiped by `stop()`.
 * `kill()` SIGKILLs it at once, for fault tests. Tests that need it call
 * `redisServerSkipReason()` first: with CI set a missing binary is an error, otherwise they
 * skip with "redis-server not installed".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

/** A running redis-server. */
export interface RedisServerHandle {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** SIGTERM, wait for exit (SIGKILL after 5 s), remove the temp folder. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL now, without waiting (the folder is removed by a later `stop()`). */
  kill(): void;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** The redis-server binary: /usr/bin/redis-server, else the first on PATH; null when there is none. */
export function redisServerPath(): string | null {
  const candidates = ['/usr/bin/redis-server', ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean).map((d) => path.join(d, 'redis-server'))];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** Why Redis tests must skip, or undefined when they can run. Throws in CI when redis-server is missing. */
export function redisServerSkipReason(): string | undefined {
  if (redisServerPath()) return undefined;
  if (process.env.CI) throw new Error('redis-server not installed; CI must install redis-server');
  return 'redis-server not installed';
}

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** Listen on this port (e.g. to restart a killed server where its clients expect it); default a free one. */
  port?: number;
}

/** Starts a fresh redis-server; retries on another port if the chosen one was taken meanwhile. */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = redisServerPath();
  if (!binary) throw new Error('redis-server not installed');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tidegate-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < (opts.port === undefined ? 3 : 1); attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      const child = await launch(binary, port, dir);
      return handle(child, port, dir);
    } catch (err) {
      lastError = err;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

function handle(child: ChildProcess, port: number, dir: string): RedisServerHandle {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | null = null;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** Spawns redis-server and resolves once it accepts connections. */
function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', ''];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        // Keep draining the pipes so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    const onExit = (code: number | null, signal: string | null) => fail(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', fail);
    };
    function fail(err: Error) {
      cleanup();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(err);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', fail);
  });
}

/** A port that was free a moment ago (bind port 0, read it, close). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
