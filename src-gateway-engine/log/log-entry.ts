import type { LogLevel } from './log-level.js';

/** One log record, as kept in the ring and written (as JSON) to the sink. */
export interface LogEntry {
  /** Milliseconds since the Unix epoch. */
  readonly ts: number;
  readonly level: LogLevel;
  readonly msg: string;
  /** JSON-safe fields: Errors already serialized, cycles cut, Buffers summarized. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A serialized Error as it appears in log fields. */
export interface SerializedError {
  name: string;
  message: string;
  code?: unknown;
  stack?: string;
  cause?: unknown;
  [key: string]: unknown;
}

const MAX_DEPTH = 8;

/**
 * Turns arbitrary field values into JSON-safe data: Errors become
 * `{ name, message, code, stack, cause }`, bigints become strings, Buffers and typed
 * arrays become `"<Buffer 4096 bytes>"`, functions and symbols become descriptions,
 * cycles become `"[Circular]"`, and nesting deeper than 8 becomes `"[Object]"`.
 */
export function toJsonSafe(value: unknown): unknown {
  return walk(value, new WeakSet<object>(), 0);
}

/** `toJsonSafe` for a whole field record (always returns a fresh object). */
export function toJsonSafeFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const seen = new WeakSet<object>();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(fields)) {
    const v = walk(fields[key], seen, 1);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

function walk(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON has no NaN/Infinity; keep them readable rather than turning into null.
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
      return undefined;
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    default:
      break;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[Object]';
  if (obj instanceof Error) {
    seen.add(obj);
    const out = serializeError(obj, seen, depth);
    seen.delete(obj);
    return out;
  }
  if (ArrayBuffer.isView(obj)) {
    const name = Buffer.isBuffer(obj) ? 'Buffer' : obj.constructor.name;
    return `<${name} ${obj.byteLength} bytes>`;
  }
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return obj.map((v) => walk(v, seen, depth + 1) ?? null);
    if (obj instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of obj) out[String(k)] = walk(v, seen, depth + 1);
      return out;
    }
    if (obj instanceof Set) return [...obj].map((v) => walk(v, seen, depth + 1) ?? null);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(obj)) {
      const v = walk((obj as Record<string, unknown>)[key], seen, depth + 1);
      if (v !== undefined) out[key] = v;
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}

function serializeError(err: Error, seen: WeakSet<object>, depth: number): SerializedError {
  const out: SerializedError = { name: err.name, message: err.message };
  const extra = err as Error & Record<string, unknown>;
  if (extra.code !== undefined) out.code = walk(extra.code, seen, depth + 1);
  // Own enumerable extras (errno, syscall, path, transient, …).
  for (const key of Object.keys(err)) {
    if (key === 'name' || key === 'message' || key === 'stack' || key === 'cause' || key === 'code') continue;
    const v = walk(extra[key], seen, depth + 1);
    if (v !== undefined) out[key] = v;
  }
  if (typeof err.stack === 'string') out.stack = err.stack;
  if (err.cause !== undefined) out.cause = walk(err.cause, seen, depth + 1);
  return out;
}
