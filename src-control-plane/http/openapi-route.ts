/** `GET /v1/openapi.json`: the API description generated from the registered routes. */
import type { FastifyInstance } from 'fastify';
import type { OpenApiCollector } from './openapi-document.js';

/** Version of the API document (not of the server). */
export const CONTROL_PLANE_API_VERSION = '1.0.0';

/** Register `GET /v1/openapi.json`. */
export function registerOpenApiRoute(app: FastifyInstance, collector: OpenApiCollector): void {
  let cached: Record<string, unknown> | null = null;
  app.get('/v1/openapi.json', {
    schema: { summary: 'This document', tags: ['server'] },
    handler: async () => {
      cached ??= collector.document({
        title: 'Tidegate control plane',
        version: CONTROL_PLANE_API_VERSION,
        description: 'Activation, management connections, status and alerts of Tidegate gateways (docs/control-plane.md).',
      });
      return cached;
    },
  });
}
