/** Metric history for the dashboard's charts, and the engine's recent log for Logs & diagnostics. */
import type { LogLine } from '../../../src-gateway-engine/index.js';
import type { ConsoleDeps, RegisterHandler } from './console-deps.js';
import { invalid, optionalNumber, optionalString, requestObject, requiredNumber } from './request-checks.js';

/** The engine keeps the last hour at 1 s, and 14 days at 1 min. */
const SECOND_RESOLUTION_MAX_S = 3_600;
const HISTORY_MAX_S = 14 * 86_400;
const LOG_LEVELS: ReadonlySet<string> = new Set(['debug', 'info', 'warn', 'error']);
const DEFAULT_LOG_LIMIT = 500;
const MAX_LOG_LIMIT = 1_000; // the engine keeps its last 1,000 lines

export function registerMetricsHandlers(register: RegisterHandler, deps: ConsoleDeps): void {
  register('metrics.history', async (req) => {
    const rangeSeconds = requiredNumber(requestObject(req, 'metrics.history'), 'rangeSeconds', 1, HISTORY_MAX_S);
    const resolution = rangeSeconds <= SECOND_RESOLUTION_MAX_S ? 'second' : 'minute';
    return deps.engine('metrics.history', { resolution, fromMs: Date.now() - rangeSeconds * 1000 });
  });

  register('logs.recent', async (req) => {
    const o = requestObject(req, 'logs.recent');
    const level = optionalString(o, 'level', 8);
    if (level !== undefined && !LOG_LEVELS.has(level)) throw invalid('level must be debug, info, warn or error');
    const limit = optionalNumber(o, 'limit', 1, MAX_LOG_LIMIT) ?? DEFAULT_LOG_LIMIT;
    const afterSeq = optionalNumber(o, 'afterSeq', 0, Number.MAX_SAFE_INTEGER);
    const search = optionalString(o, 'search', 256)?.toLowerCase();
    const lines = await deps.engine('logs.recent', {
      ...(level !== undefined ? { level: level as LogLine['level'] } : {}),
      // A text filter looks through as much as the engine keeps, then returns the newest matches.
      limit: search === undefined ? limit : MAX_LOG_LIMIT,
      ...(afterSeq !== undefined ? { afterSeq } : {}),
    });
    if (search === undefined) return lines;
    return lines.filter((l) => l.msg.toLowerCase().includes(search) || JSON.stringify(l.fields).toLowerCase().includes(search)).slice(-limit);
  });
}
