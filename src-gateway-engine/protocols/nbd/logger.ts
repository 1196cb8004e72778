import { nullLogger, type Logger as EngineLogger, type LogFields } from '../../log/index.js';

export type { LogFields };

/** The part of the engine's logger the NBD server uses. */
export type Logger = Pick<EngineLogger, 'debug' | 'info' | 'warn' | 'error'>;

/** A logger that drops everything. */
export const silentLogger: Logger = nullLogger;
