export { createLogger, formatLogLine, type Logger, type LoggerOptions, type LogFields, type LogSink } from './logger.js';
export { LogRing, type LogEntrySink, type LogRingQuery, type RingEntry } from './log-ring.js';
export { nullLogger } from './null-logger.js';
export { toJsonSafe, toJsonSafeFields, type LogEntry, type SerializedError } from './log-entry.js';
export { LOG_LEVELS, isLogLevel, levelRank, parseLogLevel, type LogLevel } from './log-level.js';
export { teeLogger } from './tee-logger.js';
