import { ErrorCode, TidegateError } from '../errors/index.js';
import type { LogEntry } from './log-entry.js';
import { levelRank, type LogLevel } from './log-level.js';

/** A ring entry: a log entry plus its position in the ring's history (1, 2, 3, …). */
export interface RingEntry extends LogEntry {
  /** Increases by one per pushed entry, never reused; lets a poller resume losslessly. */
  readonly seq: number;
}

/** Filters for `LogRing.query`; all optional and combined with AND. */
export interface LogRingQuery {
  /** Minimum level (e.g. 'warn' returns warn and error). */
  level?: LogLevel;
  /** Only entries with `ts >= since` (milliseconds since the epoch). */
  since?: number;
  /** Only entries with `seq > afterSeq` (for polling without duplicates). */
  afterSeq?: number;
  /** At most this many entries: the newest ones that match. */
  limit?: number;
}

/** Something a logger can tee entries into. */
export interface LogEntrySink {
  push(entry: LogEntry): void;
}

/**
 * A bounded in-memory ring of recent log entries for diagnostics. When full, the oldest
 * entry is overwritten. Queries return entries oldest-first.
 */
export class LogRing implements LogEntrySink {
  readonly capacity: number;
  readonly #slots: (RingEntry | undefined)[];
  /** Index of the next slot to write. */
  #head = 0;
  #size = 0;
  #nextSeq = 1;
  #dropped = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new TidegateError(ErrorCode.InvalidArgument, `log ring capacity must be a positive integer (got ${String(capacity)})`);
    }
    this.capacity = capacity;
    this.#slots = new Array<RingEntry | undefined>(capacity).fill(undefined);
  }

  /** Entries currently held. */
  get size(): number {
    return this.#size;
  }

  /** Entries overwritten because the ring was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The seq the next entry will get; `lastSeq = nextSeq - 1`. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  push(entry: LogEntry): void {
    const stored: RingEntry = Object.freeze({ ts: entry.ts, level: entry.level, msg: entry.msg, fields: entry.fields, seq: this.#nextSeq++ });
    this.#slots[this.#head] = stored;
    this.#head = (this.#head + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
    else this.#dropped++;
  }

  /** Matching entries, oldest first; with `limit`, the newest `limit` of them. */
  query(q: LogRingQuery = {}): RingEntry[] {
    const minRank = q.level === undefined ? -Infinity : levelRank(q.level);
    const since = q.since ?? -Infinity;
    const afterSeq = q.afterSeq ?? 0;
    const limit = q.limit ?? Infinity;
    if (!(limit >= 0)) {
      throw new TidegateError(ErrorCode.InvalidArgument, `log query limit must be >= 0 (got ${String(q.limit)})`);
    }
    const out: RingEntry[] = [];
    // Walk newest to oldest so `limit` keeps the newest, then reverse.
    for (let i = 0; i < this.#size && out.length < limit; i++) {
      const idx = (this.#head - 1 - i + this.capacity) % this.capacity;
      const e = this.#slots[idx]!;
      if (e.seq <= afterSeq) break; // older entries have smaller seq
      if (e.ts >= since && levelRank(e.level) >= minRank) out.push(e);
    }
    return out.reverse();
  }

  /** Forget every entry (seq numbers keep increasing). */
  clear(): void {
    this.#slots.fill(undefined);
    this.#head = 0;
    this.#size = 0;
  }
}
