import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineProcessMessage } from '../../src-gateway-engine/index.js';
import type { EngineChild } from './engine-launcher.js';
import { forkLauncher } from './fork-launcher.js';

let dir: string;
let entry: string;
const children: EngineChild[] = [];

// A stand-in engine process: answers `start` with ready, exits 0 on `stop`, hangs otherwise.
const SCRIPT = `
process.on('message', (m) => {
  if (m.type === 'start') process.send({ type: 'ready', pid: process.pid, addresses: { nbd: m.config.nbd, iscsi: null, metrics: null } });
  if (m.type === 'stop') { process.send({ type: 'stopped' }); setTimeout(() => process.exit(0), 20); }
});
setInterval(() => undefined, 1000);
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tg-fork-'));
  entry = join(dir, 'fake-engine.cjs');
  await writeFile(entry, SCRIPT);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function launch(): EngineChild {
  const c = forkLauncher(entry);
  children.push(c);
  return c;
}
const exitOf = (c: EngineChild): Promise<[number | null, string | null]> => new Promise((resolve) => c.onExit((code, signal) => resolve([code, signal])));

describe('forkLauncher', () => {
  it('forks the entry and carries messages both ways', async () => {
    const c = launch();
    expect(c.pid).toBeGreaterThan(0);
    const got: EngineProcessMessage[] = [];
    const ready = new Promise<void>((resolve) =>
      c.onMessage((m) => {
        got.push(m);
        if (m.type === 'stopped') resolve();
      }),
    );
    c.send({ type: 'start', config: { gatewayId: 'gw', dataDir: '/d', nbd: '127.0.0.1:1' } as never });
    c.send({ type: 'stop' });
    await ready;
    expect(got).toEqual([{ type: 'ready', pid: c.pid, addresses: { nbd: '127.0.0.1:1', iscsi: null, metrics: null } }, { type: 'stopped' }]);
    expect(await exitOf(c)).toEqual([0, null]);
  });

  it('reports an exit to a listener added after the process is gone, and ignores sends to it', async () => {
    const c = launch();
    c.send({ type: 'stop' });
    await exitOf(c);
    expect(await exitOf(c)).toEqual([0, null]);
    expect(() => c.send({ type: 'stop' })).not.toThrow();
  });

  it('kills with SIGKILL', async () => {
    const c = launch();
    const exited = exitOf(c);
    c.kill('SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL']);
  });
});
