/**
 * Builds the status samples the gateway pushes over its management connection
 * (`StatusSample` in control-wire.ts): the engine's status, the host's IoWaitPercent over
 * the interval since the previous sample, and the error-level log lines logged since then
 * (at most 20, the newest), each with its error code when the log fields carry one.
 */
import type { LogRing } from '../log/index.js';
import type { EngineStatus } from '../runtime/engine-commands.js';
import type { StatusSample } from './control-wire.js';
import { IoWaitMeter } from './io-wait-meter.js';

/** Error lines per sample (the spec's limit). */
export const MAX_SAMPLE_ERRORS = 20;
/** Longest error message sent; the rest is cut. */
const MAX_ERROR_MESSAGE = 500;

/** Where the reporter reads the engine's state from. */
export interface StatusReporterOptions {
  status: () => EngineStatus;
  /** The engine's recent log lines. */
  ring: Pick<LogRing, 'query'>;
  ioWait?: IoWaitMeter;
  now?: () => number;
}

/** Makes one sample per call; each call moves the interval on. */
export class StatusReporter {
  private readonly ioWait: IoWaitMeter;
  private readonly now: () => number;
  /** Error lines up to this seq were already sent. */
  private afterSeq = 0;

  constructor(private readonly options: StatusReporterOptions) {
    this.ioWait = options.ioWait ?? new IoWaitMeter();
    this.now = options.now ?? Date.now;
  }

  /** The next sample. */
  sample(): StatusSample {
    const s = this.options.status();
    const lines = this.options.ring.query({ level: 'error', afterSeq: this.afterSeq });
    if (lines.length > 0) this.afterSeq = lines[lines.length - 1]!.seq;
    return {
      at: new Date(this.now()).toISOString(),
      version: s.version,
      IoWaitPercent: this.ioWait.percent(),
      cache: s.cache,
      uploadBuffer: s.uploadBuffer,
      volumes: s.volumes.map((v) => ({
        name: v.name,
        state: v.state,
        error: v.error,
        TimeSinceLastRecoveryPoint: v.metrics.TimeSinceLastRecoveryPoint,
        QueuedWrites: v.metrics.QueuedWrites,
        UploadBufferPercentUsed: v.metrics.UploadBufferPercentUsed,
        ReadBytes: v.metrics.ReadBytes,
        WriteBytes: v.metrics.WriteBytes,
        ReadOps: v.metrics.ReadOps,
        WriteOps: v.metrics.WriteOps,
      })),
      errors: lines.slice(-MAX_SAMPLE_ERRORS).map((e) => ({
        at: new Date(e.ts).toISOString(),
        code: errorCodeOf(e.fields),
        message: errorMessageOf(e.msg, e.fields),
      })),
    };
  }
}

/**
 * The stable error code of a log line's fields: `error.code` (a logged Error or TidegateError),
 * else `err.code`, else a string `code` field; null when there is none.
 */
export function errorCodeOf(fields: Readonly<Record<string, unknown>>): string | null {
  for (const key of ['error', 'err'] as const) {
    const e = fields[key];
    if (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string') return (e as { code: string }).code;
  }
  return typeof fields.code === 'string' ? fields.code : null;
}

/** The line's message, followed by the logged error's own message when there is one. */
function errorMessageOf(msg: string, fields: Readonly<Record<string, unknown>>): string {
  const e = fields.error ?? fields.err;
  const detail = typeof e === 'string' ? e : typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : '';
  const text = detail === '' ? msg : `${msg}: ${detail}`;
  return text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE - 1)}…` : text;
}
