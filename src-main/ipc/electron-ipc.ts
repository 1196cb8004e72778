/**
 * The console contract over Electron IPC: the only file that touches `ipcMain`. (ESLint bans it
 * everywhere else.) The handlers get a `register` function from here, so they can be tested
 * without Electron.
 *
 * Every call is checked the same way. It must come from a trusted sender (see
 * src-main/electron/sender-trust.ts): only a frame of a window we created, showing our own
 * renderer. Only the first argument is passed on, and nothing for channels that take no
 * request. The result travels as an envelope, `{ ok: true, value }` or
 * `{ ok: false, error: { code, message } }`. Electron turns a thrown error into a bare
 * message, so the envelope is what keeps the error code. The preload unwraps it.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { toConsoleErrorBody } from './console-error.js';
import { EVENT_CHANNEL, type IpcEnvelope, type IpcEventMessage } from './electron-ipc-wire.js';
import type { EmitEvent, RegisterHandler } from './handlers/console-deps.js';
import { IPC_INVOKE_CHANNELS, IPC_EVENT_NAMES, type IpcInvokeChannel, type IpcRequest } from './ipc-contract.js';

/** Refused because the call came from a frame that is not our console (another page, a subframe, a window we did not create). */
export const UNTRUSTED_SENDER = 'IPC_UNTRUSTED_SENDER';

type VoidChannel = { [C in IpcInvokeChannel]: IpcRequest<C> extends void ? C : never }[IpcInvokeChannel];

/** Channels that take no request: their handlers get `undefined` whatever the renderer sent. */
export const VOID_REQUEST_CHANNELS = [
  'app.info',
  'gateway.snapshot',
  'activation.status',
  'volumes.list',
  'storage.describe',
  'bandwidth.get',
  'diagnostics.supportBundle',
] as const satisfies readonly VoidChannel[];

/** Fails to compile when a channel without a request is missing from VOID_REQUEST_CHANNELS. */
export const VOID_REQUEST_CHANNELS_COMPLETE: Exclude<VoidChannel, (typeof VOID_REQUEST_CHANNELS)[number]> extends never ? true : never = true;

const invokeChannels: ReadonlySet<string> = new Set(IPC_INVOKE_CHANNELS);
const voidChannels: ReadonlySet<string> = new Set(VOID_REQUEST_CHANNELS);
const eventNames: ReadonlySet<string> = new Set(IPC_EVENT_NAMES);

/** The part of ipcMain this file uses (tests pass a fake). */
export type IpcMainLike = Pick<typeof ipcMain, 'handle'>;

/** Decides whether an invoke comes from our console (built by the window module). */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** Options of createTrustedRegistrar. */
export interface TrustedRegistrarOptions {
  /** Told about every refused call, for the log. */
  onRejected?: (channel: string, reason: string) => void;
  /** Defaults to Electron's ipcMain. */
  ipc?: IpcMainLike;
}

/** A `register` for the console handlers that serves only trusted senders and answers in envelopes. */
export function createTrustedRegistrar(isTrustedSender: SenderCheck, options: TrustedRegistrarOptions = {}): RegisterHandler {
  const ipc = options.ipc ?? ipcMain;
  return (channel, handler) => {
    if (!invokeChannels.has(channel)) throw new Error(`"${channel}" is not a channel of the IPC contract`);
    const takesNothing = voidChannels.has(channel);
    ipc.handle(channel, async (event: IpcMainInvokeEvent, ...args: unknown[]): Promise<IpcEnvelope<unknown>> => {
      if (!safeCheck(isTrustedSender, event)) {
        options.onRejected?.(channel, `untrusted sender ${senderUrl(event)}`);
        return { ok: false, error: { code: UNTRUSTED_SENDER, message: 'This window may not control the gateway.' } };
      }
      const req = (takesNothing ? undefined : args[0]) as IpcRequest<typeof channel>;
      try {
        return { ok: true, value: await handler(req) };
      } catch (err) {
        // A fresh plain object: the handler's error may hold things structured clone refuses.
        const { code, message } = toConsoleErrorBody(err);
        return { ok: false, error: { code: String(code), message: String(message) } };
      }
    });
  };
}

function safeCheck(check: SenderCheck, event: IpcMainInvokeEvent): boolean {
  try {
    return check(event) === true;
  } catch {
    return false; // a destroyed frame throws on access: not trusted
  }
}

function senderUrl(event: IpcMainInvokeEvent): string {
  try {
    return event.senderFrame?.url ?? '(no frame)';
  } catch {
    return '(a disposed frame)';
  }
}

/** A window the emitter may send to (BrowserWindow fits). */
export interface EventWindow {
  readonly webContents: Pick<WebContents, 'send' | 'isDestroyed' | 'id' | 'getURL'>;
  isDestroyed(): boolean;
}

/**
 * `emit(event, payload)` for the handlers. It sends to the windows `getWindows` returns, and only
 * to those whose contents `isTrustedTarget` accepts, so a window that shows some other page gets
 * no gateway state.
 */
export function createEventEmitter(getWindows: () => readonly EventWindow[], isTrustedTarget: (contents: EventWindow['webContents']) => boolean): EmitEvent {
  return (event, payload) => {
    if (!eventNames.has(event)) throw new Error(`"${event}" is not an event of the IPC contract`);
    const message = { event, payload } as IpcEventMessage;
    for (const w of getWindows()) {
      if (w.isDestroyed() || w.webContents.isDestroyed()) continue;
      if (!isTrustedTarget(w.webContents)) continue;
      w.webContents.send(EVENT_CHANNEL, message);
    }
  };
}
