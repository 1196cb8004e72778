import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { snapshotFixture } from '../test-support/fixtures.js';
import { ConsoleError, ConsoleErrorCode } from './console-error.js';
import { createEventSocket, reconnectDelay } from './event-socket.js';
import { createHeadlessApi, eventsUrl } from './headless-transport.js';
import { UNAUTHORIZED_MESSAGE } from './http-invoke.js';

/** A WebSocket double: records instances; the test opens, feeds and closes them. */
class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closedByClient = false;
  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }
  close(): void {
    this.closedByClient = true;
  }
  serverOpen(): void {
    this.onopen?.();
  }
  serverSend(data: unknown): void {
    this.onmessage?.({ data: typeof data === 'string' ? data : JSON.stringify(data) });
  }
  serverClose(): void {
    this.onerror?.();
    this.onclose?.();
  }
}

const latest = () => FakeWebSocket.instances[FakeWebSocket.instances.length - 1]!;

function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function headlessApi(fetchFn: typeof fetch, protocol = 'http:'): TidegateApi {
  return createHeadlessApi({ fetch: fetchFn, WebSocket: FakeWebSocket as unknown as typeof WebSocket, location: { protocol, host: 'console.test:9180' } });
}

beforeEach(() => {
  FakeWebSocket.instances = [];
});

afterEach(() => {
  vi.useRealTimers();
});

describe('headless invoke', () => {
  it('POSTs the request as JSON to /api/invoke/<channel> and resolves to the result', async () => {
    const fetchFn = vi.fn<typeof fetch>(async () => jsonResponse(200, { ok: true, result: { deleted: 'vol1' } }));
    const api = headlessApi(fetchFn);
    await expect(api.volumes.delete({ name: 'vol1', confirmName: 'vol1' })).resolves.toEqual({ deleted: 'vol1' });
    expect(fetchFn).toHaveBeenCalledWith('/api/invoke/volumes.delete', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vol1', confirmName: 'vol1' }),
      credentials: 'same-origin',
    });
  });

  it('sends null for a channel without a request', async () => {
    const fetchFn = vi.fn<typeof fetch>(async () => jsonResponse(200, { ok: true, result: snapshotFixture() }));
    await headlessApi(fetchFn).gateway.snapshot();
    expect(fetchFn.mock.calls[0]![0]).toBe('/api/invoke/gateway.snapshot');
    expect(fetchFn.mock.calls[0]![1]!.body).toBe('null');
  });

  it('exposes every channel of the contract grouped by domain', () => {
    const api = headlessApi(vi.fn<typeof fetch>());
    expect(Object.keys(api).sort()).toEqual(['activation', 'app', 'bandwidth', 'diagnostics', 'events', 'gateway', 'logs', 'metrics', 'storage', 'volumes']);
    expect(Object.keys(api.volumes).sort()).toEqual(['create', 'delete', 'list', 'setIscsiAccess', 'sync']);
    expect(typeof api.diagnostics.supportBundle).toBe('function');
  });

  it('turns an error body into a ConsoleError with its code and message', async () => {
    const api = headlessApi(async () => jsonResponse(409, { ok: false, error: { code: 'ALREADY_EXISTS', message: 'volume vol1 already exists on this gateway' } }));
    const err = await api.volumes.create({ name: 'vol1', sizeBytes: 4096, mode: 'cached' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConsoleError);
    expect(err).toMatchObject({ code: 'ALREADY_EXISTS', message: 'volume vol1 already exists on this gateway' });
  });

  it('says to open the URL printed by `tidegate serve --console` on 401', async () => {
    const api = headlessApi(async () => jsonResponse(401, { ok: false, error: { code: 'TOKEN_REQUIRED', message: 'no token' } }));
    const err = await api.app.info().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ConsoleErrorCode.Unauthorized, message: UNAUTHORIZED_MESSAGE });
    expect((err as Error).message).toContain('tidegate serve --console');
  });

  it('reports an unreachable server and a body that is not the contract', async () => {
    const down = headlessApi(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(down.app.info()).rejects.toMatchObject({ code: ConsoleErrorCode.Unreachable });
    const html = headlessApi(async () => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    await expect(html.app.info()).rejects.toMatchObject({ code: ConsoleErrorCode.BadResponse, message: expect.stringContaining('502') });
    const odd = headlessApi(async () => jsonResponse(200, { result: 1 }));
    await expect(odd.app.info()).rejects.toMatchObject({ code: ConsoleErrorCode.BadResponse });
  });
});

describe('headless events', () => {
  it('connects to /api/events on the same origin, ws: or wss:', () => {
    expect(eventsUrl({ protocol: 'http:', host: 'h:1' })).toBe('ws://h:1/api/events');
    expect(eventsUrl({ protocol: 'https:', host: 'h:1' })).toBe('wss://h:1/api/events');
    const api = headlessApi(vi.fn<typeof fetch>(), 'https:');
    expect(FakeWebSocket.instances).toHaveLength(0); // lazily, with the first listener
    api.events.on('metrics.sample', () => {});
    expect(FakeWebSocket.instances.map((w) => w.url)).toEqual(['wss://console.test:9180/api/events']);
  });

  it('fans one socket out to every listener of the event, and only that event', () => {
    const api = headlessApi(vi.fn<typeof fetch>());
    const a = vi.fn();
    const b = vi.fn();
    const other = vi.fn();
    api.events.on('gateway.snapshot', a);
    api.events.on('gateway.snapshot', b);
    api.events.on('volumes.syncProgress', other);
    expect(FakeWebSocket.instances).toHaveLength(1);
    const snap = snapshotFixture();
    latest().serverOpen();
    latest().serverSend({ event: 'gateway.snapshot', payload: snap });
    expect(a).toHaveBeenCalledWith(snap);
    expect(b).toHaveBeenCalledWith(snap);
    expect(other).not.toHaveBeenCalled();
  });

  it('ignores malformed and unknown messages', () => {
    const api = headlessApi(vi.fn<typeof fetch>());
    const l = vi.fn();
    api.events.on('metrics.sample', l);
    latest().serverSend('not json');
    latest().serverSend({ event: 'nope', payload: 1 });
    latest().serverSend({ payload: 1 });
    expect(l).not.toHaveBeenCalled();
  });

  it('stops delivering after unsubscribe and closes the socket once idle', () => {
    vi.useFakeTimers();
    const api = headlessApi(vi.fn<typeof fetch>());
    const l = vi.fn();
    const off = api.events.on('metrics.sample', l);
    const ws = latest();
    off();
    ws.serverSend({ event: 'metrics.sample', payload: { ts: 1 } });
    expect(l).not.toHaveBeenCalled();
    expect(ws.closedByClient).toBe(false); // lingers briefly
    vi.advanceTimersByTime(1_000);
    expect(ws.closedByClient).toBe(true);
  });

  it('keeps the socket when a listener comes back within the linger', () => {
    vi.useFakeTimers();
    const api = headlessApi(vi.fn<typeof fetch>());
    api.events.on('metrics.sample', () => {})();
    api.events.on('metrics.sample', () => {});
    vi.advanceTimersByTime(5_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(latest().closedByClient).toBe(false);
  });

  it('reconnects with exponential backoff and resets it after a successful open', () => {
    vi.useFakeTimers();
    const events = createEventSocket({ url: 'ws://x/api/events', WebSocket: FakeWebSocket as unknown as typeof WebSocket, initialDelayMs: 100, maxDelayMs: 1_000 });
    const l = vi.fn();
    events.on('gateway.snapshot', l);
    latest().serverClose();
    vi.advanceTimersByTime(99);
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2); // after 100 ms
    latest().serverClose();
    vi.advanceTimersByTime(199);
    expect(FakeWebSocket.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(3); // after 200 ms
    latest().serverOpen();
    latest().serverSend({ event: 'gateway.snapshot', payload: snapshotFixture() });
    expect(l).toHaveBeenCalledTimes(1); // the new socket delivers to the old listener
    latest().serverClose();
    vi.advanceTimersByTime(100);
    expect(FakeWebSocket.instances).toHaveLength(4); // backoff reset to 100 ms
    events.close();
  });

  it('does not reconnect after close()', () => {
    vi.useFakeTimers();
    const events = createEventSocket({ url: 'ws://x/api/events', WebSocket: FakeWebSocket as unknown as typeof WebSocket });
    events.on('gateway.snapshot', () => {});
    const ws = latest();
    events.close();
    expect(ws.closedByClient).toBe(true);
    ws.serverClose();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('caps the backoff', () => {
    expect([0, 1, 2, 3, 10, 100].map((n) => reconnectDelay(n, 500, 15_000))).toEqual([500, 1_000, 2_000, 4_000, 15_000, 15_000]);
  });
});
