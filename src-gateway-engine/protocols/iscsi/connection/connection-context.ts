import type { PollHooks } from '../../common/busy-poll.js';
import type { Logger } from '../../nbd/logger.js';
import type { WriteBufferPool } from '../../common/write-buffer-pool.js';
import type { LoginNegotiator } from '../login/index.js';
import type { IscsiSession } from '../session/iscsi-session.js';
import type { SessionRegistry } from '../session/session-registry.js';
import type { ResetKind } from '../scsi/scsi-contract.js';
import type { IscsiTarget, TargetResolver } from '../target-resolver.js';

/** Limits that bound what one connection may make the target hold. */
export interface ConnectionLimits {
  /** Commands one session may have outstanding (the CmdSN window). */
  queueDepth: number;
  /** Largest write data one command may carry (EDTL of the write direction). */
  maxDataOutBytes: number;
  /** Solicited write data all commands of one connection may have buffered at once. */
  maxDataOutInFlight: number;
  /** Idle time before we ping the initiator with a NOP-In, and how long it has to answer. */
  nopIntervalMs: number;
  nopTimeoutMs: number;
  /** Time allowed for the whole login phase. */
  loginTimeoutMs: number;
}

/** Events an administrator watches for (refused logins can be an attack or a wrong secret). */
export interface IscsiCounters {
  loginFailures: number;
  protocolErrors: number;
}

/** What a connection needs from the server it belongs to. */
export interface ConnectionContext {
  readonly counters: IscsiCounters;
  readonly targets: TargetResolver;
  readonly sessions: SessionRegistry;
  readonly portalGroupTag: number;
  readonly relativeTargetPortId: number;
  readonly limits: ConnectionLimits;
  readonly logger: Logger;
  /** Buffers for the Data-Out of WRITE commands, shared by every connection of the server. */
  readonly writeBuffers: WriteBufferPool;
  /** Told when bytes arrive and replies leave (the process's busy poller). */
  readonly poll: PollHooks;
  /** A login negotiator for one new connection. */
  newNegotiator(): LoginNegotiator;
  /** Portals to report in SendTargets, as `address:port,tpgt`. */
  portals(localAddress: string, localPort: number): string[];
  /**
   * A LUN or target reset from `session`: abort every task of the affected sessions (all
   * sessions of the target), tell the logical unit, and for a cold reset drop their connections.
   */
  reset(target: IscsiTarget, kind: ResetKind, by: IscsiSession): Promise<void>;
  /** Abort every task of these I_T nexuses of the target (PREEMPT AND ABORT), other than `by`'s session. */
  abortNexusTasks(target: IscsiTarget, nexusIds: ReadonlySet<string>, by: IscsiSession): Promise<void>;
}
