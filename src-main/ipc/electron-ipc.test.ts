import { describe, expect, it, vi } from 'vitest';
import { TidegateError } from '../../src-gateway-engine/index.js';
import { SenderTrust } from '../electron/sender-trust.js';
import { ConsoleError } from './console-error.js';
import { createEventEmitter, createTrustedRegistrar, UNTRUSTED_SENDER, VOID_REQUEST_CHANNELS, type IpcMainLike, type SenderCheck } from './electron-ipc.js';
import { EVENT_CHANNEL } from './electron-ipc-wire.js';
import { IPC_INVOKE_CHANNELS, type AppInfo, type GatewaySnapshot } from './ipc-contract.js';

// Loading the real 'electron' package outside Electron tries to download the binary.
const electronIpcMain = vi.hoisted(() => ({ handle: vi.fn() }));
vi.mock('electron', () => ({ ipcMain: electronIpcMain }));

// Electron's IpcMainInvokeEvent, named without importing 'electron' here (lint keeps it out of src-main/ipc).
type IpcMainInvokeEvent = Parameters<SenderCheck>[0];
type Listener = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

function fakeIpcMain(): IpcMainLike & { listeners: Map<string, Listener> } {
  const listeners = new Map<string, Listener>();
  return {
    listeners,
    handle: (channel: string, listener: (...a: never[]) => unknown) => {
      if (listeners.has(channel)) throw new Error(`second handler for ${channel}`);
      listeners.set(channel, listener as unknown as Listener);
    },
  } as IpcMainLike & { listeners: Map<string, Listener> };
}

const RENDERER = '/opt/tidegate/out/renderer/index.html';
const rendererUrl = `file://${RENDERER}`;

function invokeEvent(o: { id?: number; url?: string; frame?: 'top' | 'sub' | null } = {}): IpcMainInvokeEvent {
  const url = o.url ?? rendererUrl;
  const frame = o.frame === null ? null : { url, parent: o.frame === 'sub' ? { url } : null };
  return { sender: { id: o.id ?? 1, getURL: () => url }, senderFrame: frame } as unknown as IpcMainInvokeEvent;
}

const appInfo: AppInfo = { version: '0.1.0', shell: 'electron', dataDir: '/d', embeddedControlPlaneUrl: null, hostTimezone: 'UTC' };

describe('createTrustedRegistrar', () => {
  it('refuses a sender that is not trusted with IPC_UNTRUSTED_SENDER, without running the handler', async () => {
    const ipc = fakeIpcMain();
    const rejected: string[] = [];
    const handler = vi.fn(async () => appInfo);
    createTrustedRegistrar(() => false, { ipc, onRejected: (channel) => rejected.push(channel) })('app.info', handler);
    const reply = await ipc.listeners.get('app.info')!(invokeEvent());
    expect(reply).toEqual({ ok: false, error: { code: UNTRUSTED_SENDER, message: expect.any(String) } });
    expect(handler).not.toHaveBeenCalled();
    expect(rejected).toEqual(['app.info']);
  });

  it('treats a trust check that throws (a destroyed frame) as untrusted', async () => {
    const ipc = fakeIpcMain();
    const handler = vi.fn(async () => appInfo);
    createTrustedRegistrar(
      () => {
        throw new Error('Render frame was disposed before WebFrameMain could be accessed');
      },
      { ipc },
    )('app.info', handler);
    expect(await ipc.listeners.get('app.info')!(invokeEvent())).toMatchObject({ ok: false, error: { code: UNTRUSTED_SENDER } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('with the window trust: serves our top frame, refuses a subframe, a frameless call, another page and a window we did not create', async () => {
    const trust = new SenderTrust(RENDERER, 'linux');
    trust.add({ id: 7, getURL: () => rendererUrl });
    const ipc = fakeIpcMain();
    createTrustedRegistrar(trust.isTrustedSender, { ipc })('app.info', async () => appInfo);
    const call = ipc.listeners.get('app.info')!;
    expect(await call(invokeEvent({ id: 7 }))).toEqual({ ok: true, value: appInfo });
    for (const e of [invokeEvent({ id: 7, frame: 'sub' }), invokeEvent({ id: 7, frame: null }), invokeEvent({ id: 7, url: 'https://evil.example/' }), invokeEvent({ id: 8 })]) {
      expect(await call(e)).toMatchObject({ ok: false, error: { code: UNTRUSTED_SENDER } });
    }
  });

  it('refuses to register a channel that is not in the contract', () => {
    const ipc = fakeIpcMain();
    const register = createTrustedRegistrar(() => true, { ipc }) as (channel: string, handler: () => Promise<unknown>) => void;
    expect(() => register('shell.exec', async () => 'nope')).toThrow(/not a channel of the IPC contract/);
    expect(ipc.listeners.size).toBe(0);
  });

  it('passes only the first argument on, and nothing at all to a channel without a request', async () => {
    const ipc = fakeIpcMain();
    const register = createTrustedRegistrar(() => true, { ipc });
    const seen: unknown[][] = [];
    register('volumes.delete', async (...args: unknown[]) => {
      seen.push(args);
      return { deleted: 'v1' };
    });
    register('gateway.snapshot', async (...args: unknown[]) => {
      seen.push(args);
      return {} as GatewaySnapshot;
    });
    await ipc.listeners.get('volumes.delete')!(invokeEvent(), { name: 'v1', confirmName: 'v1' }, { extra: true }, () => 'x');
    await ipc.listeners.get('gateway.snapshot')!(invokeEvent(), { smuggled: true });
    expect(seen).toEqual([[{ name: 'v1', confirmName: 'v1' }], [undefined]]);
  });

  it('answers a success in an ok envelope', async () => {
    const ipc = fakeIpcMain();
    createTrustedRegistrar(() => true, { ipc })('app.info', async () => appInfo);
    expect(await ipc.listeners.get('app.info')!(invokeEvent())).toEqual({ ok: true, value: appInfo });
  });

  it('maps thrown errors to a plain { code, message } that survives structured clone', async () => {
    const ipc = fakeIpcMain();
    const register = createTrustedRegistrar(() => true, { ipc });
    const engineError = new TidegateError('NOT_FOUND', 'no volume named v9');
    Object.assign(engineError, { socket: { close: () => undefined } }); // not cloneable
    register('volumes.delete', async () => {
      throw engineError;
    });
    register('volumes.sync', async () => {
      throw new ConsoleError('CONFIRM_NAME_MISMATCH', 'type the volume name again to delete it');
    });
    register('volumes.list', async () => {
      throw new TypeError('boom');
    });
    const replies = await Promise.all([
      ipc.listeners.get('volumes.delete')!(invokeEvent(), { name: 'v9', confirmName: 'v9' }),
      ipc.listeners.get('volumes.sync')!(invokeEvent(), { name: 'v1' }),
      ipc.listeners.get('volumes.list')!(invokeEvent()),
    ]);
    expect(replies).toEqual([
      { ok: false, error: { code: 'NOT_FOUND', message: 'no volume named v9' } },
      { ok: false, error: { code: 'CONFIRM_NAME_MISMATCH', message: 'type the volume name again to delete it' } },
      { ok: false, error: { code: 'INTERNAL', message: 'boom' } },
    ]);
    for (const r of replies) {
      expect(structuredClone(r)).toEqual(r);
      expect(Object.getPrototypeOf((r as { error: object }).error)).toBe(Object.prototype);
    }
  });

  it("uses Electron's ipcMain when no other is given", () => {
    createTrustedRegistrar(() => true)('app.info', async () => appInfo);
    expect(electronIpcMain.handle).toHaveBeenCalledWith('app.info', expect.any(Function));
  });

  it('lists as void exactly the contract channels that take no request', () => {
    for (const c of VOID_REQUEST_CHANNELS) expect(IPC_INVOKE_CHANNELS).toContain(c);
    expect(VOID_REQUEST_CHANNELS).not.toContain('volumes.create');
  });
});

describe('createEventEmitter', () => {
  function fakeWindow(id: number, url: string, destroyed = false) {
    const sent: unknown[][] = [];
    return {
      sent,
      isDestroyed: () => destroyed,
      webContents: { id, getURL: () => url, isDestroyed: () => destroyed, send: (...a: unknown[]) => void sent.push(a) },
    };
  }

  it('sends { event, payload } on the event channel to trusted windows only, skipping destroyed ones', () => {
    const trust = new SenderTrust(RENDERER, 'linux');
    const ours = fakeWindow(1, `${rendererUrl}#/volumes`);
    const navigatedAway = fakeWindow(2, 'https://evil.example/');
    const notOurs = fakeWindow(3, rendererUrl);
    const gone = fakeWindow(4, rendererUrl, true);
    for (const w of [ours, navigatedAway, gone]) trust.add(w.webContents);
    const emit = createEventEmitter(() => [ours, navigatedAway, notOurs, gone], trust.isTrustedContents);
    const progress = { name: 'v1', phase: 'running' as const, totalBytes: 10, remainingBytes: 4, recoveryPoint: null, error: null };
    emit('volumes.syncProgress', progress);
    expect(ours.sent).toEqual([[EVENT_CHANNEL, { event: 'volumes.syncProgress', payload: progress }]]);
    expect(navigatedAway.sent).toEqual([]);
    expect(notOurs.sent).toEqual([]);
    expect(gone.sent).toEqual([]);
  });

  it('refuses an event that is not in the contract', () => {
    const emit = createEventEmitter(() => [], () => true) as (event: string, payload: unknown) => void;
    expect(() => emit('shell.output', {})).toThrow(/not an event of the IPC contract/);
  });
});
