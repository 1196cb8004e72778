import { describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../../src-gateway-engine/index.js';
import { consoleHarness } from './test/console-harness.js';

const STATUS = { gatewayId: 'gw-1', pid: 4242, version: '0.1.0' } as EngineStatus;

describe('gateway.snapshot', () => {
  it('while the engine runs, answers its process state and its status (asked with a timeout)', async () => {
    const h = consoleHarness({ engine: { status: () => STATUS } });
    expect(await h.call('gateway.snapshot')).toEqual({ engine: h.engineProcess.state, status: STATUS });
    expect(h.calls).toEqual([{ method: 'status', params: {}, timeoutMs: 5_000 }]);
  });

  it('answers status null without asking the engine when its process is not running', async () => {
    const h = consoleHarness({ engine: { status: () => STATUS } });
    for (const state of ['starting', 'restarting', 'stopping', 'stopped', 'failed'] as const) {
      h.engineProcess.set({ state, pid: null, lastError: 'x' });
      expect(await h.call('gateway.snapshot')).toEqual({ engine: h.engineProcess.state, status: null });
    }
    expect(h.calls).toEqual([]);
  });

  it('answers status null, with the process state as it is after the failure, when the status call throws', async () => {
    const h = consoleHarness();
    h.script.status = () => {
      h.engineProcess.set({ state: 'restarting', pid: null, restarts: 1 });
      throw new Error('connect ECONNREFUSED');
    };
    const snap = (await h.call('gateway.snapshot')) as { engine: { state: string; restarts: number }; status: unknown };
    expect(snap.status).toBeNull();
    expect(snap.engine).toMatchObject({ state: 'restarting', restarts: 1 });
  });
});
