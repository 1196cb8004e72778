import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../device/memory-device.js';
import { BusyPoll } from '../common/busy-poll.js';
import type { NbdServer } from './nbd-server.js';
import { NBD_CMD_READ } from './protocol-constants.js';
import { RawNbdClient } from './test/raw-nbd-client.js';
import { startServer } from './test/test-server.js';

let server: NbdServer | undefined;
const clients: RawNbdClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await server?.close();
  server = undefined;
});

async function waitFor(cond: () => boolean): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > 5000) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('NbdServer.clients', () => {
  it('lists clients attached to an export, with their address and connect time; not those still negotiating; drops closed ones', async () => {
    const started = await startServer({ a: new MemoryDevice({ size: 1 << 20 }), b: new MemoryDevice({ size: 1 << 20 }) });
    server = started.server;
    const before = Date.now();
    const { client: a } = await RawNbdClient.attach(started.port, 'a');
    const { client: b } = await RawNbdClient.attach(started.port, 'b');
    const negotiating = await RawNbdClient.connect(started.port);
    clients.push(a, b, negotiating);
    await waitFor(() => server!.clients().length === 2);
    const list = server.clients().sort((x, y) => x.exportName.localeCompare(y.exportName));
    expect(list).toEqual([
      { exportName: 'a', address: `127.0.0.1:${a.socket.localPort}`, connectedAt: expect.any(Number) },
      { exportName: 'b', address: `127.0.0.1:${b.socket.localPort}`, connectedAt: expect.any(Number) },
    ]);
    expect(list[0]!.connectedAt).toBeGreaterThanOrEqual(before - 5);
    a.destroy();
    await waitFor(() => server!.clients().length === 1);
    expect(server.clients()[0]!.exportName).toBe('b');
  });
});

/**
 * A server with a busy poller of a generous budget (20 ms, so a loaded test machine's client
 * answers inside it) serving one in-memory export `a`, and a client attached to it.
 */
async function polledClient(size: number): Promise<{ poll: BusyPoll; client: RawNbdClient }> {
  const poll = new BusyPoll({ budgetMicros: 20_000 });
  const started = await startServer({ a: new MemoryDevice({ size }) }, { poll });
  server = started.server;
  const { client } = await RawNbdClient.attach(started.port, 'a');
  clients.push(client);
  return { poll, client };
}

describe('NbdServer busy polling', () => {
  it('tells the poller of every request and reply: a client answering inside the budget finds the loop still polling', async () => {
    const { poll, client } = await polledClient(1 << 20);
    const hitsAfterHandshake = poll.stats.hits;
    for (let i = 0; i < 20; i++) {
      client.request(NBD_CMD_READ, BigInt(i), BigInt(i * 4096), 4096);
      expect((await client.readSimpleReply(4096)).error).toBe(0);
    }
    expect(poll.stats.hits - hitsAfterHandshake).toBeGreaterThanOrEqual(15);
    poll.stop();
  });
});

describe('NbdServer busy polling behind a large reply', () => {
  it('opens no polling window while a reply still waits in the socket\'s buffer (the client is busy reading it)', async () => {
    const { poll, client } = await polledClient(32 << 20);
    await new Promise((r) => setTimeout(r, 50)); // the handshake's last window has ended
    const before = { ...poll.stats };
    client.socket.pause(); // the client reads nothing: 16 MiB cannot all reach the kernel
    client.request(NBD_CMD_READ, 1n, 0n, 16 << 20);
    await new Promise((r) => setTimeout(r, 100));
    expect(poll.active).toBe(false);
    expect(poll.stats.misses).toBe(before.misses);
    expect(poll.stats.pollingMs).toBe(before.pollingMs);
    client.socket.resume();
    expect((await client.readSimpleReply(16 << 20)).error).toBe(0);
    poll.stop();
  });
});
