import { describe, expect, it } from 'vitest';
import type { EngineProcessState } from '../ipc/ipc-contract.js';
import { trayStatus } from './tray-status.js';

const base: EngineProcessState = { state: 'running', pid: 321, restarts: 0, since: '2026-11-23T10:00:00.000Z', lastExit: null, lastError: null };

describe('trayStatus', () => {
  it('shows a running engine with its pid and the running icon', () => {
    expect(trayStatus(base)).toEqual({ tooltip: 'Tidegate — Gateway running', stateLine: 'Engine running (pid 321)', icon: 'running' });
  });

  it('shows starting, stopping and restarting as busy, restarting with its count and reason', () => {
    expect(trayStatus({ ...base, state: 'starting', pid: null }).icon).toBe('busy');
    expect(trayStatus({ ...base, state: 'stopping' }).stateLine).toBe('Engine stopping (flushing write logs)…');
    expect(trayStatus({ ...base, state: 'restarting', restarts: 2, lastError: 'the engine exited unexpectedly (exit code 1)' })).toEqual({
      tooltip: 'Tidegate — Gateway restarting: the engine exited unexpectedly (exit code 1)',
      stateLine: 'Engine restarting (restart 2): the engine exited unexpectedly (exit code 1)',
      icon: 'busy',
    });
  });

  it('shows a failed engine with its reason and a stopped one as stopped', () => {
    expect(trayStatus({ ...base, state: 'failed', pid: null, lastError: 'the data dir is in use [DATA_DIR_LOCKED]' })).toEqual({
      tooltip: 'Tidegate — Gateway failed: the data dir is in use [DATA_DIR_LOCKED]',
      stateLine: 'Engine failed: the data dir is in use [DATA_DIR_LOCKED]',
      icon: 'failed',
    });
    expect(trayStatus({ ...base, state: 'stopped', pid: null }).icon).toBe('stopped');
  });

  it('keeps the tooltip within what Windows shows (127 characters) and the menu line short', () => {
    const s = trayStatus({ ...base, state: 'failed', lastError: 'x'.repeat(400) });
    expect(s.tooltip).toHaveLength(127);
    expect(s.tooltip.endsWith('…')).toBe(true);
    expect(s.stateLine.length).toBeLessThanOrEqual(100);
  });
});
