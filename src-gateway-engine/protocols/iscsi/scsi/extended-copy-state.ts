import type { CommandContext } from './command-spec.js';

/**
 * What RECEIVE COPY RESULTS (COPY STATUS) reports about EXTENDED COPY commands, per logical
 * unit and I_T nexus, keyed by LIST IDENTIFIER (SPC-4 6.18.3):
 *
 *   - a command with LIST ID USAGE 00b (hold) is visible while it runs (status "in
 *     progress"), and a second one with the same list identifier from the same nexus is
 *     refused with OPERATION IN PROGRESS;
 *   - after it ends, its status is kept until COPY STATUS has returned it once, a new
 *     command reuses its list identifier, or the nexus logs in again / goes away (held
 *     data does not survive the I_T nexus);
 *   - 10b (discard) and 11b (no list identifier) commands are not tracked at all, so
 *     initiators that reuse one list identifier for parallel 10b copies (QEMU) work.
 *
 * Held entries are few and small; their number is bounded all the same.
 */

export const CopyManagerStatus = { InProgress: 0x00, Completed: 0x01, CompletedWithErrors: 0x02 } as const;

export interface CopyStatus {
  status: number;
  segmentsProcessed: number;
  /** Bytes written to destinations so far. */
  bytesTransferred: number;
}

const MAX_HELD = 1024;

export class CopyResults {
  private readonly running = new Map<string, CopyStatus>();
  private readonly held = new Map<string, CopyStatus>();

  private static key(nexusId: string, listId: number): string {
    return `${listId}\u0000${nexusId}`;
  }

  /** Register a running copy; undefined when the nexus already runs one with this list identifier. */
  start(nexusId: string, listId: number): CopyStatus | undefined {
    const key = CopyResults.key(nexusId, listId);
    if (this.running.has(key)) return undefined;
    this.held.delete(key);
    const status: CopyStatus = { status: CopyManagerStatus.InProgress, segmentsProcessed: 0, bytesTransferred: 0 };
    this.running.set(key, status);
    return status;
  }

  /** The copy ended; hold its status for COPY STATUS. */
  finish(nexusId: string, listId: number, ok: boolean): void {
    const key = CopyResults.key(nexusId, listId);
    const status = this.running.get(key);
    this.running.delete(key);
    if (status === undefined) return;
    status.status = ok ? CopyManagerStatus.Completed : CopyManagerStatus.CompletedWithErrors;
    this.held.set(key, status);
    while (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value!);
  }

  /** The status COPY STATUS reports (a held one is then discarded); undefined when there is none. */
  take(nexusId: string, listId: number): CopyStatus | undefined {
    const key = CopyResults.key(nexusId, listId);
    const running = this.running.get(key);
    if (running !== undefined) return { ...running };
    const held = this.held.get(key);
    if (held !== undefined) this.held.delete(key);
    return held;
  }

  /** Drop what is held for a nexus (new login or nexus loss). */
  forget(nexusId: string): void {
    for (const key of [...this.held.keys()]) if (key.endsWith(`\u0000${nexusId}`)) this.held.delete(key);
  }
}

const perLu = new WeakMap<CommandContext, CopyResults>();

/** The copy results of the LU `ctx` belongs to. */
export function copyResultsOf(ctx: CommandContext): CopyResults {
  let results = perLu.get(ctx);
  if (results === undefined) perLu.set(ctx, (results = new CopyResults()));
  return results;
}

/** Discard held copy results of `nexusId` (call on login and on nexus loss). */
export function forgetCopyResults(ctx: CommandContext, nexusId: string): void {
  perLu.get(ctx)?.forget(nexusId);
}
