import { ErrorCode, TidegateError } from '../errors/index.js';

/** Log severities, least to most severe. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Every level, least to most severe. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(['debug', 'info', 'warn', 'error']);

const RANK: Readonly<Record<LogLevel, number>> = Object.freeze({ debug: 10, info: 20, warn: 30, error: 40 });

/** Numeric rank of a level (debug 10 … error 40), for comparisons. */
export function levelRank(level: LogLevel): number {
  return RANK[level];
}

/** True when `value` names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(RANK, value);
}

/** Checks a level name; throws INVALID_ARGUMENT naming the bad text. */
export function parseLogLevel(value: unknown): LogLevel {
  if (isLogLevel(value)) return value;
  throw new TidegateError(
    ErrorCode.InvalidArgument,
    `invalid log level ${JSON.stringify(value)}: expected one of ${LOG_LEVELS.join(', ')}`,
  );
}
