/**
 * JSON bodies that keep their exact bytes: signatures are over the body as sent, so the parser
 * stores the Buffer on the request before parsing it. Replaces Fastify's own parsers: a body
 * of any other type is refused (415 → INVALID_ARGUMENT).
 */
import type { FastifyInstance } from 'fastify';
import { ControlError } from '../errors/control-error.js';

/** Install the byte-keeping JSON parser as the only body parser. */
export function useRawJsonBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    request.rawBody = bytes;
    try {
      done(null, JSON.parse(bytes.toString('utf8')) as unknown);
    } catch {
      done(new ControlError('INVALID_ARGUMENT', 'the request body is not valid JSON'), undefined);
    }
  });
}
