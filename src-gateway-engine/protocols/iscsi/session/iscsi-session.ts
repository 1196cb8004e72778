import type { ItNexus } from '../scsi/scsi-contract.js';
import { snAdd, snInWindow } from '../serial-number.js';
import type { IscsiTarget } from '../target-resolver.js';
import type { SessionParams } from './session-params.js';

/**
 * One iSCSI session (one I_T nexus). MaxConnections is 1, so the session has exactly one
 * connection at a time; the session outlives it only long enough to be reinstated or closed.
 *
 * Command numbering (§4.2.2.1): non-immediate commands are delivered in CmdSN order from
 * ExpCmdSN; those ahead of a gap wait in `held`; anything outside [ExpCmdSN, MaxCmdSN]
 * is dropped silently as the RFC requires. The window shrinks as commands stay active,
 * which bounds how much one initiator can make the target hold.
 */
export class IscsiSession {
  expCmdSN: number;
  private readonly held = new Map<number, () => void>();
  /** Commands delivered and not yet answered. */
  activeCommands = 0;
  closed = false;
  /** Ends the session's connection and resolves once its commands have finished (set by the connection). */
  terminate: (reason: string) => Promise<void> = () => Promise.resolve();
  /** Aborts every task of the session (their responses are never sent) and resolves once none runs (set by the connection). */
  abortAll: () => Promise<void> = () => Promise.resolve();
  /** The initiator's "address:port" (set at login, for status). */
  remoteAddress = 'unknown';
  /** When the login completed, ms since the epoch. */
  readonly loggedInAt = Date.now();

  constructor(
    readonly tsih: number,
    readonly isid: Buffer,
    readonly initiatorName: string,
    readonly target: IscsiTarget | undefined,
    readonly nexus: ItNexus | undefined,
    readonly params: SessionParams,
    initialCmdSN: number,
    readonly queueDepth: number,
  ) {
    this.expCmdSN = initialCmdSN >>> 0;
  }

  get isDiscovery(): boolean {
    return this.target === undefined;
  }

  get maxCmdSN(): number {
    // ExpCmdSN - 1 closes the window (§4.2.2.1) until responses free a slot.
    const free = Math.max(0, this.queueDepth - this.activeCommands);
    return snAdd(this.expCmdSN, free - 1);
  }

  /**
   * Offer a non-immediate command numbered `cmdSN`: `deliver` runs now if it is next, later
   * if it is ahead of a gap (within the window), or never if it is outside the window.
   */
  order(cmdSN: number, deliver: () => void): 'delivered' | 'held' | 'dropped' {
    if (!snInWindow(cmdSN, this.expCmdSN, this.maxCmdSN) || this.held.has(cmdSN)) return 'dropped';
    if (cmdSN === this.expCmdSN) {
      this.expCmdSN = snAdd(this.expCmdSN, 1);
      deliver();
      for (let next = this.held.get(this.expCmdSN); next !== undefined; next = this.held.get(this.expCmdSN)) {
        this.held.delete(this.expCmdSN);
        this.expCmdSN = snAdd(this.expCmdSN, 1);
        next();
      }
      return 'delivered';
    }
    this.held.set(cmdSN, deliver);
    return 'held';
  }

  /** CmdSN was received but its command not yet delivered (ABORT TASK of a command still in a gap). */
  isHeld(cmdSN: number): boolean {
    return this.held.has(cmdSN);
  }

  /** Drop a held command (aborted before delivery); its CmdSN still counts when the gap fills. */
  cancelHeld(cmdSN: number): void {
    if (this.held.has(cmdSN)) this.held.set(cmdSN, () => undefined);
  }
}
