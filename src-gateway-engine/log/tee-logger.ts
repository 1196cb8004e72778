/**
 * A logger that also keeps entries in a ring (for `logs.recent` and the status reporter's
 * error lines) and then hands every call to the logger it wraps. The engine is given its
 * logger by its caller; teeing here lets it keep recent history without the caller having
 * to build the logger with a ring.
 */
import { toJsonSafeFields } from './log-entry.js';
import { levelRank, type LogLevel } from './log-level.js';
import type { LogEntrySink } from './log-ring.js';
import type { LogFields, Logger } from './logger.js';

/** Wraps `inner`: entries at or above `level` are pushed into `ring` too (with child bindings merged in). */
export function teeLogger(inner: Logger, ring: LogEntrySink, level: LogLevel, now: () => number = Date.now): Logger {
  return new TeeLogger(inner, ring, levelRank(level), undefined, now);
}

class TeeLogger implements Logger {
  constructor(
    private readonly inner: Logger,
    private readonly ring: LogEntrySink,
    private readonly minRank: number,
    private readonly bindings: LogFields | undefined,
    private readonly now: () => number,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.keep('debug', msg, fields);
    this.inner.debug(msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.keep('info', msg, fields);
    this.inner.info(msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.keep('warn', msg, fields);
    this.inner.warn(msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.keep('error', msg, fields);
    this.inner.error(msg, fields);
  }

  child(fields: LogFields): Logger {
    return new TeeLogger(this.inner.child(fields), this.ring, this.minRank, { ...this.bindings, ...fields }, this.now);
  }

  private keep(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (levelRank(level) < this.minRank) return;
    try {
      const merged = fields === undefined ? (this.bindings ?? {}) : { ...this.bindings, ...fields };
      this.ring.push({ ts: this.now(), level, msg: String(msg), fields: toJsonSafeFields(merged) });
    } catch {
      // Logging must never take the engine down.
    }
  }
}
