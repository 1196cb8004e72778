/**
 * The console API the preload exposes as `window.tidegate`, and the only file that touches
 * `ipcRenderer`. It has exactly the TidegateApi shape: named functions grouped by domain, one
 * per channel of the contract, each sending one argument, and `events.on` for the contract's
 * events. It never hands out ipcRenderer or a generic invoke(channel).
 *
 * A failed call rejects with a plain `{ code, message }` (a ConsoleErrorBody), not an Error.
 * The contextBridge copies only the message of an Error into the page, so a `code` property
 * would be lost. A plain object crosses intact.
 */
import { ipcRenderer, type IpcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT_NAMES, IPC_INVOKE_CHANNELS, type ConsoleErrorBody, type IpcEventName, type IpcInvokeChannel, type TidegateApi } from '../ipc/ipc-contract.js';
import { EVENT_CHANNEL, type IpcEnvelope } from '../ipc/electron-ipc-wire.js';

/** The part of ipcRenderer the bridge uses (tests pass a fake). */
export type BridgeIpc = Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>;

/** Codes the bridge itself may reject with. */
export const BridgeErrorCode = {
  /** Main answered with something that is not an envelope (a version mismatch between main and preload). */
  BadReply: 'IPC_BAD_REPLY',
  /** Main has no handler for the channel (yet), or the call could not be delivered. */
  Unavailable: 'IPC_UNAVAILABLE',
} as const;

const eventNames: ReadonlySet<string> = new Set(IPC_EVENT_NAMES);

type Listener = (payload: unknown) => void;

/** Build the `window.tidegate` object over `ipc`. */
export function buildTidegateApi(ipc: BridgeIpc = ipcRenderer): TidegateApi {
  const api: Record<string, Record<string, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const channel of IPC_INVOKE_CHANNELS) {
    const [domain, action] = channel.split('.') as [string, string];
    // Only the first argument travels: whatever else a page passes stays in the page.
    (api[domain] ??= {})[action] = (...args: unknown[]) => invoke(ipc, channel, args[0]);
  }
  const domains = Object.fromEntries(Object.entries(api).map(([d, fns]) => [d, Object.freeze(fns)]));
  return Object.freeze({ ...domains, events: Object.freeze({ on: eventSubscriber(ipc) }) }) as unknown as TidegateApi;
}

async function invoke(ipc: BridgeIpc, channel: IpcInvokeChannel, req: unknown): Promise<unknown> {
  let reply: unknown;
  try {
    reply = await ipc.invoke(channel, req);
  } catch (err) {
    throw errorBody(BridgeErrorCode.Unavailable, `The gateway console could not call ${channel}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const envelope = reply as Partial<IpcEnvelope<unknown>> | null;
  if (envelope !== null && typeof envelope === 'object') {
    if (envelope.ok === true) return envelope.value;
    if (envelope.ok === false && isErrorBody(envelope.error)) throw errorBody(envelope.error.code, envelope.error.message);
  }
  throw errorBody(BridgeErrorCode.BadReply, `The gateway sent an answer this console does not understand (${channel}).`);
}

function isErrorBody(v: unknown): v is ConsoleErrorBody {
  return typeof v === 'object' && v !== null && typeof (v as ConsoleErrorBody).code === 'string' && typeof (v as ConsoleErrorBody).message === 'string';
}

function errorBody(code: string, message: string): ConsoleErrorBody {
  return { code, message };
}

/** `events.on`: one ipcRenderer listener while anyone listens, fanned out by event name. */
function eventSubscriber(ipc: BridgeIpc): TidegateApi['events']['on'] {
  const listeners = new Map<string, Set<Listener>>();
  let count = 0;
  const onMessage = (_event: IpcRendererEvent, message: unknown): void => {
    if (typeof message !== 'object' || message === null) return;
    const { event, payload } = message as { event?: unknown; payload?: unknown };
    if (typeof event !== 'string' || !eventNames.has(event)) return;
    for (const listener of [...(listeners.get(event) ?? [])]) {
      try {
        listener(payload);
      } catch (err) {
        console.error(`tidegate: a listener of ${event} failed`, err); // one bad listener must not starve the others
      }
    }
  };
  return <E extends IpcEventName>(event: E, listener: (payload: never) => void): (() => void) => {
    if (typeof event !== 'string' || !eventNames.has(event)) throw new TypeError(`"${String(event)}" is not a Tidegate console event`);
    if (typeof listener !== 'function') throw new TypeError('the listener must be a function');
    const set = listeners.get(event) ?? new Set<Listener>();
    listeners.set(event, set);
    // The same function twice is two subscriptions; wrap so each unsubscribe removes its own.
    const entry: Listener = (payload) => (listener as Listener)(payload);
    set.add(entry);
    if (count++ === 0) ipc.on(EVENT_CHANNEL, onMessage);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      set.delete(entry);
      if (--count === 0) ipc.removeListener(EVENT_CHANNEL, onMessage);
    };
  };
}
