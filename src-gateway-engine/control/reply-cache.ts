/**
 * The replies of the last requests the control plane sent, by request id (docs/control-plane.md
 * § The management connection): the control plane retries a request after a reconnect or from
 * another server, and the retry must get the first answer without running the command twice.
 * An entry is the reply's promise, stored before the command runs, so a duplicate that
 * arrives while the first is still running waits for it. Bounded by count and by age.
 */

/** Replies remembered (the spec's last 1,000 request ids). */
export const REPLY_CACHE_CAPACITY = 1_000;
/** How long a reply is remembered (the spec's 10 minutes). */
export const REPLY_CACHE_TTL_MS = 10 * 60_000;

/** A bounded, expiring map of request id → reply promise, oldest first. */
export class ReplyCache<T> {
  private readonly entries = new Map<string, { reply: Promise<T>; at: number }>();

  constructor(
    private readonly capacity = REPLY_CACHE_CAPACITY,
    private readonly ttlMs = REPLY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Entries held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The remembered reply of `id`, if it is young enough. */
  get(id: string): Promise<T> | undefined {
    const e = this.entries.get(id);
    if (e === undefined) return undefined;
    if (this.now() - e.at >= this.ttlMs) {
      this.entries.delete(id);
      return undefined;
    }
    return e.reply;
  }

  /** Remembers `reply` for `id`, evicting expired entries and then the oldest beyond capacity. */
  set(id: string, reply: Promise<T>): void {
    this.entries.delete(id);
    this.entries.set(id, { reply, at: this.now() });
    const now = this.now();
    // Insertion order is age order, so expired entries are at the front.
    for (const [k, e] of this.entries) {
      if (now - e.at < this.ttlMs) break;
      this.entries.delete(k);
    }
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
