/**
 * One mapping from anything a route throws to the spec's error body `{error:{code, message}}`:
 * ControlError as it is; Fastify's schema-validation and body errors as INVALID_ARGUMENT;
 * unknown routes as NOT_FOUND; everything else as INTERNAL (logged, message not leaked).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { ControlError } from '../errors/control-error.js';
import type { ControlPlaneLogger } from '../log/control-plane-logger.js';

/** Install the error and not-found handlers. */
export function installErrorHandling(app: FastifyInstance, logger: ControlPlaneLogger): void {
  app.setErrorHandler((err: unknown, request, reply) => {
    const error = toControlError(err);
    if (error.code === 'INTERNAL') logger.error('request failed', { method: request.method, url: request.url, err });
    if (error.retryAfterSeconds !== null) void reply.header('retry-after', String(error.retryAfterSeconds));
    return reply.code(error.httpStatus).send(error.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ControlError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.code(error.httpStatus).send(error.toBody());
  });
}

/** The ControlError an exception answers as. */
export function toControlError(err: unknown): ControlError {
  if (err instanceof ControlError) return err;
  const fe = err as Partial<FastifyError> | null;
  if (fe && typeof fe === 'object' && Array.isArray(fe.validation)) {
    return new ControlError('INVALID_ARGUMENT', `invalid ${fe.validationContext ?? 'request'}: ${validationMessage(fe)}`);
  }
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ControlError('INVALID_ARGUMENT', fe.message ?? 'bad request');
  }
  return new ControlError('INTERNAL', 'internal error', { cause: err });
}

function validationMessage(err: Partial<FastifyError>): string {
  const first = err.validation?.[0];
  if (!first) return err.message ?? 'does not match the schema';
  const where = first.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : '';
  const extra = first.keyword === 'additionalProperties' ? ` (${String((first.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
  return `${where ? `${where} ` : ''}${first.message ?? 'is invalid'}${extra}`;
}
