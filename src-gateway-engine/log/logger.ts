/**
 * Structured logging: one JSON object per line,
 *
 *   {"ts":"2025-01-02T03:04:05.678Z","level":"info","msg":"volume opened","volume":"vol1"}
 *
 * `ts`, `level` and `msg` come first; then the child bindings, then the call's fields
 * (later ones win). A field named like a reserved key is written as `field.<name>` so it
 * can never hide the real one. Errors anywhere in the fields are written as
 * `{ name, message, code, stack, cause }`. Logging never throws: a failing sink is ignored.
 */
import type { LogEntry } from './log-entry.js';
import { toJsonSafeFields } from './log-entry.js';
import { levelRank, parseLogLevel, type LogLevel } from './log-level.js';
import type { LogEntrySink } from './log-ring.js';

/** Free-form structured fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** The logging interface every engine component takes. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ volume: 'vol1' }`). */
  child(fields: LogFields): Logger;
}

/** Where JSON lines go; `process.stderr` and any Writable fit. Each call gets one line ending in "\n". */
export interface LogSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** Minimum level written to the sink (default 'info'). */
  level?: LogLevel;
  /** Destination of JSON lines (default `process.stderr`). */
  sink?: LogSink;
  /** Also keep entries here (e.g. a LogRing for diagnostics). */
  ring?: LogEntrySink;
  /** Minimum level teed into `ring` (default: same as `level`). */
  ringLevel?: LogLevel;
  /** Clock in ms since the epoch (default `Date.now`); for tests. */
  now?: () => number;
}

const RESERVED = new Set(['ts', 'level', 'msg']);

interface LoggerCore {
  readonly sinkRank: number;
  readonly ringRank: number;
  readonly minRank: number;
  readonly sink: LogSink;
  readonly ring: LogEntrySink | undefined;
  readonly now: () => number;
}

/** Creates a JSON-lines logger. Throws INVALID_ARGUMENT for an unknown level. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = parseLogLevel(options.level ?? 'info');
  const ringLevel = parseLogLevel(options.ringLevel ?? level);
  const sinkRank = levelRank(level);
  const ringRank = options.ring === undefined ? Infinity : levelRank(ringLevel);
  const core: LoggerCore = {
    sinkRank,
    ringRank,
    minRank: Math.min(sinkRank, ringRank),
    sink: options.sink ?? process.stderr,
    ring: options.ring,
    now: options.now ?? Date.now,
  };
  return new JsonLogger(core, undefined);
}

class JsonLogger implements Logger {
  readonly #core: LoggerCore;
  readonly #bindings: LogFields | undefined;

  constructor(core: LoggerCore, bindings: LogFields | undefined) {
    this.#core = core;
    this.#bindings = bindings;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#log('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.#log('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.#log('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.#log('error', msg, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.#core, { ...this.#bindings, ...fields });
  }

  #log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    const core = this.#core;
    const rank = levelRank(level);
    if (rank < core.minRank) return;
    try {
      const merged = fields === undefined ? (this.#bindings ?? {}) : { ...this.#bindings, ...fields };
      const safe = toJsonSafeFields(merged);
      const entry: LogEntry = { ts: core.now(), level, msg: String(msg), fields: safe };
      if (rank >= core.ringRank) core.ring!.push(entry);
      if (rank >= core.sinkRank) core.sink.write(formatLogLine(entry));
    } catch {
      // Logging must never take the engine down (EPIPE on stderr, a throwing getter…).
    }
  }
}

/** The JSON line (with trailing "\n") for an entry. */
export function formatLogLine(entry: LogEntry): string {
  const out: Record<string, unknown> = { ts: new Date(entry.ts).toISOString(), level: entry.level, msg: entry.msg };
  for (const key of Object.keys(entry.fields)) {
    out[RESERVED.has(key) ? `field.${key}` : key] = entry.fields[key];
  }
  return JSON.stringify(out) + '\n';
}
