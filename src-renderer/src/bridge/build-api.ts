import type { IpcEventMap, IpcEventName, IpcInvokeChannel, TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { INVOKE_CHANNELS } from './channels.js';

/** Sends one request on one channel and resolves to its result (rejects with a ConsoleError). */
export type InvokeTransport = (channel: IpcInvokeChannel, req: unknown) => Promise<unknown>;

/** Subscribes to one pushed event; returns the unsubscribe function. */
export type SubscribeTransport = <E extends IpcEventName>(event: E, listener: (payload: IpcEventMap[E]) => void) => () => void;

/**
 * Builds the `window.tidegate` shape (functions grouped by domain, `volumes.create(req)`) on
 * top of a generic transport, so the headless console and the preload look the same to the
 * rest of the renderer. The one cast is safe because the channel list is checked against the
 * contract (channels.ts) and every function forwards its request unchanged.
 */
export function buildTidegateApi(invoke: InvokeTransport, subscribe: SubscribeTransport): TidegateApi {
  const api: Record<string, Record<string, unknown>> = {};
  for (const channel of INVOKE_CHANNELS) {
    const dot = channel.indexOf('.');
    const domain = channel.slice(0, dot);
    const action = channel.slice(dot + 1);
    (api[domain] ??= {})[action] = (req?: unknown) => invoke(channel, req);
  }
  api['events'] = { on: subscribe };
  return api as unknown as TidegateApi;
}
