import type { TidegateApi } from '../../../src-main/ipc/ipc-contract.js';
import { buildTidegateApi } from './build-api.js';
import { createEventSocket, type WebSocketConstructor } from './event-socket.js';
import { createHttpInvoke } from './http-invoke.js';

export interface HeadlessTransportEnv {
  fetch: typeof fetch;
  WebSocket: WebSocketConstructor;
  /** The page's location: the event socket goes to the same origin. */
  location: Pick<Location, 'protocol' | 'host'>;
}

/** The events URL on the page's own origin: ws: for http pages, wss: for https pages. */
export function eventsUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/api/events`;
}

/**
 * The TidegateApi of a console served by `tidegate serve --console`: invoke over
 * `POST /api/invoke/<channel>`, events over one WebSocket.
 */
export function createHeadlessApi(env: HeadlessTransportEnv): TidegateApi {
  const events = createEventSocket({ url: eventsUrl(env.location), WebSocket: env.WebSocket });
  return buildTidegateApi(createHttpInvoke(env.fetch), events.on);
}
