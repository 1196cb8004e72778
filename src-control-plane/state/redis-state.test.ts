import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerSkipReason, startRedisServer, type RedisServerHandle } from '../test/support/redis-server.js';
import { hashApiToken } from './api-token.js';
import type { ControlPlaneState } from './control-plane-state.js';
import { openRedisState, type RedisStateOptions } from './redis-state.js';
import { StateUnavailableError } from './state-unavailable-error.js';
import { describeStateContract, makeKeyRecord, makeSample, waitFor } from './test/state-contract.js';

const skipReason = redisServerSkipReason();
const quiet: RedisStateOptions = { onError: () => undefined };

describe.skipIf(skipReason !== undefined)(`Redis state${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let server: RedisServerHandle;
  const opened: ControlPlaneState[] = [];
  /** A state under a fresh key prefix, so tests never see each other's keys. */
  const open = async (prefix = `test-${randomUUID()}:`, url = server.url): Promise<ControlPlaneState> => {
    const state = await openRedisState(url, { ...quiet, keyPrefix: prefix });
    opened.push(state);
    return state;
  };

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await Promise.allSettled(opened.map((s) => s.close()));
    await server?.stop();
  });

  describeStateContract('redis', () => openRedisState(server.url, { ...quiet, keyPrefix: `test-${randomUUID()}:` }));

  describe('between two servers', () => {
    it('delivers a message published by one server to the other, and broadcasts to both', async () => {
      const a = await open();
      const b = await open();
      const idA = randomUUID();
      const idB = randomUUID();
      const broadcast = `tidegate:broadcast:${randomUUID()}`;
      const atA: unknown[] = [];
      const atB: unknown[] = [];
      await a.bus.subscribe(`tidegate:server:${idA}`, (m) => atA.push(m));
      await b.bus.subscribe(`tidegate:server:${idB}`, (m) => atB.push(m));
      await a.bus.subscribe(broadcast, (m) => atA.push(['broadcast', m]));
      await b.bus.subscribe(broadcast, (m) => atB.push(['broadcast', m]));

      const forward = { kind: 'forward', requestId: 'r1', gatewayId: 'gw-1', method: 'status', params: {}, deadline: Date.now() + 10_000, replyTo: idA };
      await a.bus.publish(`tidegate:server:${idB}`, forward);
      await waitFor(() => atB.length === 1);
      expect(atB).toEqual([forward]);
      await b.bus.publish(`tidegate:server:${idA}`, { kind: 'reply', requestId: 'r1', servedBy: idB });
      await waitFor(() => atA.length === 1);
      expect(atA).toEqual([{ kind: 'reply', requestId: 'r1', servedBy: idB }]);

      await b.bus.publish(broadcast, { kind: 'forward', requestId: 'r2' });
      await waitFor(() => atA.length === 2 && atB.length === 2);
      expect(atA[1]).toEqual(['broadcast', { kind: 'forward', requestId: 'r2' }]);
      expect(atB[1]).toEqual(['broadcast', { kind: 'forward', requestId: 'r2' }]);
    });

    it('decides races between servers once: activation key, alert, nonce, registry', async () => {
      const prefix = `test-${randomUUID()}:`;
      const a = await open(prefix);
      const b = await open(prefix);
      const record = makeKeyRecord();
      await a.activationKeys.put(record);
      const uses = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).activationKeys.use(record.key, `gw-${i}`, new Date())));
      expect(uses.filter((u) => u.outcome === 'used')).toHaveLength(1);

      const key = { rule: 'gateway-offline', gatewayId: 'gw-1', volume: null };
      const opens = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).alerts.open(key, { severity: 'critical', message: 'offline', value: null }, new Date())));
      expect(opens.filter((o) => o.created)).toHaveLength(1);
      expect((await b.alerts.list({ state: 'open' })).map((x) => x.id)).toEqual([opens[0]!.alert.id]);

      const nonce = randomUUID();
      expect(await a.nonces.remember(nonce, 60_000)).toBe(true);
      expect(await b.nonces.remember(nonce, 60_000)).toBe(false);

      await a.registry.set('gw-1', { serverId: 'srv-a', connectionId: 'c-a', since: new Date().toISOString() }, 30_000);
      await b.registry.set('gw-1', { serverId: 'srv-b', connectionId: 'c-b', since: new Date().toISOString() }, 30_000);
      await a.registry.removeIf('gw-1', 'c-a');
      expect((await a.registry.get('gw-1'))?.serverId).toBe('srv-b');
      expect(Object.fromEntries(await a.registry.countByServer())).toEqual({ 'srv-b': 1 });
    });
  });

  describe('keys', () => {
    it('keeps every key under the prefix, TTLs on transient keys, and never a token', async () => {
      const prefix = `iso-${randomUUID()}:`;
      const s = await open(prefix);
      const { token } = await s.accounts.create('acme');
      await s.activationKeys.put(makeKeyRecord());
      await s.registry.set('gw-1', { serverId: 'srv', connectionId: 'c', since: new Date().toISOString() }, 30_000);
      await s.nonces.remember('n1', 60_000);
      await s.rateLimiter.hit('k', 1, 60_000);
      await s.samples.append('gw-1', makeSample('2030-01-01T00:00:00.000Z'));
      await s.alerts.open({ rule: 'r', gatewayId: 'gw-1', volume: null }, { severity: 'info', message: 'm', value: 1 }, new Date());

      const raw = new Redis(server.url);
      try {
        const keys = (await raw.keys(`${prefix}*`)).map((k) => k.slice(prefix.length)).sort();
        expect(keys).toEqual(
          ['accounts', 'activation-key:', 'alert:', 'alerts', 'alerts:open', 'holder:gw-1', 'nonce:n1', 'rate:k', 'samples:gw-1', 'tokens'].map((k) =>
            keys.find((x) => x.startsWith(k)),
          ).sort(),
        );
        expect(keys).toHaveLength(10);
        for (const transient of ['holder:gw-1', 'nonce:n1', 'rate:k']) expect(await raw.pttl(prefix + transient)).toBeGreaterThan(0);
        expect(await raw.pttl(keys.map((k) => prefix + k).find((k) => k.includes('activation-key:'))!)).toBeGreaterThan(0);
        expect(await raw.hget(`${prefix}tokens`, hashApiToken(token))).toMatch(/^acct-/);
        const dump = JSON.stringify(await raw.hgetall(`${prefix}tokens`)) + JSON.stringify(await raw.hgetall(`${prefix}accounts`));
        expect(dump).not.toContain(token.slice(3));
      } finally {
        raw.disconnect();
      }
    });
  });

  describe('faults', () => {
    it('rejects calls with StateUnavailableError within seconds when Redis dies, and close still returns', async () => {
      const own = await startRedisServer();
      try {
        const s = await openRedisState(own.url, { ...quiet, commandTimeoutMs: 3_000 });
        await s.accounts.create('before');
        await s.bus.subscribe('tidegate:broadcast', () => undefined);
        own.kill();
        await new Promise((r) => setTimeout(r, 50));
        const started = Date.now();
        const calls = await Promise.allSettled([
          s.accounts.list(),
          s.registry.get('gw-1'),
          s.nonces.remember(randomUUID(), 1_000),
          s.bus.publish('tidegate:broadcast', { kind: 'x' }),
          s.bus.subscribe('tidegate:server:late', () => undefined),
          s.samples.append('gw-1', makeSample(new Date().toISOString())),
        ]);
        expect(Date.now() - started).toBeLessThan(3_000);
        for (const call of calls) {
          expect(call.status).toBe('rejected');
          const reason = (call as PromiseRejectedResult).reason as Error;
          expect(reason).toBeInstanceOf(StateUnavailableError);
          expect(reason.message).toMatch(/redis 127\.0\.0\.1:\d+ unavailable \(.+\): .*ECONNREFUSED/);
        }
        // While Redis stays away, later calls fail at once instead of waiting out more reconnects.
        const again = Date.now();
        await expect(s.gateways.get('gw-1')).rejects.toBeInstanceOf(StateUnavailableError);
        expect(Date.now() - again).toBeLessThan(500);
        const closing = Date.now();
        await s.close();
        expect(Date.now() - closing).toBeLessThan(1_000);
        await expect(s.accounts.list()).rejects.toThrow(/closed/);
      } finally {
        await own.stop();
      }
    });

    it('recovers by itself when Redis comes back, bus subscriptions included', async () => {
      let own = await startRedisServer();
      const port = own.port;
      const s = await openRedisState(own.url, quiet);
      try {
        const got: unknown[] = [];
        await s.bus.subscribe('tidegate:server:recovering', (m) => got.push(m));
        own.kill();
        await own.stop();
        await expect(s.accounts.list()).rejects.toBeInstanceOf(StateUnavailableError);
        own = await startRedisServer({ port });
        const back = Date.now();
        let listed: unknown = null;
        while (listed === null && Date.now() - back < 5_000) {
          listed = await s.accounts.list().catch(() => null);
          if (listed === null) await new Promise((r) => setTimeout(r, 100));
        }
        expect(listed).toEqual([]);
        const publisher = await openRedisState(own.url, quiet);
        try {
          // The subscriber connection resubscribes on its own; publish until a message gets through.
          const deadline = Date.now() + 5_000;
          while (got.length === 0 && Date.now() < deadline) {
            await publisher.bus.publish('tidegate:server:recovering', { kind: 'ping' });
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(got[0]).toEqual({ kind: 'ping' });
        } finally {
          await publisher.close();
        }
      } finally {
        await s.close();
        await own.stop();
      }
    });

    it('refuses to open when Redis cannot be reached', async () => {
      const own = await startRedisServer();
      await own.stop();
      const started = Date.now();
      await expect(openRedisState(own.url, quiet)).rejects.toThrow(StateUnavailableError);
      await expect(openRedisState(own.url, quiet)).rejects.toThrow(/cannot connect to redis 127\.0\.0\.1:\d+/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
});
