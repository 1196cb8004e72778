import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { buildTidegateApi } from './build-api.js';
import { ConsoleError, toConsoleErrorBody } from './console-error.js';
import { createHeadlessApi } from './headless-transport.js';

declare global {
  interface Window {
    /** Exposed by the Electron preload (contextBridge); absent in a browser on the headless server. */
    tidegate?: TidegateApi;
  }
}

let chosen: { win: Window; api: TidegateApi } | undefined;

/**
 * The one way the console reaches main, chosen once per window: the preload's
 * `window.tidegate` inside Electron, otherwise (a browser on `tidegate serve --console`) an
 * HTTP + WebSocket transport with the same shape.
 */
export function getTidegateApi(win: Window & typeof globalThis = window): TidegateApi {
  if (chosen?.win !== win) {
    const api = win.tidegate ? fromPreload(win.tidegate) : createHeadlessApi({ fetch: win.fetch.bind(win), WebSocket: win.WebSocket, location: win.location });
    chosen = { win, api };
  }
  return chosen.api;
}

/**
 * The preload's api with its rejections turned into ConsoleError. The contextBridge only
 * carries plain objects intact, so the preload rejects with a bare `{ code, message }`; the
 * rest of the console (and react-query) then sees the same Error class in both shells.
 */
export function fromPreload(exposed: TidegateApi): TidegateApi {
  const domains = exposed as unknown as Record<string, Record<string, ((req?: unknown) => Promise<unknown>) | undefined> | undefined>;
  return buildTidegateApi(async (channel, req) => {
    const dot = channel.indexOf('.');
    const fn = domains[channel.slice(0, dot)]?.[channel.slice(dot + 1)];
    if (typeof fn !== 'function') throw new ConsoleError('IPC_UNAVAILABLE', `This desktop app has no ${channel} call: its main process and console are from different versions.`);
    try {
      return await fn(req);
    } catch (err) {
      const body = toConsoleErrorBody(err);
      throw new ConsoleError(body.code, body.message);
    }
  }, exposed.events.on);
}
