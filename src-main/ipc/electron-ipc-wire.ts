/**
 * What travels over Electron IPC besides the contract's own types: the envelope an invoke
 * resolves to and the one channel that carries events. Shared by main (electron-ipc.ts) and
 * the preload (preload-bridge.ts). It has no imports, so the sandboxed preload bundle stays
 * small and requires nothing but 'electron'.
 */
import type { ConsoleErrorBody, IpcEventMap, IpcEventName } from './ipc-contract.js';

/** The one Electron channel that carries console events (main → renderer). */
export const EVENT_CHANNEL = 'tidegate:event';

/** What an invoke resolves to on the wire; the preload unwraps it. */
export type IpcEnvelope<T> = { ok: true; value: T } | { ok: false; error: ConsoleErrorBody };

/** What travels on EVENT_CHANNEL. */
export interface IpcEventMessage<E extends IpcEventName = IpcEventName> {
  event: E;
  payload: IpcEventMap[E];
}
