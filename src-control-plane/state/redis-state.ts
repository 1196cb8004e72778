/**
 * The control-plane state shared by many servers through one Redis (`control-plane serve
 * --redis URL`): every store over one command connection, the bus over a second, subscriber
 * connection. Key layout in redis-keys.ts, atomic decisions in redis-scripts.ts, failure
 * behaviour in redis-link.ts.
 */
import { Redis } from 'ioredis';
import type { ControlPlaneState } from './control-plane-state.js';
import type { BackgroundErrorHandler } from './background-error-handler.js';
import { RedisAccounts } from './redis-accounts.js';
import { RedisActivationKeys } from './redis-activation-keys.js';
import { RedisAlerts } from './redis-alerts.js';
import { RedisBus } from './redis-bus.js';
import { RedisGateways } from './redis-gateways.js';
import { DEFAULT_KEY_PREFIX, RedisKeys } from './redis-keys.js';
import { connectOrThrow, DEFAULT_COMMAND_TIMEOUT_MS, quitConnection, RedisLink, redisDisplayName, redisOptions, reportConnectionErrors } from './redis-link.js';
import { RedisNonces } from './redis-nonces.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { RedisRegistry } from './redis-registry.js';
import { RedisSamples } from './redis-samples.js';

/** Options of `openRedisState`. */
export interface RedisStateOptions {
  /** Prefix of every key (default `tidegate:`); bus channels are not prefixed. */
  keyPrefix?: string;
  /** Cap on one call, ms (default 5 s). */
  commandTimeoutMs?: number;
  /** Connection errors (reported once per distinct message) and bus handlers that threw. Default: stderr. */
  onError?: BackgroundErrorHandler;
}

/** Connects to Redis at `url` (`redis://[user:pass@]host:port[/db]`); rejects if it cannot be reached. */
export async function openRedisState(url: string, opts: RedisStateOptions = {}): Promise<ControlPlaneState> {
  const onError = opts.onError ?? reportToStderr;
  const where = redisDisplayName(url);
  const commandTimeoutMs = opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = new Redis(url, redisOptions('commands', commandTimeoutMs));
  const subscriber = new Redis(url, redisOptions('subscriber', commandTimeoutMs));
  reportConnectionErrors(client, where, onError);
  reportConnectionErrors(subscriber, where, onError);
  try {
    await Promise.all([connectOrThrow(client, where), connectOrThrow(subscriber, where)]);
  } catch (err) {
    await Promise.all([quitConnection(client), quitConnection(subscriber)]);
    throw err;
  }

  const keys = new RedisKeys(opts.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const link = new RedisLink(client, where);
  const bus = new RedisBus(link, new RedisLink(subscriber, where), onError);
  let closing: Promise<void> | null = null;
  return {
    kind: 'redis',
    accounts: new RedisAccounts(link, keys),
    activationKeys: new RedisActivationKeys(link, keys),
    gateways: new RedisGateways(link, keys),
    registry: new RedisRegistry(link, keys),
    nonces: new RedisNonces(link, keys),
    rateLimiter: new RedisRateLimiter(link, keys),
    samples: new RedisSamples(link, keys),
    alerts: new RedisAlerts(link, keys),
    bus,
    close() {
      closing ??= Promise.all([bus.close(), link.close()]).then(() => undefined);
      return closing;
    },
  };
}

function reportToStderr(error: unknown, context: string): void {
  console.error(`control-plane state: ${context}:`, error instanceof Error ? error.message : error);
}
