/**
 * The supervisor with the real fork launcher and the real compiled engine process
 * (out/node, from `npm run build`): the engine is started on a temp data dir, killed with
 * SIGKILL, restarted by the supervisor and answering on its command socket again, then
 * stopped cleanly — its data-dir lock released and no engine process left behind.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callEngine, type EngineConfigInput } from '../../src-gateway-engine/index.js';
import { EngineSupervisor } from '../supervisor/engine-supervisor.js';
import { forkLauncher } from '../supervisor/fork-launcher.js';

const ENTRY = fileURLToPath(new URL('../../out/node/src-gateway-engine/runtime/engine-process.js', import.meta.url));

let dir: string;
let supervisor: EngineSupervisor | undefined;
const pids = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run "npm run build" (tsc -p tsconfig.node.json) first`);
  dir = await mkdtemp(join(tmpdir(), 'tg-sup-'));
});

afterAll(async () => {
  await supervisor?.stop().catch(() => undefined);
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('EngineSupervisor with forkLauncher and the real engine process', () => {
  it('restarts an engine killed with SIGKILL and stops it cleanly', { timeout: 20_000 }, async () => {
    const dataDir = join(dir, 'data');
    const storeDir = join(dir, 'store');
    const config = {
      gatewayId: 'gw-supervised',
      dataDir,
      store: { kind: 'local', url: `file://${storeDir}`, root: storeDir },
      nbd: null,
      iscsi: null,
      metrics: null,
      cache: { capacityBytes: '16MiB' },
      writeLog: { capacityBytes: '16MiB', segmentBytes: '4MiB' },
      logLevel: 'warn',
    } as unknown as EngineConfigInput;
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const s = new EngineSupervisor({ launcher: forkLauncher, entryPath: ENTRY, config, log: quiet, startTimeoutMs: 15_000, stopTimeoutMs: 10_000, restartDelayMs: { initial: 50, max: 200 } });
    supervisor = s;
    const states: string[] = [];
    s.onStateChange((st) => {
      if (states.at(-1) !== st.state) states.push(st.state);
      if (st.pid !== null) pids.add(st.pid);
    });

    await s.start();
    const first = s.state.pid!;
    expect(s.state.state).toBe('running');
    expect(first).toBeGreaterThan(0);
    expect(s.addresses).toEqual({ nbd: null, iscsi: null, metrics: null });
    const status1 = await callEngine(dataDir, 'status', {}, 5_000);
    expect(status1.pid).toBe(first);
    expect(status1.gatewayId).toBe('gw-supervised');

    process.kill(first, 'SIGKILL');
    await waitFor('the restarted engine', () => s.state.state === 'running' && s.state.pid !== first, 15_000);
    const second = s.state.pid!;
    expect(s.state.restarts).toBe(1);
    expect(s.state.lastExit).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(alive(first)).toBe(false);
    const status2 = await callEngine(dataDir, 'status', {}, 5_000);
    expect(status2.pid).toBe(second);

    await s.stop();
    expect(s.state).toMatchObject({ state: 'stopped', pid: null, restarts: 1 });
    expect(states).toEqual(['starting', 'running', 'restarting', 'starting', 'running', 'stopping', 'stopped']);
    expect(existsSync(join(dataDir, 'engine.lock'))).toBe(false);
    await waitFor('the engine process to be gone', () => !alive(second), 2_000);
    await expect(callEngine(dataDir, 'status', {}, 2_000)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
