import { describe, expect, it } from 'vitest';
import { IPC_INVOKE_CHANNELS } from '../ipc-contract.js';
import { APP_INFO, consoleHarness } from './test/console-harness.js';

describe('registerConsoleHandlers', () => {
  it('registers every channel of IPC_INVOKE_CHANNELS exactly once, and nothing else', () => {
    const h = consoleHarness();
    expect([...h.registered].sort()).toEqual([...IPC_INVOKE_CHANNELS].sort());
    expect(new Set(h.registered).size).toBe(h.registered.length);
  });

  it('registers without calling the engine', () => {
    const h = consoleHarness();
    expect(h.calls).toEqual([]);
    expect(h.events).toEqual([]);
  });

  it('app.info answers the app info it was given', async () => {
    const h = consoleHarness({ appInfo: { shell: 'electron' } });
    expect(await h.call('app.info')).toEqual({ ...APP_INFO, shell: 'electron' });
    expect(h.calls).toEqual([]);
  });

  it('passes the simple reads straight to the engine', async () => {
    const h = consoleHarness({
      engine: {
        'volume.list': () => [],
        'storage.describe': () => ({ marker: 'storage' }) as never,
        'bandwidth.get': () => ({ marker: 'bandwidth' }) as never,
        'control.status': () => ({ marker: 'control' }) as never,
      },
    });
    expect(await h.call('volumes.list')).toEqual([]);
    expect(await h.call('storage.describe')).toEqual({ marker: 'storage' });
    expect(await h.call('bandwidth.get')).toEqual({ marker: 'bandwidth' });
    expect(await h.call('activation.status')).toEqual({ marker: 'control' });
    expect(h.calls.map((c) => [c.method, c.params])).toEqual([
      ['volume.list', {}],
      ['storage.describe', {}],
      ['bandwidth.get', {}],
      ['control.status', {}],
    ]);
  });

  it('lets an engine error through unchanged', async () => {
    const boom = new Error('engine gone');
    const h = consoleHarness({ engine: { 'volume.list': () => Promise.reject(boom) } });
    await expect(h.call('volumes.list')).rejects.toBe(boom);
  });
});
