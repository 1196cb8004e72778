import type { Logger } from './logger.js';

function noop(): void {}

/** A logger that discards everything; `child()` returns itself. For tests and defaults. */
export const nullLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child(): Logger {
    return nullLogger;
  },
});
