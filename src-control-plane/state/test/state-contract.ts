/**
 * The contract every `ControlPlaneState` implementation must meet, as one vitest suite run
 * against each (embedded-state.test.ts, redis-state.test.ts). Each test gets a fresh state
 * from the factory; TTL tests use real time with short TTLs so Redis is tested for real.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { StatusSample } from '../../../src-gateway-engine/control/control-wire.js';
import type { ActivationKeyRecord, ControlPlaneState, GatewayRecord } from '../control-plane-state.js';
import { newActivationKey } from '../activation-key-format.js';

/** Makes a fresh, empty state for one test. */
export type StateFactory = () => Promise<ControlPlaneState>;

/** A minimal valid status sample at `at`, tagged with `version` so tests can tell samples apart. */
export function makeSample(at: string, version = '1.0.0'): StatusSample {
  return {
    at,
    version,
    IoWaitPercent: 0,
    cache: { capacityBytes: 1 << 30, usedBytes: 0, CacheHitPercent: 100, CachePercentUsed: 0, CachePercentDirty: 0 },
    uploadBuffer: { capacityBytes: 1 << 30, usedBytes: 0, UploadBufferPercentUsed: 0, QueuedWrites: 0, WritesWaitingForBuffer: 0, keptBytes: 0, bandwidthBytesPerSec: 0 },
    volumes: [],
    errors: [],
  };
}

/** An unused activation key record expiring `ttlMs` from now. */
export function makeKeyRecord(ttlMs = 30 * 60_000): ActivationKeyRecord {
  const now = Date.now();
  return {
    key: newActivationKey(),
    publicKey: 'pk-' + randomUUID(),
    metadata: { version: '1.0.0', host: 'host-a', platform: 'linux', capacityBytes: 2 ** 45 + 1, localGatewayId: 'local-' + randomUUID() },
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttlMs).toISOString(),
    gatewayId: null,
  };
}

/** A gateway record of `accountId`. */
export function makeGateway(accountId: string, id = 'gw-' + randomUUID(), activatedAt = new Date().toISOString()): GatewayRecord {
  return {
    id,
    accountId,
    name: 'Office ' + id.slice(-4),
    timezone: 'Europe/Paris',
    publicKey: 'pk-' + id,
    metadata: { version: '1.0.0', host: 'host-' + id.slice(-4), platform: 'linux', capacityBytes: 1e12, localGatewayId: 'local-' + id },
    activatedAt,
    lastSeenAt: null,
  };
}

/** Registers the contract tests for one implementation. */
export function describeStateContract(label: string, factory: StateFactory): void {
  describe(`ControlPlaneState contract: ${label}`, () => {
    const open: ControlPlaneState[] = [];
    const fresh = async (): Promise<ControlPlaneState> => {
      const state = await factory();
      open.push(state);
      return state;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    describe('accounts', () => {
      it('creates an account with a one-time token and finds it by that token only', async () => {
        const s = await fresh();
        const { account, token } = await s.accounts.create('acme');
        expect(account.id).toMatch(/^acct-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(account.name).toBe('acme');
        expect(Number.isFinite(Date.parse(account.createdAt))).toBe(true);
        expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
        expect(await s.accounts.byToken(token)).toEqual(account);
        expect(await s.accounts.byToken(token + 'x')).toBeNull();
        expect(await s.accounts.byToken('tg_' + 'A'.repeat(43))).toBeNull();
        expect(await s.accounts.get(account.id)).toEqual(account);
        expect(await s.accounts.get('acct-missing')).toBeNull();
      });

      it('lists every account, oldest first', async () => {
        const s = await fresh();
        const a = await s.accounts.create('a');
        await sleep(2);
        const b = await s.accounts.create('b');
        expect((await s.accounts.list()).map((x) => x.id)).toEqual([a.account.id, b.account.id]);
        expect(a.token).not.toBe(b.token);
        expect((await s.accounts.byToken(b.token))?.id).toBe(b.account.id);
      });
    });

    describe('activation keys', () => {
      it('stores and returns a key record', async () => {
        const s = await fresh();
        const record = makeKeyRecord();
        await s.activationKeys.put(record);
        expect(await s.activationKeys.get(record.key)).toEqual(record);
        expect(await s.activationKeys.get(newActivationKey())).toBeNull();
      });

      it('uses a pending key once; then already-used', async () => {
        const s = await fresh();
        const record = makeKeyRecord();
        await s.activationKeys.put(record);
        const first = await s.activationKeys.use(record.key, 'gw-1', new Date());
        expect(first).toEqual({ outcome: 'used', record: { ...record, gatewayId: 'gw-1' } });
        expect(await s.activationKeys.use(record.key, 'gw-2', new Date())).toEqual({ outcome: 'already-used' });
        expect((await s.activationKeys.get(record.key))?.gatewayId).toBe('gw-1');
      });

      it('refuses unknown and expired keys; a used key stays already-used after expiry', async () => {
        const s = await fresh();
        expect(await s.activationKeys.use(newActivationKey(), 'gw-1', new Date())).toEqual({ outcome: 'unknown' });
        const record = makeKeyRecord(60_000);
        await s.activationKeys.put(record);
        const later = new Date(Date.parse(record.expiresAt) + 1);
        expect(await s.activationKeys.use(record.key, 'gw-1', later)).toEqual({ outcome: 'expired' });
        expect(await s.activationKeys.use(record.key, 'gw-1', new Date(Date.parse(record.expiresAt)))).toEqual({ outcome: 'expired' });
        expect(await s.activationKeys.use(record.key, 'gw-1', new Date())).toMatchObject({ outcome: 'used' });
        expect(await s.activationKeys.use(record.key, 'gw-2', later)).toEqual({ outcome: 'already-used' });
      });

      it('answers a repeated use by the same gateway id (a retried call) as used again', async () => {
        const s = await fresh();
        const record = makeKeyRecord();
        await s.activationKeys.put(record);
        const first = await s.activationKeys.use(record.key, 'gw-1', new Date());
        expect(await s.activationKeys.use(record.key, 'gw-1', new Date(Date.parse(record.expiresAt) + 1))).toEqual(first);
        expect(await s.activationKeys.use(record.key, 'gw-2', new Date())).toEqual({ outcome: 'already-used' });
      });

      it('20 concurrent uses of one key: exactly one wins', async () => {
        const s = await fresh();
        const record = makeKeyRecord();
        await s.activationKeys.put(record);
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.activationKeys.use(record.key, `gw-${i}`, new Date())));
        const used = results.filter((r) => r.outcome === 'used');
        expect(used).toHaveLength(1);
        expect(results.filter((r) => r.outcome === 'already-used')).toHaveLength(19);
        const winner = used[0]!.outcome === 'used' ? used[0]!.record.gatewayId : null;
        expect((await s.activationKeys.get(record.key))?.gatewayId).toBe(winner);
      });
    });

    describe('gateways', () => {
      it('puts, gets and lists by account, oldest activation first', async () => {
        const s = await fresh();
        const g1 = makeGateway('acct-a', 'gw-1', '2030-01-01T00:00:00.000Z');
        const g2 = makeGateway('acct-b', 'gw-2', '2030-01-02T00:00:00.000Z');
        const g3 = makeGateway('acct-a', 'gw-3', '2030-01-03T00:00:00.000Z');
        await Promise.all([s.gateways.put(g3), s.gateways.put(g1), s.gateways.put(g2)]);
        expect(await s.gateways.get('gw-2')).toEqual(g2);
        expect(await s.gateways.get('gw-missing')).toBeNull();
        expect((await s.gateways.listByAccount('acct-a')).map((g) => g.id)).toEqual(['gw-1', 'gw-3']);
        expect(await s.gateways.listByAccount('acct-none')).toEqual([]);
        expect((await s.gateways.listAll()).map((g) => g.id)).toEqual(['gw-1', 'gw-2', 'gw-3']);
        expect((await s.gateways.listAll())[0]!.metadata.capacityBytes).toBe(1e12);
      });

      it('put replaces a record, also when it moves to another account', async () => {
        const s = await fresh();
        const g = makeGateway('acct-a', 'gw-1');
        await s.gateways.put(g);
        await s.gateways.put({ ...g, accountId: 'acct-b', name: 'renamed' });
        expect(await s.gateways.listByAccount('acct-a')).toEqual([]);
        expect(await s.gateways.listByAccount('acct-b')).toEqual([{ ...g, accountId: 'acct-b', name: 'renamed' }]);
      });

      it('touch moves lastSeenAt forward only and ignores unknown gateways', async () => {
        const s = await fresh();
        await s.gateways.put(makeGateway('acct-a', 'gw-1'));
        await s.gateways.touch('gw-1', new Date('2030-05-01T10:00:00.000Z'));
        expect((await s.gateways.get('gw-1'))?.lastSeenAt).toBe('2030-05-01T10:00:00.000Z');
        await s.gateways.touch('gw-1', new Date('2030-05-01T09:00:00.000Z'));
        expect((await s.gateways.get('gw-1'))?.lastSeenAt).toBe('2030-05-01T10:00:00.000Z');
        await s.gateways.touch('gw-1', new Date('2030-05-01T11:00:00.000Z'));
        expect((await s.gateways.listAll())[0]?.lastSeenAt).toBe('2030-05-01T11:00:00.000Z');
        await s.gateways.touch('gw-missing', new Date());
        expect(await s.gateways.get('gw-missing')).toBeNull();
      });
    });

    describe('registry', () => {
      const entry = (serverId: string, connectionId: string) => ({ serverId, connectionId, since: new Date().toISOString() });

      it('sets, gets, takes over and counts per server', async () => {
        const s = await fresh();
        await s.registry.set('gw-1', entry('srv-a', 'c1'), 30_000);
        await s.registry.set('gw-2', entry('srv-a', 'c2'), 30_000);
        await s.registry.set('gw-3', entry('srv-b', 'c3'), 30_000);
        expect(await s.registry.get('gw-1')).toMatchObject({ serverId: 'srv-a', connectionId: 'c1' });
        expect(await s.registry.get('gw-missing')).toBeNull();
        await s.registry.set('gw-1', entry('srv-b', 'c4'), 30_000);
        expect(await s.registry.get('gw-1')).toMatchObject({ serverId: 'srv-b', connectionId: 'c4' });
        expect(Object.fromEntries(await s.registry.countByServer())).toEqual({ 'srv-a': 1, 'srv-b': 2 });
      });

      it('refresh and removeIf act only for the connection the entry names', async () => {
        const s = await fresh();
        await s.registry.set('gw-1', entry('srv-a', 'old'), 30_000);
        await s.registry.set('gw-1', entry('srv-b', 'new'), 30_000);
        expect(await s.registry.refresh('gw-1', 'old', 30_000)).toBe(false);
        await s.registry.removeIf('gw-1', 'old');
        expect(await s.registry.get('gw-1')).toMatchObject({ serverId: 'srv-b', connectionId: 'new' });
        expect(await s.registry.refresh('gw-1', 'new', 30_000)).toBe(true);
        await s.registry.removeIf('gw-1', 'new');
        expect(await s.registry.get('gw-1')).toBeNull();
        expect(await s.registry.refresh('gw-1', 'new', 30_000)).toBe(false);
        await s.registry.removeIf('gw-missing', 'x');
      });

      it('entries expire after their TTL unless refreshed', async () => {
        const s = await fresh();
        await s.registry.set('gw-1', entry('srv-a', 'c1'), 300);
        await s.registry.set('gw-2', entry('srv-a', 'c2'), 300);
        await sleep(100);
        expect(await s.registry.refresh('gw-2', 'c2', 1_000)).toBe(true);
        await sleep(300);
        expect(await s.registry.get('gw-1')).toBeNull();
        expect(await s.registry.get('gw-2')).not.toBeNull();
        expect(Object.fromEntries(await s.registry.countByServer())).toEqual({ 'srv-a': 1 });
        expect(await s.registry.refresh('gw-1', 'c1', 1_000)).toBe(false);
      });
    });

    describe('nonces', () => {
      it('remembers a nonce once; a replay is refused until the TTL passes', async () => {
        const s = await fresh();
        const nonce = randomUUID();
        expect(await s.nonces.remember(nonce, 400)).toBe(true);
        expect(await s.nonces.remember(nonce, 400)).toBe(false);
        expect(await s.nonces.remember(randomUUID(), 400)).toBe(true);
        await sleep(500);
        expect(await s.nonces.remember(nonce, 400)).toBe(true);
        expect(await s.nonces.remember(nonce, 400)).toBe(false);
      });

      it('20 concurrent remembers of one nonce: exactly one is first', async () => {
        const s = await fresh();
        const nonce = randomUUID();
        const results = await Promise.all(Array.from({ length: 20 }, () => s.nonces.remember(nonce, 60_000)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('rate limiter', () => {
      it('allows `limit` hits per fixed window, then says how long to wait', async () => {
        const s = await fresh();
        const key = 'register:' + randomUUID();
        const results = await Promise.all(Array.from({ length: 5 }, () => s.rateLimiter.hit(key, 3, 500)));
        expect(results.filter((r) => r.allowed)).toHaveLength(3);
        for (const r of results.filter((x) => !x.allowed)) {
          expect(r.retryAfterMs).toBeGreaterThan(0);
          expect(r.retryAfterMs).toBeLessThanOrEqual(500);
        }
        for (const r of results.filter((x) => x.allowed)) expect(r.retryAfterMs).toBe(0);
        expect((await s.rateLimiter.hit('other:' + randomUUID(), 3, 500)).allowed).toBe(true);
        await sleep(600);
        expect(await s.rateLimiter.hit(key, 3, 500)).toEqual({ allowed: true, retryAfterMs: 0 });
      });
    });

    describe('samples', () => {
      it('keeps the newest sample of each minute and returns ranges in time order', async () => {
        const s = await fresh();
        await s.samples.append('gw-1', makeSample('2030-01-01T10:00:10.000Z', 'a'));
        await s.samples.append('gw-1', makeSample('2030-01-01T10:00:50.000Z', 'b'));
        await s.samples.append('gw-1', makeSample('2030-01-01T10:00:30.000Z', 'late-older'));
        await s.samples.append('gw-1', makeSample('2030-01-01T10:02:00.000Z', 'c'));
        await s.samples.append('gw-1', makeSample('2030-01-01T10:01:00.000Z', 'd'));
        await s.samples.append('gw-2', makeSample('2030-01-01T10:01:30.000Z', 'other'));
        const all = await s.samples.range('gw-1', 0, Date.parse('2031-01-01T00:00:00.000Z'));
        expect(all.map((x) => x.version)).toEqual(['b', 'd', 'c']);
        expect(all[0]).toEqual(makeSample('2030-01-01T10:00:50.000Z', 'b'));
        const some = await s.samples.range('gw-1', Date.parse('2030-01-01T10:00:50.000Z'), Date.parse('2030-01-01T10:01:00.000Z'));
        expect(some.map((x) => x.version)).toEqual(['b', 'd']);
        expect(await s.samples.range('gw-1', 10, 5)).toEqual([]);
        expect(await s.samples.range('gw-missing', 0, Date.now())).toEqual([]);
      });

      it('an equal time stored later replaces the earlier one', async () => {
        const s = await fresh();
        await s.samples.append('gw-1', makeSample('2030-01-01T10:00:10.000Z', 'first'));
        await s.samples.append('gw-1', makeSample('2030-01-01T10:00:10.000Z', 'second'));
        expect((await s.samples.range('gw-1', 0, Date.parse('2031-01-01'))).map((x) => x.version)).toEqual(['second']);
      });

      it('latest is the newest sample, across days', async () => {
        const s = await fresh();
        expect(await s.samples.latest('gw-1')).toBeNull();
        await s.samples.append('gw-1', makeSample('2030-01-01T23:59:30.000Z', 'a'));
        expect((await s.samples.latest('gw-1'))?.version).toBe('a');
        await s.samples.append('gw-1', makeSample('2030-01-02T00:00:10.000Z', 'b'));
        expect((await s.samples.latest('gw-1'))?.version).toBe('b');
        await s.samples.append('gw-1', makeSample('2030-01-01T12:00:00.000Z', 'older'));
        expect((await s.samples.latest('gw-1'))?.version).toBe('b');
        const range = await s.samples.range('gw-1', Date.parse('2030-01-01T23:00:00.000Z'), Date.parse('2030-01-02T01:00:00.000Z'));
        expect(range.map((x) => x.version)).toEqual(['a', 'b']);
      });

      it('prune drops samples before the cutoff and counts them', async () => {
        const s = await fresh();
        for (const [at, v] of [
          ['2030-01-01T10:00:00.000Z', 'd1'],
          ['2030-01-01T10:00:20.000Z', 'd1-newer'],
          ['2030-01-02T08:00:00.000Z', 'd2-early'],
          ['2030-01-02T12:00:00.000Z', 'd2-late'],
          ['2030-01-03T00:00:00.000Z', 'd3'],
        ] as const) {
          await s.samples.append('gw-1', makeSample(at, v));
        }
        await s.samples.append('gw-2', makeSample('2030-01-01T00:00:00.000Z', 'g2'));
        expect(await s.samples.prune(Date.parse('2030-01-02T12:00:00.000Z'))).toBe(3);
        expect((await s.samples.range('gw-1', 0, Date.parse('2031-01-01'))).map((x) => x.version)).toEqual(['d2-late', 'd3']);
        expect(await s.samples.latest('gw-2')).toBeNull();
        expect(await s.samples.prune(Date.parse('2030-01-02T12:00:00.000Z'))).toBe(0);
        await s.samples.append('gw-1', makeSample('2030-01-02T12:00:30.000Z', 'after-prune'));
        expect((await s.samples.range('gw-1', 0, Date.parse('2031-01-01'))).map((x) => x.version)).toEqual(['after-prune', 'd3']);
      });

      it('refuses a sample without a valid time', async () => {
        const s = await fresh();
        await expect(s.samples.append('gw-1', makeSample('not a time'))).rejects.toThrow(/valid "at"/);
      });
    });

    describe('alerts', () => {
      const key = (rule: string, gatewayId: string | null = 'gw-1', volume: string | null = null) => ({ rule, gatewayId, volume });
      const fields = { severity: 'warning' as const, message: 'upload buffer 85 %', value: 85 };

      it('opens once per rule, gateway and volume; closes; reopens as a new alert', async () => {
        const s = await fresh();
        const at = new Date('2030-01-01T10:00:00.000Z');
        const first = await s.alerts.open(key('upload-buffer-high'), fields, at);
        expect(first.created).toBe(true);
        expect(first.alert).toMatchObject({ rule: 'upload-buffer-high', gatewayId: 'gw-1', volume: null, state: 'open', openedAt: at.toISOString(), closedAt: null, value: 85, severity: 'warning' });
        expect(first.alert.id).toMatch(/^alert-/);
        const again = await s.alerts.open(key('upload-buffer-high'), { ...fields, value: 99 }, new Date());
        expect(again).toEqual({ alert: first.alert, created: false });
        const perVolume = await s.alerts.open(key('recovery-point-old', 'gw-1', 'vol-a'), fields, at);
        expect(perVolume.created).toBe(true);
        expect((await s.alerts.open(key('recovery-point-old', 'gw-1', 'vol-b'), fields, at)).created).toBe(true);

        const closedAt = new Date('2030-01-01T11:00:00.000Z');
        const closed = await s.alerts.close(key('upload-buffer-high'), closedAt);
        expect(closed).toEqual({ ...first.alert, state: 'closed', closedAt: closedAt.toISOString() });
        expect(await s.alerts.close(key('upload-buffer-high'), closedAt)).toBeNull();
        expect(await s.alerts.close(key('never-opened'), closedAt)).toBeNull();
        const reopened = await s.alerts.open(key('upload-buffer-high'), fields, new Date('2030-01-01T12:00:00.000Z'));
        expect(reopened.created).toBe(true);
        expect(reopened.alert.id).not.toBe(first.alert.id);
      });

      it('20 concurrent opens of one alert create exactly one', async () => {
        const s = await fresh();
        const results = await Promise.all(Array.from({ length: 20 }, () => s.alerts.open(key('gateway-offline'), { ...fields, severity: 'critical' }, new Date())));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(new Set(results.map((r) => r.alert.id)).size).toBe(1);
        expect(await s.alerts.list({ state: 'open' })).toHaveLength(1);
      });

      it('lists by state and gateway, newest first; fleet alerts have no gateway', async () => {
        const s = await fresh();
        await s.alerts.open(key('io-wait-high', 'gw-1'), fields, new Date('2030-01-01T10:00:00.000Z'));
        await s.alerts.open(key('io-wait-high', 'gw-2'), fields, new Date('2030-01-01T11:00:00.000Z'));
        await s.alerts.open(key('fleet-error', null), { severity: 'critical', message: 'E_IO on 3 gateways', value: null }, new Date('2030-01-01T12:00:00.000Z'));
        await s.alerts.close(key('io-wait-high', 'gw-1'), new Date('2030-01-01T13:00:00.000Z'));
        const rules = (xs: Array<{ rule: string; gatewayId: string | null }>) => xs.map((a) => `${a.rule}@${a.gatewayId}`);
        expect(rules(await s.alerts.list({}))).toEqual(['fleet-error@null', 'io-wait-high@gw-2', 'io-wait-high@gw-1']);
        expect(rules(await s.alerts.list({ state: 'all' }))).toHaveLength(3);
        expect(rules(await s.alerts.list({ state: 'open' }))).toEqual(['fleet-error@null', 'io-wait-high@gw-2']);
        expect(rules(await s.alerts.list({ state: 'closed' }))).toEqual(['io-wait-high@gw-1']);
        expect(rules(await s.alerts.list({ gatewayId: 'gw-1' }))).toEqual(['io-wait-high@gw-1']);
        expect(rules(await s.alerts.list({ state: 'open', gatewayId: 'gw-1' }))).toEqual([]);
        const [fleet] = await s.alerts.list({ state: 'open' });
        expect(fleet).toMatchObject({ gatewayId: null, volume: null, value: null, severity: 'critical' });
      });
    });

    describe('bus', () => {
      it('delivers JSON copies asynchronously to every subscriber of the channel only', async () => {
        const s = await fresh();
        const channel = `tidegate:server:${randomUUID()}`;
        const got: unknown[] = [];
        const other: unknown[] = [];
        await s.bus.subscribe(channel, (m) => got.push(['h1', m]));
        await s.bus.subscribe(channel, (m) => got.push(['h2', m]));
        await s.bus.subscribe(`${channel}-other`, (m) => other.push(m));
        const message = { kind: 'forward', requestId: 'r1', params: { a: [1, 2, { b: null }] }, deadline: 123 };
        await s.bus.publish(channel, message);
        await s.bus.publish(channel, { kind: 'second' });
        await waitFor(() => got.length === 4);
        expect(got).toEqual([['h1', message], ['h2', message], ['h1', { kind: 'second' }], ['h2', { kind: 'second' }]]);
        expect((got[0] as unknown[])[1]).not.toBe(message);
        expect(other).toEqual([]);
      });

      it('publish returns before handlers run', async () => {
        const s = await fresh();
        const channel = `tidegate:broadcast:${randomUUID()}`;
        let delivered = false;
        await s.bus.subscribe(channel, () => (delivered = true));
        const publishing = s.bus.publish(channel, 1);
        expect(delivered).toBe(false);
        await publishing;
        await waitFor(() => delivered);
      });
    });
  });
}

/** Polls `condition` every 10 ms for up to `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}
