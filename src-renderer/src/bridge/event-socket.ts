/**
 * The headless console's event stream: one WebSocket to `/api/events` shared by every
 * listener. Messages are `{ event, payload }`. The socket opens with the first listener,
 * reconnects with exponential backoff (reset once a connection opens) and closes a little
 * after the last listener leaves (the linger keeps React's mount/unmount/mount in dev from
 * tearing down a socket that is still connecting).
 *
 * States: idle (no listeners) → connecting → open → (closed by the server) → waiting (timer)
 * → connecting … ; any state → idle when the last listener leaves and the linger ends.
 */
import type { IpcEventMap, IpcEventName } from '../../../src-main/ipc/ipc-contract.js';
import type { SubscribeTransport } from './build-api.js';
import { isEventName } from './channels.js';

/** The part of the WebSocket constructor the stream uses (tests pass a fake). */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface EventSocketOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  /** First reconnect delay; doubles per failed attempt. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** How long the socket stays open after the last listener leaves. */
  lingerMs?: number;
}

export interface EventSocket {
  on: SubscribeTransport;
  /** Drop every listener and close now (tests, page teardown). */
  close(): void;
}

type AnyListener = (payload: unknown) => void;

/** The reconnect delay before attempt `attempt` (0-based): initial × 2^attempt, capped. */
export function reconnectDelay(attempt: number, initialDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 30));
}

export function createEventSocket(options: EventSocketOptions): EventSocket {
  const { url, WebSocket: Ws, initialDelayMs = 500, maxDelayMs = 15_000, lingerMs = 1_000 } = options;
  const listeners = new Map<IpcEventName, Set<AnyListener>>();
  let socket: WebSocket | null = null;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let lingerTimer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;

  const listenerCount = () => {
    let n = 0;
    for (const set of listeners.values()) n += set.size;
    return n;
  };

  function connect(): void {
    reconnectTimer = undefined;
    const ws = new Ws(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
    };
    ws.onmessage = (ev: MessageEvent) => dispatch(ev.data);
    ws.onclose = () => {
      if (socket !== ws) return; // closed on purpose
      socket = null;
      scheduleReconnect();
    };
    // An error is always followed by close; reconnecting happens there.
    ws.onerror = () => {};
  }

  function scheduleReconnect(): void {
    if (listenerCount() === 0 || reconnectTimer !== undefined) return;
    reconnectTimer = setTimeout(connect, reconnectDelay(attempt, initialDelayMs, maxDelayMs));
    attempt++;
  }

  function dispatch(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: { event?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(data) as typeof msg;
    } catch {
      return; // not ours
    }
    if (typeof msg !== 'object' || msg === null || !isEventName(msg.event)) return;
    const set = listeners.get(msg.event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(msg.payload);
      } catch (err) {
        // One broken listener must not starve the others.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  function shutdown(): void {
    clearTimeout(reconnectTimer);
    clearTimeout(lingerTimer);
    reconnectTimer = undefined;
    lingerTimer = undefined;
    attempt = 0;
    const ws = socket;
    socket = null;
    ws?.close();
  }

  const on: SubscribeTransport = <E extends IpcEventName>(event: E, listener: (payload: IpcEventMap[E]) => void) => {
    const anyListener = listener as AnyListener;
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    set.add(anyListener);
    clearTimeout(lingerTimer);
    lingerTimer = undefined;
    if (socket === null && reconnectTimer === undefined) connect();
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      listeners.get(event)?.delete(anyListener);
      if (listenerCount() === 0 && lingerTimer === undefined) {
        lingerTimer = setTimeout(() => {
          lingerTimer = undefined;
          if (listenerCount() === 0) shutdown();
        }, lingerMs);
      }
    };
  };

  return {
    on,
    close() {
      listeners.clear();
      shutdown();
    },
  };
}
