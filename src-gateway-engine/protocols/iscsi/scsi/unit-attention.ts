import { Ascs, SenseKey, type Asc, type Sense } from './sense.js';
import { Op } from './opcodes.js';

/**
 * Per-I_T-nexus unit attention queues (SAM-5 5.14, SPC-4 5.12 for the reservation ones).
 *
 * Queues are keyed by the nexus id and outlive the nexus: a UA raised for a registrant that
 * is logged out (REGISTRATIONS PREEMPTED) or for a nexus that was lost (I_T NEXUS LOSS)
 * is reported when that initiator port logs in again with the same ISID. A bounded number
 * of absent nexuses is remembered, oldest forgotten first.
 *
 * Reporting: every command except INQUIRY, REPORT LUNS and REQUEST SENSE reports the oldest
 * pending UA as CHECK CONDITION / UNIT ATTENTION and clears it (UA_INTLCK_CTRL = 00b);
 * REQUEST SENSE returns it as its sense data and clears it; INQUIRY and REPORT LUNS run
 * normally, REPORT LUNS clearing only REPORTED LUNS DATA HAS CHANGED. A POWER ON / RESET
 * class UA (ASC 29h) replaces every other pending UA of its nexus, as the reset it reports
 * cleared the state the others were about.
 */

/** Pending UAs per nexus we keep at most; beyond that the oldest non-reset one is dropped. */
const MAX_PER_NEXUS = 16;
/** Absent nexuses whose queues we remember. */
const MAX_REMEMBERED = 1024;

export class UnitAttentions {
  private readonly queues = new Map<string, Asc[]>();
  private readonly present = new Set<string>();

  /** Nexuses currently logged in. */
  get connected(): ReadonlySet<string> {
    return this.present;
  }

  /**
   * A nexus logged in. No POWER ON / I_T NEXUS LOSS attention is raised for a login: the
   * initiator knows it just logged in, and single-command tools (iscsi-ls, iscsi-inq) would
   * otherwise fail their first command. What happened while it was away (a preempted
   * registration, a reset) is still queued and reported.
   */
  added(nexusId: string): void {
    this.present.add(nexusId);
  }

  /** A nexus ended; its queue is kept for a while so it hears what happens while it is away. */
  lost(nexusId: string): void {
    this.present.delete(nexusId);
    this.forgetOldAbsent();
  }

  /** Queue `ua` for one nexus. */
  establish(nexusId: string, ua: Asc): void {
    let queue = this.queues.get(nexusId);
    if (queue === undefined) {
      queue = [];
      this.queues.set(nexusId, queue);
    }
    if (ua.asc === 0x29) {
      queue.length = 0;
      queue.push(ua);
      return;
    }
    if (queue.some((q) => q.asc === ua.asc && q.ascq === ua.ascq)) return;
    if (queue.length >= MAX_PER_NEXUS) {
      const drop = queue.findIndex((q) => q.asc !== 0x29);
      queue.splice(drop < 0 ? 0 : drop, 1);
    }
    queue.push(ua);
  }

  /** Queue `ua` for every connected nexus except `except`. */
  establishAll(ua: Asc, except?: string): void {
    for (const id of this.present) if (id !== except) this.establish(id, ua);
  }

  /** The oldest pending UA of a nexus, removed from its queue. */
  take(nexusId: string): Asc | undefined {
    const queue = this.queues.get(nexusId);
    return queue?.shift();
  }

  /** True when the nexus has a UA pending. */
  pending(nexusId: string): boolean {
    return (this.queues.get(nexusId)?.length ?? 0) > 0;
  }

  /** Drop pending UAs of a nexus that match `ua` (REPORT LUNS clears REPORTED LUNS DATA HAS CHANGED). */
  clear(nexusId: string, ua: Asc): void {
    const queue = this.queues.get(nexusId);
    if (queue === undefined) return;
    const kept = queue.filter((q) => q.asc !== ua.asc || q.ascq !== ua.ascq);
    queue.length = 0;
    queue.push(...kept);
  }

  /**
   * The UA a command must be failed with, taken from the queue; undefined when the command
   * runs (nothing pending, or a command the SAM-5 rules exempt).
   */
  takeFor(nexusId: string, opcode: number): Sense | undefined {
    if (opcode === Op.Inquiry || opcode === Op.RequestSense) return undefined;
    if (opcode === Op.ReportLuns) {
      this.clear(nexusId, Ascs.ReportedLunsDataChanged);
      return undefined;
    }
    const ua = this.take(nexusId);
    return ua === undefined ? undefined : { key: SenseKey.UnitAttention, asc: ua.asc, ascq: ua.ascq };
  }

  private forgetOldAbsent(): void {
    if (this.queues.size <= MAX_REMEMBERED + this.present.size) return;
    for (const id of this.queues.keys()) {
      if (this.queues.size <= MAX_REMEMBERED + this.present.size) break;
      if (!this.present.has(id)) this.queues.delete(id);
    }
  }
}
