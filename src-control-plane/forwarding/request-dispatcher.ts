/**
 * Running a command on a gateway from whichever server the admin request reached
 * (docs/control-plane.md § Forwarding). One request id (a UUID) for all attempts, so the
 * gateway's request-id cache runs it once however often it is retried.
 *
 * Every attempt (every RETRY_INTERVAL_MS until the deadline):
 *   1. This server holds the connection → send it there (a later attempt joins the request in
 *      flight rather than re-sending it).
 *   2. The registry names another server → publish `forward` on `tidegate:server:<holder>`
 *      (not again while that holder has `accepted` it and still holds the gateway). Done even
 *      when step 1 applies: a connection held here may be a half-open leftover.
 *   3. Not held here and no entry (or a stale one naming this server) → publish `forward` on
 *      `tidegate:broadcast`; only a holder answers.
 *   A `reply` from any attempt ends the request; `not-held` or silence leads to the next attempt.
 * At the deadline: GATEWAY_TIMEOUT (504) if the request reached the gateway (sent from here,
 * or `accepted` by a holder), else GATEWAY_OFFLINE (503). A reply's gatewayId must be the
 * gateway asked for; an engine error is GATEWAY_ERROR (422) with `error.engineCode`.
 *
 * The holder side (`onForward`): not held → `not-held` (direct forwards only; broadcasts get
 * silence); held → `accepted`, send, then `reply` when the gateway answers, or `not-held` if its
 * connection closes first.
 */
import { randomUUID } from 'node:crypto';
import { ControlError } from '../errors/control-error.js';
import type { CommandRequest, CommandSender } from '../http/app-context.js';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';
import type { ControlPlaneState } from '../state/index.js';
import type { GatewayConnection, GatewayReply, RequestOutcome } from '../connections/gateway-connection.js';
import { BROADCAST_CHANNEL, parseBusMessage, serverChannel, type AcceptedMessage, type BusMessage, type ForwardMessage, type ForwardReplyMessage, type NotHeldMessage } from './forward-messages.js';

/** How often an unanswered request is retried. */
export const RETRY_INTERVAL_MS = 250;

/** The connections the dispatcher can use directly (connections/connection-hub.ts). */
export interface LocalConnections {
  get(gatewayId: string): Pick<GatewayConnection, 'request'> | undefined;
  /** Push a gateway's open alerts if it is held here; false when it is not. */
  pushAlerts(gatewayId: string): boolean;
}

/** What the dispatcher is built from. */
export interface RequestDispatcherOptions {
  serverId: string;
  state: ControlPlaneState;
  connections: LocalConnections;
  logger: ControlPlaneLogger;
  retryIntervalMs?: number;
}

/** The gateway's answer, from here or relayed. */
type Answer = { reply: GatewayReply | ForwardReplyMessage; servedBy: string };

/** One request this server is waiting on. */
class PendingCommand {
  answer: Answer | null = null;
  /** The server that last accepted the request and has not said `not-held` since. */
  acceptedBy: string | null = null;
  reachedGateway = false;
  aborted = false;
  private wake: (() => void) | null = null;

  constructor(readonly gatewayId: string) {}

  /** A bus message about this request arrived. */
  onMessage(m: ForwardReplyMessage | NotHeldMessage | AcceptedMessage): void {
    if (m.kind === 'reply') this.finish({ reply: m, servedBy: m.servedBy });
    else if (m.kind === 'accepted') {
      this.acceptedBy = m.servedBy;
      this.reachedGateway = true;
    } else if (this.acceptedBy === m.servedBy) this.acceptedBy = null;
  }

  finish(answer: Answer): void {
    this.answer ??= answer;
    this.wake?.();
  }

  abort(): void {
    this.aborted = true;
    this.wake?.();
  }

  /** Wait until `ms` passed, the answer came, the request was aborted, or `also` settled. */
  async waitFor(ms: number, also?: Promise<unknown>): Promise<void> {
    if (this.answer || this.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.wake = resolve;
        timer = setTimeout(resolve, Math.max(0, ms));
      }),
      ...(also ? [also] : []),
    ]);
    clearTimeout(timer);
    this.wake = null;
  }
}

/** Sends commands to gateways wherever they are connected, and serves other servers' forwards. */
export class RequestDispatcher implements CommandSender {
  private readonly pending = new Map<string, PendingCommand>();
  private readonly retryIntervalMs: number;
  private readonly log: ControlPlaneLogger;
  private stopped = false;

  constructor(private readonly o: RequestDispatcherOptions) {
    this.retryIntervalMs = o.retryIntervalMs ?? RETRY_INTERVAL_MS;
    this.log = o.logger.child({ component: 'forwarding' });
  }

  /** Subscribe to this server's channel and the broadcast channel. */
  async start(): Promise<void> {
    await this.o.state.bus.subscribe(serverChannel(this.o.serverId), (m) => this.onBusMessage(m, false));
    await this.o.state.bus.subscribe(BROADCAST_CHANNEL, (m) => this.onBusMessage(m, true));
  }

  /** Stop serving forwards; commands still waiting fail at once (the server is going away). */
  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) p.abort();
  }

  /** Run one command; resolves with the gateway's result and the server that held it. */
  async send(request: CommandRequest): Promise<{ result: unknown; servedBy: string }> {
    if (this.stopped) throw new ControlError('GATEWAY_OFFLINE', 'this control-plane server is shutting down; try again');
    const requestId = randomUUID();
    const deadline = Date.now() + request.timeoutMs;
    const forward: ForwardMessage = { kind: 'forward', requestId, gatewayId: request.gatewayId, method: request.method, params: request.params, deadline, replyTo: this.o.serverId };
    const pending = new PendingCommand(request.gatewayId);
    this.pending.set(requestId, pending);
    try {
      while (!pending.answer && !pending.aborted && Date.now() < deadline) {
        const attemptEnds = Math.min(deadline, Date.now() + this.retryIntervalMs);
        const local = this.o.connections.get(request.gatewayId);
        const attempt: { ended: 'replied' | 'closed' | 'expired' | null } = { ended: null };
        let settled: Promise<void> | undefined;
        if (local) {
          pending.reachedGateway = true;
          // Asking again with the same id joins the request already in flight: nothing is re-sent.
          settled = local.request({ id: requestId, method: request.method, params: request.params, deadline }).then((o) => {
            attempt.ended = this.onLocalOutcome(pending, o);
          });
        }
        await this.forwardOnce(forward, pending, local !== undefined);
        await pending.waitFor(attemptEnds - Date.now(), settled);
        // The connection closed under the request: look again after the retry interval.
        if (attempt.ended === 'closed') await pending.waitFor(attemptEnds - Date.now());
      }
    } finally {
      this.pending.delete(requestId);
    }
    if (pending.answer) return this.toResult(pending.answer);
    if (pending.aborted) throw new ControlError('GATEWAY_OFFLINE', 'this control-plane server is shutting down; try again');
    if (pending.reachedGateway) throw new ControlError('GATEWAY_TIMEOUT', `gateway ${request.gatewayId} did not answer ${request.method} within ${request.timeoutMs} ms`);
    throw new ControlError('GATEWAY_OFFLINE', `gateway ${request.gatewayId} is not connected to the control plane`);
  }

  /** An alert of `gatewayId` changed here: push the open alerts to it, wherever it is connected. */
  notifyAlertsChanged(gatewayId: string | null): void {
    if (gatewayId === null || this.stopped) return;
    if (this.o.connections.pushAlerts(gatewayId)) return;
    void this.publish(BROADCAST_CHANNEL, { kind: 'alerts-changed', gatewayId });
  }

  /** What a local attempt ended with: 'replied', 'closed' (try again) or 'expired'. */
  private onLocalOutcome(pending: PendingCommand, outcome: RequestOutcome): 'replied' | 'closed' | 'expired' {
    if (outcome.kind === 'reply') {
      pending.finish({ reply: outcome.reply, servedBy: this.o.serverId });
      return 'replied';
    }
    return outcome.kind;
  }

  /**
   * Steps 2–3. Not held here: to the holder the registry names, else broadcast. Held here too:
   * only when the registry names another server (this connection may be a half-open leftover
   * of a gateway that reconnected there; the gateway's request-id cache makes both safe).
   */
  private async forwardOnce(forward: ForwardMessage, pending: PendingCommand, heldHere: boolean): Promise<void> {
    let holder: string | null = null;
    try {
      holder = (await this.o.state.registry.get(forward.gatewayId))?.serverId ?? null;
    } catch (err) {
      this.log.warn('registry lookup failed', { gatewayId: forward.gatewayId, err });
      if (heldHere) return;
    }
    if (holder !== null && holder !== this.o.serverId) {
      if (pending.acceptedBy === holder) return; // it has the request; its reply will come
      await this.publish(serverChannel(holder), forward);
    } else if (!heldHere) {
      pending.acceptedBy = null;
      await this.publish(BROADCAST_CHANNEL, forward);
    }
  }

  private toResult(answer: Answer): { result: unknown; servedBy: string } {
    const r = answer.reply;
    if (r.ok) return { result: r.result, servedBy: answer.servedBy };
    throw new ControlError('GATEWAY_ERROR', r.error.message, { details: { engineCode: r.error.code } });
  }

  private onBusMessage(raw: unknown, viaBroadcast: boolean): void {
    if (this.stopped) return;
    const m = parseBusMessage(raw);
    if (m === null) {
      this.log.warn('ignored a malformed bus message', { channel: viaBroadcast ? BROADCAST_CHANNEL : serverChannel(this.o.serverId) });
      return;
    }
    switch (m.kind) {
      case 'forward':
        void this.onForward(m, viaBroadcast);
        return;
      case 'alerts-changed':
        this.o.connections.pushAlerts(m.gatewayId);
        return;
      default:
        this.onAnswer(m);
    }
  }

  private onAnswer(m: Exclude<BusMessage, ForwardMessage | { kind: 'alerts-changed' }>): void {
    const pending = this.pending.get(m.requestId);
    if (!pending) return; // late: the request is over
    if (m.gatewayId !== pending.gatewayId) {
      this.log.warn('rejected an answer naming another gateway', { requestId: m.requestId, asked: pending.gatewayId, claimed: m.gatewayId, servedBy: m.servedBy });
      return;
    }
    pending.onMessage(m);
  }

  /** The holder side of forwarding. */
  private async onForward(m: ForwardMessage, viaBroadcast: boolean): Promise<void> {
    if (m.deadline <= Date.now()) return;
    const replyChannel = serverChannel(m.replyTo);
    const about = { requestId: m.requestId, gatewayId: m.gatewayId, servedBy: this.o.serverId };
    const local = this.o.connections.get(m.gatewayId);
    if (!local) {
      if (!viaBroadcast) await this.publish(replyChannel, { kind: 'not-held', ...about });
      return;
    }
    await this.publish(replyChannel, { kind: 'accepted', ...about });
    const outcome = await local.request({ id: m.requestId, method: m.method, params: m.params, deadline: m.deadline });
    if (outcome.kind === 'reply') {
      const r = outcome.reply;
      await this.publish(replyChannel, r.ok ? { kind: 'reply', ...about, ok: true, result: r.result } : { kind: 'reply', ...about, ok: false, error: r.error });
    } else if (outcome.kind === 'closed') {
      await this.publish(replyChannel, { kind: 'not-held', ...about });
    }
  }

  private async publish(channel: string, message: BusMessage): Promise<void> {
    try {
      await this.o.state.bus.publish(channel, message);
    } catch (err) {
      this.log.warn('could not publish on the bus', { channel, kind: message.kind, err });
    }
  }
}
