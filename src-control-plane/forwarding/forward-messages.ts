/**
 * Messages between control-plane servers on the bus (docs/control-plane.md § Forwarding):
 *
 *   tidegate:server:<id>   messages for one server: forwarded requests, and answers to its own
 *   tidegate:broadcast     forwarded requests whose holder is unknown; alert-change notices
 *
 *   forward         {kind:'forward', requestId, gatewayId, method, params, deadline, replyTo}
 *   reply           {kind:'reply', requestId, gatewayId, ok, result | error, servedBy}
 *   not-held        {kind:'not-held', requestId, gatewayId, servedBy}
 *   accepted        {kind:'accepted', requestId, gatewayId, servedBy}   — the holder sent the
 *                   request to its gateway (so a timeout is GATEWAY_TIMEOUT, not _OFFLINE)
 *   alerts-changed  {kind:'alerts-changed', gatewayId}                  — the holder pushes
 *                   the gateway's open alerts (an alert changed on another server)
 *
 * `accepted` and `alerts-changed` are additions to the spec's list; servers of one version
 * all speak them. Every message is checked on arrival: the bus is shared, not trusted blindly.
 */
import type { RemoteCommand } from '../../src-gateway-engine/control/control-wire.js';
import { isRemoteCommand } from './remote-commands.js';

/** The broadcast channel. */
export const BROADCAST_CHANNEL = 'tidegate:broadcast';

/** The channel of one server. */
export function serverChannel(serverId: string): string {
  return `tidegate:server:${serverId}`;
}

/** A request for a gateway held by another server. */
export interface ForwardMessage {
  kind: 'forward';
  requestId: string;
  gatewayId: string;
  method: RemoteCommand;
  params: unknown;
  deadline: number;
  replyTo: string;
}

/** The gateway's answer, relayed by its holder. */
export type ForwardReplyMessage =
  | { kind: 'reply'; requestId: string; gatewayId: string; ok: true; result: unknown; servedBy: string }
  | { kind: 'reply'; requestId: string; gatewayId: string; ok: false; error: { code: string; message: string }; servedBy: string };

/** The addressed server does not hold the gateway (any more). */
export interface NotHeldMessage {
  kind: 'not-held';
  requestId: string;
  gatewayId: string;
  servedBy: string;
}

/** The holder sent the request to its gateway; its reply will follow. */
export interface AcceptedMessage {
  kind: 'accepted';
  requestId: string;
  gatewayId: string;
  servedBy: string;
}

/** An alert of this gateway opened or closed. */
export interface AlertsChangedMessage {
  kind: 'alerts-changed';
  gatewayId: string;
}

/** Any message of the forwarding protocol. */
export type BusMessage = ForwardMessage | ForwardReplyMessage | NotHeldMessage | AcceptedMessage | AlertsChangedMessage;

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256;

/** The message if it is a well-formed BusMessage, else null. */
export function parseBusMessage(raw: unknown): BusMessage | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const m = raw as Record<string, unknown>;
  switch (m.kind) {
    case 'forward':
      return str(m.requestId) && str(m.gatewayId) && isRemoteCommand(m.method) && typeof m.deadline === 'number' && str(m.replyTo)
        ? { kind: 'forward', requestId: m.requestId, gatewayId: m.gatewayId, method: m.method, params: m.params ?? {}, deadline: m.deadline, replyTo: m.replyTo }
        : null;
    case 'reply': {
      if (!str(m.requestId) || !str(m.gatewayId) || !str(m.servedBy) || typeof m.ok !== 'boolean') return null;
      if (m.ok) return { kind: 'reply', requestId: m.requestId, gatewayId: m.gatewayId, ok: true, result: m.result ?? null, servedBy: m.servedBy };
      const e = m.error as { code?: unknown; message?: unknown } | undefined;
      return { kind: 'reply', requestId: m.requestId, gatewayId: m.gatewayId, ok: false, error: { code: typeof e?.code === 'string' ? e.code : 'UNKNOWN', message: typeof e?.message === 'string' ? e.message : 'error' }, servedBy: m.servedBy };
    }
    case 'not-held':
    case 'accepted':
      return str(m.requestId) && str(m.gatewayId) && str(m.servedBy) ? { kind: m.kind, requestId: m.requestId, gatewayId: m.gatewayId, servedBy: m.servedBy } : null;
    case 'alerts-changed':
      return str(m.gatewayId) ? { kind: 'alerts-changed', gatewayId: m.gatewayId } : null;
    default:
      return null;
  }
}
