/**
 * One ioredis connection as the Redis state uses it: options chosen so a lost Redis makes
 * calls reject within seconds instead of hanging, and every failure that is about reaching
 * Redis surfaced as a `StateUnavailableError` naming the server and the operation.
 *
 * How a call fails when Redis goes away: commands wait in ioredis' offline queue while it
 * reconnects (200 ms, 400 ms, … up to 1 s apart); after `MAX_RETRIES_PER_REQUEST`
 * reconnection attempts the queue is rejected, and `commandTimeoutMs` caps any single call
 * (a server that accepts connections but does not answer). Once a call has failed that
 * way, later calls fail at once until the connection is ready again, so a Redis that stays
 * away costs callers nothing but the error. Calls in flight when the connection broke are
 * resent after a reconnect; redis-scripts.ts keeps that safe.
 */
import { Redis, type ChainableCommander, type RedisOptions } from 'ioredis';
import type { LuaScript } from './redis-scripts.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { StateUnavailableError } from './state-unavailable-error.js';

/** Reconnection attempts a queued command waits through before it is rejected. */
export const MAX_RETRIES_PER_REQUEST = 2;
/** Default cap on one call, ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5_000;
/** How long one connection attempt may take, ms. */
export const CONNECT_TIMEOUT_MS = 2_000;

/** ioredis options for a state connection. */
export function redisOptions(role: string, commandTimeoutMs: number): RedisOptions {
  return {
    lazyConnect: true,
    connectionName: `tidegate-control-plane-${role}`,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    enableOfflineQueue: true,
    retryStrategy: (times) => Math.min(times * 200, 1_000),
  };
}

/** `host:port` of a Redis URL, without credentials, for messages. */
export function redisDisplayName(url: string): string {
  try {
    const parsed = new URL(url);
    return `redis ${parsed.host}`;
  } catch {
    return 'redis';
  }
}

/** Connects `client` (created with `lazyConnect`), or disconnects it and throws a clear error. */
export async function connectOrThrow(client: Redis, where: string): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new StateUnavailableError(`control-plane state: cannot connect to ${where}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reports a connection's 'error' events (which ioredis repeats on every reconnection
 * attempt) once per distinct message until the connection is ready again.
 */
export function reportConnectionErrors(client: Redis, where: string, onError: BackgroundErrorHandler): void {
  let last: string | null = null;
  client.on('ready', () => (last = null));
  client.on('error', (err: Error) => {
    if (err.message === last) return;
    last = err.message;
    onError(err, `connection to ${where}`);
  });
}

/** One connection, with error wrapping, script calls and fast failure while Redis is down. */
export class RedisLink {
  private closed = false;
  /** Set once a call failed for want of Redis; until the next 'ready', calls fail at once. */
  private down = false;
  private lastConnectionError: string | null = null;

  constructor(
    readonly client: Redis,
    readonly where: string,
  ) {
    client.on('ready', () => {
      this.down = false;
      this.lastConnectionError = null;
    });
    client.on('error', (err: Error) => (this.lastConnectionError = err.message));
  }

  /** Runs `op`; connection failures become `StateUnavailableError`, Redis' own errors pass through. */
  async run<T>(what: string, op: (client: Redis) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('control-plane state is closed');
    if (this.down && this.client.status !== 'ready') {
      throw new StateUnavailableError(`control-plane state: ${this.where} unavailable (${what}): ${this.lastConnectionError ?? 'connection lost'}; reconnecting`);
    }
    try {
      return await op(this.client);
    } catch (err) {
      throw this.wrap(what, err);
    }
  }

  /** Runs a Lua script by SHA, loading it on the first NOSCRIPT. */
  script(what: string, lua: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return this.run(what, async (client) => {
      try {
        return await client.evalsha(lua.sha1, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        return await client.eval(lua.source, keys.length, ...keys, ...args);
      }
    });
  }

  /** Quits (or, if Redis is gone, drops) the connection; later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await quitConnection(this.client);
  }

  /** Runs the commands `build` queues as one MULTI/EXEC; rejects on the first failed command. */
  transaction(what: string, build: (multi: ChainableCommander) => ChainableCommander): Promise<unknown[]> {
    return this.run(what, async (client) => {
      const results = await build(client.multi()).exec();
      if (results === null) throw new Error('Redis transaction was aborted');
      for (const [err] of results) if (err) throw err;
      return results.map(([, value]) => value);
    });
  }

  /** Every key matching `pattern` (SCAN, so Redis is never blocked by a KEYS). */
  scan(what: string, pattern: string): Promise<string[]> {
    return this.run(what, async (client) => {
      const keys = new Set<string>();
      let cursor = '0';
      do {
        const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        for (const key of batch) keys.add(key);
        cursor = next;
      } while (cursor !== '0');
      return [...keys];
    });
  }

  private wrap(what: string, err: unknown): unknown {
    // Redis' own answers are bugs or bad input, except those saying it cannot serve right now.
    if (err instanceof Error && err.name === 'ReplyError' && !/^(LOADING|READONLY|MASTERDOWN|BUSY|TRYAGAIN)\b/.test(err.message)) return err;
    if (this.client.status !== 'ready') this.down = true;
    let reason = err instanceof Error ? err.message : String(err);
    if (err instanceof Error && err.name === 'MaxRetriesPerRequestError') {
      reason = `${this.lastConnectionError ?? 'connection lost'} (gave up after ${MAX_RETRIES_PER_REQUEST} reconnection attempts)`;
    }
    return new StateUnavailableError(`control-plane state: ${this.where} unavailable (${what}): ${reason}`, { cause: err });
  }
}

/** QUIT when connected; otherwise disconnect at once (a QUIT would wait for a reconnect). */
export async function quitConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: drop it
    }
  }
  client.disconnect();
}
