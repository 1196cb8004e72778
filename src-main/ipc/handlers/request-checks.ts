/**
 * Shape checks for requests arriving from a console window or browser: they are typed by the
 * contract, but the process behind them is not trusted to respect it. A wrong shape is an
 * INVALID_ARGUMENT with the field named; unknown fields are dropped by the handlers.
 */
import { ConsoleError } from '../console-error.js';

/** The request as a plain object (or a clear error). */
export function requestObject(req: unknown, channel: string): Record<string, unknown> {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw invalid(`${channel} needs a request object`);
  return req as Record<string, unknown>;
}

export function requiredString(o: Record<string, unknown>, field: string, maxLength = 1024): string {
  const v = o[field];
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${field} is required`);
  if (v.length > maxLength) throw invalid(`${field} is longer than ${maxLength} characters`);
  return v;
}

export function optionalString(o: Record<string, unknown>, field: string, maxLength = 1024): string | undefined {
  const v = o[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be text`);
  if (v.length > maxLength) throw invalid(`${field} is longer than ${maxLength} characters`);
  return v;
}

export function optionalNumber(o: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw invalid(`${field} must be a number from ${min} to ${max}`);
  return v;
}

export function requiredNumber(o: Record<string, unknown>, field: string, min: number, max: number): number {
  const v = optionalNumber(o, field, min, max);
  if (v === undefined) throw invalid(`${field} is required`);
  return v;
}

export function optionalBoolean(o: Record<string, unknown>, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw invalid(`${field} must be true or false`);
  return v;
}

/** An INVALID_ARGUMENT refusal. */
export function invalid(message: string): ConsoleError {
  return new ConsoleError('INVALID_ARGUMENT', message);
}
