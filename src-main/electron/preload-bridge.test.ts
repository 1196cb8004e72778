import type { IpcRendererEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { EVENT_CHANNEL } from '../ipc/electron-ipc-wire.js';
import { IPC_INVOKE_CHANNELS, type IpcEventMap, type TidegateApi } from '../ipc/ipc-contract.js';
import { BridgeErrorCode, buildTidegateApi, type BridgeIpc } from './preload-bridge.js';

// Loading the real 'electron' package outside Electron tries to download the binary.
vi.mock('electron', () => ({ ipcRenderer: {} }));

type OnListener = (event: IpcRendererEvent, ...args: unknown[]) => void;

function fakeIpcRenderer(reply: (channel: string, args: unknown[]) => unknown = () => ({ ok: true, value: null })) {
  const invokes: Array<{ channel: string; args: unknown[] }> = [];
  const listeners = new Map<string, Set<OnListener>>();
  const ipc = {
    invoke: async (channel: string, ...args: unknown[]) => {
      invokes.push({ channel, args });
      return reply(channel, args);
    },
    on: (channel: string, l: OnListener) => {
      (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(l);
      return ipc;
    },
    removeListener: (channel: string, l: OnListener) => {
      listeners.get(channel)?.delete(l);
      return ipc;
    },
  };
  const push = (message: unknown): void => {
    for (const l of listeners.get(EVENT_CHANNEL) ?? []) l({} as IpcRendererEvent, message);
  };
  return { ipc: ipc as unknown as BridgeIpc, invokes, listenerCount: () => listeners.get(EVENT_CHANNEL)?.size ?? 0, push };
}

describe('buildTidegateApi', () => {
  it('has exactly one named function per contract channel, grouped by domain, plus events.on, and nothing else', () => {
    const api = buildTidegateApi(fakeIpcRenderer().ipc) as unknown as Record<string, Record<string, unknown>>;
    const expected: Record<string, string[]> = { events: ['on'] };
    for (const c of IPC_INVOKE_CHANNELS) {
      const [d, a] = c.split('.') as [string, string];
      (expected[d] ??= []).push(a);
    }
    expect(Object.keys(api).sort()).toEqual(Object.keys(expected).sort());
    for (const [d, actions] of Object.entries(expected)) {
      expect(Object.keys(api[d]!).sort(), d).toEqual([...actions].sort());
      for (const a of actions) expect(typeof api[d]![a]).toBe('function');
    }
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|invoke|send/i);
  });

  it('is frozen, so the page cannot swap a function for its own', () => {
    const api = buildTidegateApi(fakeIpcRenderer().ipc);
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.isFrozen(api.volumes)).toBe(true);
    expect(Object.isFrozen(api.events)).toBe(true);
  });

  it('invokes the channel with exactly one argument and resolves to the envelope value', async () => {
    const f = fakeIpcRenderer((channel, args) => ({ ok: true, value: { channel, args } }));
    const api = buildTidegateApi(f.ipc);
    const req = { name: 'v1', confirmName: 'v1' };
    await expect((api.volumes.delete as (...a: unknown[]) => Promise<unknown>)(req, 'extra', { more: 1 })).resolves.toEqual({ channel: 'volumes.delete', args: [req] });
    await api.app.info();
    expect(f.invokes).toEqual([
      { channel: 'volumes.delete', args: [req] },
      { channel: 'app.info', args: [undefined] },
    ]);
  });

  it('rejects with the plain { code, message } of an error envelope (a plain object crosses the context bridge intact)', async () => {
    const api = buildTidegateApi(fakeIpcRenderer(() => ({ ok: false, error: { code: 'NOT_FOUND', message: 'no volume named v9' } })).ipc);
    const err: unknown = await api.volumes.sync({ name: 'v9' }).catch((e: unknown) => e);
    expect(err).toEqual({ code: 'NOT_FOUND', message: 'no volume named v9' });
    expect(Object.getPrototypeOf(err)).toBe(Object.prototype);
  });

  it('rejects with IPC_UNAVAILABLE when the invoke itself fails, and IPC_BAD_REPLY for an answer that is not an envelope', async () => {
    const failing = buildTidegateApi({
      invoke: async () => {
        throw new Error("No handler registered for 'app.info'");
      },
      on: () => undefined,
      removeListener: () => undefined,
    } as unknown as BridgeIpc);
    await expect(failing.app.info()).rejects.toEqual({ code: BridgeErrorCode.Unavailable, message: expect.stringContaining('No handler registered') });
    for (const reply of [undefined, null, 'text', { ok: false, error: 'nope' }, { value: 1 }]) {
      await expect(buildTidegateApi(fakeIpcRenderer(() => reply).ipc).app.info(), JSON.stringify(reply)).rejects.toMatchObject({ code: BridgeErrorCode.BadReply });
    }
  });
});

describe('events.on', () => {
  const sample = { ts: 1 } as unknown as IpcEventMap['metrics.sample'];

  it('delivers the payload of its own event only', () => {
    const f = fakeIpcRenderer();
    const api = buildTidegateApi(f.ipc);
    const samples: unknown[] = [];
    const snapshots: unknown[] = [];
    api.events.on('metrics.sample', (p) => samples.push(p));
    api.events.on('gateway.snapshot', (p) => snapshots.push(p));
    f.push({ event: 'metrics.sample', payload: sample });
    f.push({ event: 'not.an.event', payload: 1 });
    f.push('garbage');
    expect(samples).toEqual([sample]);
    expect(snapshots).toEqual([]);
  });

  it('refuses names outside the contract and listeners that are not functions', () => {
    const api = buildTidegateApi(fakeIpcRenderer().ipc);
    const on = api.events.on as unknown as (e: unknown, l: unknown) => () => void;
    expect(() => on('ipc.raw', () => undefined)).toThrow(TypeError);
    expect(() => on('metrics.sample', 'alert(1)')).toThrow(TypeError);
  });

  it('keeps one ipcRenderer listener while anyone listens and removes it after the last unsubscribe', () => {
    const f = fakeIpcRenderer();
    const api: TidegateApi = buildTidegateApi(f.ipc);
    const got: string[] = [];
    const offA = api.events.on('metrics.sample', () => got.push('a'));
    const offB = api.events.on('metrics.sample', () => got.push('b'));
    expect(f.listenerCount()).toBe(1);
    offA();
    offA(); // twice is harmless
    f.push({ event: 'metrics.sample', payload: sample });
    expect(got).toEqual(['b']);
    offB();
    expect(f.listenerCount()).toBe(0);
  });

  it('treats the same function subscribed twice as two subscriptions', () => {
    const f = fakeIpcRenderer();
    const api = buildTidegateApi(f.ipc);
    const got: unknown[] = [];
    const l = (p: unknown): void => void got.push(p);
    const off1 = api.events.on('metrics.sample', l);
    api.events.on('metrics.sample', l);
    off1();
    f.push({ event: 'metrics.sample', payload: sample });
    expect(got).toEqual([sample]);
  });

  it('lets the other listeners run when one throws', () => {
    const f = fakeIpcRenderer();
    const api = buildTidegateApi(f.ipc);
    const got: string[] = [];
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    api.events.on('metrics.sample', () => {
      throw new Error('bad listener');
    });
    api.events.on('metrics.sample', () => got.push('ran'));
    f.push({ event: 'metrics.sample', payload: sample });
    expect(got).toEqual(['ran']);
    expect(quiet).toHaveBeenCalled();
    quiet.mockRestore();
  });
});
