/**
 * Serializes overlapping block ranges (read-modify-write of partial blocks must not lose a
 * concurrent write to the same block). Non-overlapping ranges proceed in parallel. Waiters
 * are served in arrival order per overlap, so nobody starves (a holder or waiter is in
 * `held` from the moment it asks, so a later request always waits for it).
 */
interface Held {
  first: number;
  last: number;
  /** Resolves at release; made only when someone has to wait for this range. */
  done: Promise<void> | undefined;
  release: (() => void) | undefined;
  released: boolean;
}

export class RangeLock {
  private held: Held[] = [];

  /** Lock blocks first..last (inclusive) at once if nothing overlapping is held or waiting; else undefined. */
  tryAcquire(first: number, last: number): (() => void) | undefined {
    const held = this.held;
    for (let i = 0; i < held.length; i++) if (held[i]!.first <= last && first <= held[i]!.last) return undefined;
    const entry: Held = { first, last, done: undefined, release: undefined, released: false };
    held.push(entry);
    return () => this.release(entry);
  }

  /** Lock blocks first..last (inclusive); resolves to the release function. */
  async acquire(first: number, last: number): Promise<() => void> {
    const conflicts: Promise<void>[] = [];
    for (const h of this.held) if (h.first <= last && first <= h.last) conflicts.push(doneOf(h));
    const entry: Held = { first, last, done: undefined, release: undefined, released: false };
    this.held.push(entry);
    if (conflicts.length > 0) await Promise.all(conflicts);
    return () => this.release(entry);
  }

  private release(entry: Held): void {
    if (entry.released) return;
    entry.released = true;
    const i = this.held.indexOf(entry);
    if (i >= 0) this.held.splice(i, 1);
    entry.release?.();
  }
}

function doneOf(h: Held): Promise<void> {
  h.done ??= new Promise<void>((resolve) => (h.release = resolve));
  return h.done;
}
