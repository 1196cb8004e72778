import type { AddressInfo, Server, Socket } from 'node:net';
import { NO_POLLING, type PollHooks } from '../common/busy-poll.js';
import { listenTcp } from '../common/listen-tcp.js';
import { silentLogger, type Logger } from '../nbd/logger.js';
import type { ConnectionContext, ConnectionLimits, IscsiCounters } from './connection/connection-context.js';
import { WriteBufferPool } from '../common/write-buffer-pool.js';
import { IscsiConnection } from './connection/iscsi-connection.js';
import { ChapChallengeRegistry, LoginNegotiator } from './login/index.js';
import type { ResetKind } from './scsi/scsi-contract.js';
import type { IscsiSession } from './session/iscsi-session.js';
import { SessionRegistry } from './session/session-registry.js';
import type { IscsiTarget, TargetResolver } from './target-resolver.js';

/** One normal session logged in to a target (read-only view for status). */
export interface IscsiSessionInfo {
  initiatorName: string;
  /** The initiator's "address:port". */
  address: string;
  /** When it logged in, ms since the epoch. */
  connectedAt: number;
}

/** Options for {@link IscsiServer}. */
export interface IscsiServerOptions {
  logger?: Logger;
  /** Target portal group tag of this portal; default 1. */
  portalGroupTag?: number;
  limits?: Partial<ConnectionLimits>;
  /** Most connections at once (each costs a socket and its buffers); default 256. */
  maxConnections?: number;
  /** How long close() waits for commands in flight; default 10 s. */
  closeGraceMs?: number;
  /** The process's busy poller (protocols/common/busy-poll.ts); default none. */
  poll?: PollHooks;
}

const DEFAULT_LIMITS: ConnectionLimits = {
  queueDepth: 128,
  maxDataOutBytes: 16 * 1024 * 1024,
  maxDataOutInFlight: 64 * 1024 * 1024,
  nopIntervalMs: 30_000,
  nopTimeoutMs: 30_000,
  loginTimeoutMs: 30_000,
};

/**
 * An iSCSI target portal over TCP (RFC 7143): one target per volume, found through the
 * injected resolver at every login. Sessions are registered here so that logins can
 * reinstate them and resets can reach every session of a target.
 */
export class IscsiServer {
  private readonly logger: Logger;
  private readonly sessions = new SessionRegistry();
  private readonly connections = new Set<IscsiConnection>();
  private readonly ctx: ConnectionContext;
  private readonly counters: IscsiCounters = { loginFailures: 0, protocolErrors: 0 };
  private readonly maxConnections: number;
  private readonly closeGraceMs: number;
  private server: Server | undefined;
  private listening = false;

  constructor(targets: TargetResolver, options: IscsiServerOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.maxConnections = options.maxConnections ?? 256;
    this.closeGraceMs = options.closeGraceMs ?? 10_000;
    const portalGroupTag = options.portalGroupTag ?? 1;
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    // One registry for the whole portal: a CHAP challenge seen on any connection is never accepted again.
    const chapRegistry = new ChapChallengeRegistry();
    this.ctx = {
      counters: this.counters,
      targets,
      sessions: this.sessions,
      portalGroupTag,
      relativeTargetPortId: 1,
      limits,
      logger: this.logger,
      writeBuffers: new WriteBufferPool(),
      poll: options.poll ?? NO_POLLING,
      newNegotiator: () => new LoginNegotiator({ targetPortalGroupTag: portalGroupTag, lookupTarget: (name) => targets.lookup(name)?.access, chapRegistry }),
      portals: (address, port) => [`${address.includes(':') ? `[${address}]` : address}:${port},${portalGroupTag}`],
      reset: (target, kind, by) => this.reset(target, kind, by),
      abortNexusTasks: async (target, nexusIds, by) => {
        const preempted = this.sessions.forTarget(target.name).filter((s) => s !== by && s.nexus !== undefined && nexusIds.has(s.nexus.id));
        this.logger.info('iscsi: PREEMPT AND ABORT', { target: target.name, by: by.initiatorName, sessions: preempted.length });
        await Promise.all(preempted.map((s) => s.abortAll()));
        target.lun0.tasksClearedBy(by.nexus!, preempted.map((s) => s.nexus!));
      },
    };
  }

  /** Start listening; resolves with the bound address (port 0 picks a free port). */
  async listen(host: string, port: number): Promise<AddressInfo> {
    if (this.listening) throw new Error('iSCSI server is already listening');
    this.listening = true;
    try {
      const { server, address } = await listenTcp('iscsi', host, port, this.logger, (socket) => this.accept(socket));
      this.server = server;
      return address;
    } catch (err) {
      this.listening = false;
      throw err;
    }
  }


  /** Live sessions (for status and tests). */
  get sessionCount(): number {
    return this.sessions.all().length;
  }

  /** Normal sessions logged in to one target. */
  sessionsOf(targetName: string): number {
    return this.sessions.forTarget(targetName).length;
  }

  /** The normal sessions logged in to one target now. */
  sessionInfo(targetName: string): IscsiSessionInfo[] {
    return this.sessions.forTarget(targetName).map((s) => ({ initiatorName: s.initiatorName, address: s.remoteAddress, connectedAt: s.loggedInAt }));
  }

  /** Refused logins and connections dropped for protocol errors since start. */
  get stats(): Readonly<IscsiCounters> {
    return { ...this.counters };
  }

  /** Stop listening, end every session (commands in flight get `closeGraceMs` to finish). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    // Stop accepting now; the listener's close completes only once every connection is gone.
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    const all = [...this.connections];
    const grace = new Promise<void>((resolve) => setTimeout(resolve, this.closeGraceMs).unref());
    await Promise.race([Promise.all(this.sessions.all().map((s) => s.terminate('server shutting down'))), grace]);
    for (const c of this.connections) c.destroy();
    await Promise.all(all.map((c) => c.closedPromise));
    await closed;
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.maxConnections) {
      this.logger.warn('iscsi: too many connections, refusing one', { remote: socket.remoteAddress, limit: this.maxConnections });
      socket.destroy();
      return;
    }
    const connection = new IscsiConnection(socket, this.ctx);
    this.connections.add(connection);
    void connection.closedPromise.then(() => this.connections.delete(connection));
  }

  /** A LUN or target reset: every session of the target loses its tasks; a cold reset ends them. */
  private async reset(target: IscsiTarget, kind: ResetKind, by: IscsiSession): Promise<void> {
    const affected = this.sessions.forTarget(target.name);
    this.logger.info('iscsi: reset', { target: target.name, kind, by: by.initiatorName, sessions: affected.length });
    await Promise.all(affected.filter((s) => s !== by).map((s) => s.abortAll()));
    target.lun0.reset(kind, by.nexus!);
    if (kind === 'target-cold-reset') await Promise.all(affected.map((s) => s.terminate('target cold reset')));
  }
}
