/**
 * The forwarding algorithm with scripted connections: three dispatchers ("servers") sharing
 * one embedded state, whose in-process bus behaves like Redis pub/sub.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayReply, GatewayRequest, RequestOutcome } from '../connections/gateway-connection.js';
import { ControlError } from '../errors/control-error.js';
import { silentControlPlaneLogger } from '../log/control-plane-logger.js';
import { openEmbeddedState, type ControlPlaneState } from '../state/index.js';
import { BROADCAST_CHANNEL, serverChannel } from './forward-messages.js';
import { RequestDispatcher, type LocalConnections } from './request-dispatcher.js';

/** A server's connections, scripted: which gateways it holds and how they answer. */
class ScriptedConnections implements LocalConnections {
  readonly held = new Map<string, (request: GatewayRequest) => Promise<RequestOutcome>>();
  readonly requests: GatewayRequest[] = [];
  readonly alertPushes: string[] = [];

  hold(gatewayId: string, answer: (request: GatewayRequest) => Promise<RequestOutcome> = async (r) => replyOk(gatewayId, r, 'done')): void {
    this.held.set(gatewayId, answer);
  }

  get(gatewayId: string): { request(r: GatewayRequest): Promise<RequestOutcome> } | undefined {
    const answer = this.held.get(gatewayId);
    return answer
      ? {
          request: (r) => {
            this.requests.push(r);
            return answer(r);
          },
        }
      : undefined;
  }

  pushAlerts(gatewayId: string): boolean {
    if (!this.held.has(gatewayId)) return false;
    this.alertPushes.push(gatewayId);
    return true;
  }
}

function replyOk(gatewayId: string, r: GatewayRequest, result: unknown): RequestOutcome {
  const reply: GatewayReply = { type: 'reply', id: r.id, gatewayId, ok: true, result };
  return { kind: 'reply', reply };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GW = 'gw-1';

let dir: string;
let state: ControlPlaneState;
let servers: Array<{ id: string; dispatcher: RequestDispatcher; connections: ScriptedConnections }>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-cp-dispatch-'));
  state = await openEmbeddedState(dir, { onError: () => undefined });
  servers = [];
  for (const id of ['cp-1', 'cp-2', 'cp-3']) {
    const connections = new ScriptedConnections();
    const dispatcher = new RequestDispatcher({ serverId: id, state, connections, logger: silentControlPlaneLogger, retryIntervalMs: 50 });
    await dispatcher.start();
    servers.push({ id, dispatcher, connections });
  }
});
afterEach(async () => {
  for (const s of servers) s.dispatcher.stop();
  await state.close();
  await rm(dir, { recursive: true, force: true });
});

const [first, second, third] = [0, 1, 2];
const holderEntry = (serverId: string) => ({ serverId, connectionId: `${serverId}-conn`, since: new Date().toISOString() });

describe('RequestDispatcher', () => {
  it('sends directly when this server holds the gateway', async () => {
    servers[first]!.connections.hold(GW);
    await expect(servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 1000 })).resolves.toEqual({ result: 'done', servedBy: 'cp-1' });
  });

  it('forwards to the holder the registry names', async () => {
    servers[second]!.connections.hold(GW);
    await state.registry.set(GW, holderEntry('cp-2'), 30_000);
    await expect(servers[first]!.dispatcher.send({ gatewayId: GW, method: 'volume.list', params: { a: 1 }, timeoutMs: 1000 })).resolves.toEqual({ result: 'done', servedBy: 'cp-2' });
    expect(servers[second]!.connections.requests).toMatchObject([{ method: 'volume.list', params: { a: 1 } }]);
    expect(servers[third]!.connections.requests).toEqual([]);
  });

  it('broadcasts when the registry has no entry; only the holder answers', async () => {
    servers[third]!.connections.hold(GW);
    await expect(servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 1000 })).resolves.toEqual({ result: 'done', servedBy: 'cp-3' });
  });

  it('after not-held, looks again and follows the gateway to its new holder with the same request id', async () => {
    await state.registry.set(GW, holderEntry('cp-2'), 30_000); // stale: cp-2 lost the gateway
    const done = servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 2000 });
    await sleep(200);
    servers[third]!.connections.hold(GW);
    await state.registry.set(GW, holderEntry('cp-3'), 30_000);
    await expect(done).resolves.toEqual({ result: 'done', servedBy: 'cp-3' });
  });

  it('a connection held here that never answers (half-open) does not hide the new holder', async () => {
    servers[first]!.connections.hold(GW, () => new Promise(() => undefined));
    servers[second]!.connections.hold(GW);
    await state.registry.set(GW, holderEntry('cp-2'), 30_000);
    await expect(servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 1000 })).resolves.toEqual({ result: 'done', servedBy: 'cp-2' });
    expect(servers[first]!.connections.requests).toHaveLength(1);
  });

  it('retries after the local connection closes under the request, reusing the id', async () => {
    let calls = 0;
    const ids: string[] = [];
    servers[first]!.connections.hold(GW, async (r) => {
      ids.push(r.id);
      calls++;
      return calls === 1 ? { kind: 'closed' } : replyOk(GW, r, 'second try');
    });
    await expect(servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 2000 })).resolves.toEqual({ result: 'second try', servedBy: 'cp-1' });
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('GATEWAY_OFFLINE at the deadline when nobody holds the gateway', async () => {
    const started = Date.now();
    const err = await servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlError);
    expect((err as ControlError).code).toBe('GATEWAY_OFFLINE');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('GATEWAY_TIMEOUT when the holder accepted the request but the gateway never answered', async () => {
    servers[second]!.connections.hold(GW, (r) => new Promise((resolve) => setTimeout(() => resolve({ kind: 'expired' }), r.deadline - Date.now())));
    await state.registry.set(GW, holderEntry('cp-2'), 30_000);
    const err = (await servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 400 }).catch((e: unknown) => e)) as ControlError;
    expect(err.code).toBe('GATEWAY_TIMEOUT');
    // Accepted once: not re-forwarded every retry interval.
    expect(servers[second]!.connections.requests).toHaveLength(1);
  });

  it('GATEWAY_ERROR with the engine code for an engine error', async () => {
    servers[second]!.connections.hold(GW, async (r) => ({ kind: 'reply', reply: { type: 'reply', id: r.id, gatewayId: GW, ok: false, error: { code: 'VOLUME_FAILED', message: 'volume v failed' } } }));
    const err = (await servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 1000 }).catch((e: unknown) => e)) as ControlError;
    expect(err.code).toBe('GATEWAY_ERROR');
    expect(err.httpStatus).toBe(422);
    expect(err.toBody()).toEqual({ error: { code: 'GATEWAY_ERROR', message: 'volume v failed', engineCode: 'VOLUME_FAILED' } });
  });

  it('ignores a bus reply naming another gateway', async () => {
    await state.registry.set(GW, holderEntry('cp-9'), 30_000); // a holder that never answers
    const done = servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 500 }).catch((e: unknown) => e);
    // A rogue answers every forward it sees with a reply for another gateway.
    await state.bus.subscribe(serverChannel('cp-9'), (m) => {
      const f = m as { requestId: string; replyTo: string };
      void state.bus.publish(serverChannel(f.replyTo), { kind: 'reply', requestId: f.requestId, gatewayId: 'gw-other', ok: true, result: 'forged', servedBy: 'cp-9' });
    });
    expect(((await done) as ControlError).code).toBe('GATEWAY_OFFLINE');
  });

  it('stop() fails waiting commands at once', async () => {
    const done = servers[first]!.dispatcher.send({ gatewayId: GW, method: 'status', params: {}, timeoutMs: 10_000 }).catch((e: unknown) => e);
    await sleep(60);
    const started = Date.now();
    servers[first]!.dispatcher.stop();
    expect(((await done) as ControlError).code).toBe('GATEWAY_OFFLINE');
    expect(Date.now() - started).toBeLessThan(200);
  });

  it('an alert change on one server reaches the gateway held by another', async () => {
    servers[third]!.connections.hold(GW);
    servers[first]!.dispatcher.notifyAlertsChanged(GW);
    await sleep(50);
    expect(servers[third]!.connections.alertPushes).toEqual([GW]);
    servers[first]!.dispatcher.notifyAlertsChanged(null);
    await state.bus.publish(BROADCAST_CHANNEL, { kind: 'nonsense' });
    await sleep(50);
    expect(servers[third]!.connections.alertPushes).toEqual([GW]);
  });
});
