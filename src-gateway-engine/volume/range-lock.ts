/**
 * Serializes overlapping block ranges (read-modify-write of partial blocks must not lose a
 * concurrent write to the same block). Non-overlapping ranges proceed in parallel. Waiters
 * are served in arrival order per overlap, so nobody starves.
 */
interface Held {
  first: number;
  last: number;
  done: Promise<void>;
}

export class RangeLock {
  private held: Held[] = [];

  /** Lock blocks first..last (inclusive); resolves to the release function. */
  async acquire(first: number, last: number): Promise<() => void> {
    const conflicts = this.held.filter((h) => h.first <= last && first <= h.last).map((h) => h.done);
    let release!: () => void;
    const entry: Held = { first, last, done: new Promise<void>((r) => (release = r)) };
    this.held.push(entry);
    if (conflicts.length > 0) await Promise.all(conflicts);
    return () => {
      this.held = this.held.filter((h) => h !== entry);
      release();
    };
  }
}
