/**
 * The control plane's HTTP app: `buildControlPlaneApp(deps)` registers every route without
 * listening, so tests `inject()` and control-plane-server.ts hands it the https server that
 * also carries the WebSocket upgrades.
 *
 *   /healthz, /v1/openapi.json                        no authentication
 *   /v1/activation/register, /v1/activation/claim     signed with x-tidegate-key
 *   /v1/connect                                       signed upgrade (connections/)
 *   /v1/gateways…, /v1/alerts                         Bearer token, scoped to its account
 */
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { registerActivationClaimRoute } from '../activation/claim-route.js';
import { registerActivationRegisterRoute } from '../activation/register-route.js';
import { registerActivationSubmitRoute } from '../activation/submit-route.js';
import { registerAlertListRoute } from '../admin/alert-list-route.js';
import { registerGatewayCommandRoute } from '../admin/gateway-command-route.js';
import { registerGatewayDetailRoute } from '../admin/gateway-detail-route.js';
import { registerGatewayListRoute } from '../admin/gateway-list-route.js';
import { registerGatewayStatusRoute } from '../admin/gateway-status-route.js';
import type { AppContext, ControlPlaneAppDeps } from './app-context.js';
import { registerConnectRoute } from './connect-route.js';
import { installErrorHandling } from './error-handler.js';
import { registerHealthRoute } from './health-route.js';
import { useRawJsonBodies } from './json-body-parser.js';
import { OpenApiCollector } from './openapi-document.js';
import { registerOpenApiRoute } from './openapi-route.js';
import { decorateRequestContext } from './request-context.js';

/** How the app is served: omitted for inject-only tests. */
export interface ControlPlaneAppOptions {
  /** Makes the server Fastify listens on (control-plane-server.ts: the https server). */
  serverFactory?: FastifyServerFactory;
}

/** Largest request body accepted (activation and command bodies are small). */
export const BODY_LIMIT_BYTES = 256 * 1024;

/** The Fastify app with every route registered; call `ready()` or `inject()`, or `listen()` through the server. */
export async function buildControlPlaneApp(deps: ControlPlaneAppDeps, options: ControlPlaneAppOptions = {}): Promise<FastifyInstance> {
  const ctx: AppContext = { ...deps, clock: deps.clock ?? Date.now };
  const app = Fastify({
    logger: false,
    trustProxy: ctx.config.trustProxy,
    bodyLimit: BODY_LIMIT_BYTES,
    // Strict bodies: no type coercion, unknown fields are errors (not silently dropped).
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    ...(options.serverFactory ? { serverFactory: options.serverFactory } : {}),
  }) as unknown as FastifyInstance;
  const openApi = new OpenApiCollector();
  openApi.attach(app);
  decorateRequestContext(app);
  useRawJsonBodies(app);
  installErrorHandling(app, ctx.logger);

  registerHealthRoute(app, ctx);
  registerOpenApiRoute(app, openApi);
  registerActivationRegisterRoute(app, ctx);
  registerActivationClaimRoute(app, ctx);
  registerConnectRoute(app);
  registerActivationSubmitRoute(app, ctx);
  registerGatewayListRoute(app, ctx);
  registerGatewayDetailRoute(app, ctx);
  registerGatewayStatusRoute(app, ctx);
  registerGatewayCommandRoute(app, ctx);
  registerAlertListRoute(app, ctx);
  await app.ready();
  return app;
}
