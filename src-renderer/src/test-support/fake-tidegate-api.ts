/**
 * A TidegateApi for tests: each channel answers from `handlers` (a vi.fn per channel, so tests
 * can assert calls), and `emit` pushes an event to the subscribed listeners.
 */
import { vi, type Mock } from 'vitest';
import type { IpcEventMap, IpcEventName, IpcInvokeChannel, IpcInvokeMap, TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { buildTidegateApi } from '../bridge/build-api.js';
import { ConsoleError } from '../bridge/console-error.js';

type Handler<C extends IpcInvokeChannel> = (req: Parameters<IpcInvokeMap[C]>[0]) => ReturnType<IpcInvokeMap[C]> | Promise<ReturnType<IpcInvokeMap[C]>>;
export type FakeHandlers = { [C in IpcInvokeChannel]?: Handler<C> };

export interface FakeApi {
  api: TidegateApi;
  /** Every call, by channel. */
  calls: Mock<(channel: IpcInvokeChannel, req: unknown) => void>;
  emit<E extends IpcEventName>(event: E, payload: IpcEventMap[E]): void;
  listenerCount(event: IpcEventName): number;
}

export function createFakeApi(handlers: FakeHandlers): FakeApi {
  const listeners = new Map<IpcEventName, Set<(p: unknown) => void>>();
  const calls = vi.fn<(channel: IpcInvokeChannel, req: unknown) => void>();
  const api = buildTidegateApi(
    async (channel, req) => {
      calls(channel, req);
      const h = handlers[channel] as ((r: unknown) => unknown) | undefined;
      if (!h) throw new ConsoleError('UNKNOWN_CHANNEL', `the fake api has no handler for ${channel}`);
      return h(req);
    },
    (event, listener) => {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => set.delete(listener as (p: unknown) => void);
    },
  );
  return {
    api,
    calls,
    emit: (event, payload) => {
      for (const l of listeners.get(event) ?? []) l(payload);
    },
    listenerCount: (event) => listeners.get(event)?.size ?? 0,
  };
}
