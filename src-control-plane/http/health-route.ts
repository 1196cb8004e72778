/** `GET /healthz`: unauthenticated liveness for the load balancer, with this server's id and open connections. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from './app-context.js';

/** The /healthz body. */
export interface HealthBody {
  ok: true;
  serverId: string;
  /** Management connections held by this server. */
  connections: number;
  state: 'embedded' | 'redis';
  /** Resident memory of this process, bytes. */
  rssBytes: number;
  uptimeSeconds: number;
}

/** Register `GET /healthz`. */
export function registerHealthRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', {
    schema: {
      summary: 'Liveness (no authentication)',
      tags: ['server'],
      response: {
        200: {
          type: 'object',
          required: ['ok', 'serverId', 'connections', 'state', 'rssBytes', 'uptimeSeconds'],
          properties: { ok: { type: 'boolean' }, serverId: { type: 'string' }, connections: { type: 'integer' }, state: { type: 'string', enum: ['embedded', 'redis'] }, rssBytes: { type: 'integer' }, uptimeSeconds: { type: 'number' } },
        },
      },
    },
    handler: async (): Promise<HealthBody> => ({
      ok: true,
      serverId: ctx.config.serverId,
      connections: ctx.connections.count(),
      state: ctx.state.kind,
      rssBytes: process.memoryUsage.rss(),
      uptimeSeconds: Math.round(process.uptime()),
    }),
  });
}
