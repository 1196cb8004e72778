/**
 * Structured logging for the control plane: one JSON object per line on stderr,
 *
 *   {"ts":"2026-01-02T03:04:05.678Z","level":"info","msg":"gateway connected","gatewayId":"gw-…"}
 *
 * `ts`, `level` and `msg` come first, then child bindings, then the call's fields. Errors in
 * fields are written as `{name, message, code}`. Logging never throws. (The control plane
 * cannot import the engine's logger; this is the small equivalent.)
 */

/** Log levels, least severe first. */
export type ControlPlaneLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Free-form structured fields of one line. */
export type ControlPlaneLogFields = Record<string, unknown>;

/** The logging interface every control-plane component takes. */
export interface ControlPlaneLogger {
  debug(msg: string, fields?: ControlPlaneLogFields): void;
  info(msg: string, fields?: ControlPlaneLogFields): void;
  warn(msg: string, fields?: ControlPlaneLogFields): void;
  error(msg: string, fields?: ControlPlaneLogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: ControlPlaneLogFields): ControlPlaneLogger;
}

/** Options of `createControlPlaneLogger`. */
export interface ControlPlaneLoggerOptions {
  /** Minimum level written (default 'info'). */
  level?: ControlPlaneLogLevel;
  /** Where lines go (default process.stderr). */
  sink?: { write(line: string): unknown };
  /** Clock, ms since the epoch (default Date.now). */
  now?: () => number;
}

/** The levels in order, for validation and flags. */
export const CONTROL_PLANE_LOG_LEVELS: readonly ControlPlaneLogLevel[] = ['debug', 'info', 'warn', 'error'];

const RESERVED = new Set(['ts', 'level', 'msg']);

/** Creates a JSON-lines logger. */
export function createControlPlaneLogger(options: ControlPlaneLoggerOptions = {}): ControlPlaneLogger {
  const minRank = CONTROL_PLANE_LOG_LEVELS.indexOf(options.level ?? 'info');
  const sink = options.sink ?? process.stderr;
  const now = options.now ?? Date.now;
  const make = (bindings: ControlPlaneLogFields): ControlPlaneLogger => {
    const write = (level: ControlPlaneLogLevel, msg: string, fields?: ControlPlaneLogFields): void => {
      if (CONTROL_PLANE_LOG_LEVELS.indexOf(level) < minRank) return;
      try {
        const line: Record<string, unknown> = { ts: new Date(now()).toISOString(), level, msg };
        for (const [k, v] of Object.entries({ ...bindings, ...fields })) {
          if (v !== undefined) line[RESERVED.has(k) ? `field.${k}` : k] = v instanceof Error ? serializeError(v) : v;
        }
        sink.write(`${JSON.stringify(line, jsonSafe)}\n`);
      } catch {
        // Logging never throws (a cyclic field, a closed sink).
      }
    };
    return {
      debug: (msg, fields) => write('debug', msg, fields),
      info: (msg, fields) => write('info', msg, fields),
      warn: (msg, fields) => write('warn', msg, fields),
      error: (msg, fields) => write('error', msg, fields),
      child: (fields) => make({ ...bindings, ...fields }),
    };
  };
  return make({});
}

/** A logger that drops everything (tests, library use). */
export const silentControlPlaneLogger: ControlPlaneLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentControlPlaneLogger,
};

function serializeError(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(code === undefined ? {} : { code }) };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}
