import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDevice } from '../../device/memory-device.js';
import type { NbdServer } from './nbd-server.js';
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
