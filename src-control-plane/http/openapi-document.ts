/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the routes' own JSON schemas: an
 * onRoute hook collects every route as it is registered, so the document cannot drift from
 * what the server validates. Schemas listed in NAMED_SCHEMAS become components and are
 * referenced by `$ref` (matched by identity, as the routes share the same objects).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { NAMED_SCHEMAS } from './wire-schemas.js';

/** How a route authenticates (route `config.auth`); becomes the operation's `security`. */
export type RouteAuth = 'none' | 'admin' | 'signed-key' | 'signed-gateway';

declare module 'fastify' {
  interface FastifySchema {
    /** OpenAPI: one line on what the operation does. */
    summary?: string;
    description?: string;
    tags?: readonly string[];
  }
  interface FastifyContextConfig {
    /** OpenAPI: how the route authenticates (default 'none'). */
    auth?: RouteAuth;
  }
}

interface CollectedRoute {
  method: string;
  url: string;
  auth: RouteAuth;
  schema: Record<string, unknown>;
}

/** Extra text of an operation: route `schema.summary`, `schema.description`, `schema.tags`. */
type OperationSchema = {
  summary?: string;
  description?: string;
  tags?: readonly string[];
  params?: JsonSchemaObject;
  querystring?: JsonSchemaObject;
  body?: unknown;
  response?: Record<string, unknown>;
};

type JsonSchemaObject = { properties?: Record<string, Record<string, unknown>>; required?: readonly string[] };

/** Collects the routes of one app and renders its OpenAPI document. */
export class OpenApiCollector {
  private readonly routes: CollectedRoute[] = [];

  /** Start collecting; call before any route is registered. */
  attach(app: FastifyInstance): void {
    app.addHook('onRoute', (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const auth: RouteAuth = route.config?.auth ?? 'none';
      for (const method of methods) {
        if (method === 'HEAD') continue;
        this.routes.push({ method: method.toLowerCase(), url: route.url, auth, schema: (route.schema ?? {}) as Record<string, unknown> });
      }
    });
  }

  /** The document (a fresh object each call). */
  document(info: { title: string; version: string; description?: string }): Record<string, unknown> {
    const components: Record<string, unknown> = {};
    const paths: Record<string, Record<string, unknown>> = {};
    const ref = (schema: unknown): unknown => withRefs(schema, components);
    for (const route of [...this.routes].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method))) {
      const s = route.schema as OperationSchema;
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const parameters = [
        ...parametersOf(s.params, 'path'),
        ...parametersOf(s.querystring, 'query'),
      ].map((p) => ({ ...p, schema: ref(p.schema) }));
      const responses: Record<string, unknown> = {};
      for (const [status, schema] of Object.entries(s.response ?? {})) {
        const description = (schema as { description?: string }).description ?? (status.startsWith('2') ? 'success' : 'error');
        responses[status.toUpperCase()] = { description, content: { 'application/json': { schema: ref(schema) } } };
      }
      if (Object.keys(responses).length === 0) responses.default = { description: 'answer' };
      paths[path] ??= {};
      paths[path][route.method] = {
        operationId: `${route.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
        ...(s.summary ? { summary: s.summary } : {}),
        ...(s.description ? { description: s.description } : {}),
        ...(s.tags ? { tags: s.tags } : {}),
        ...(route.auth === 'none' ? {} : { security: [{ [SECURITY_SCHEME[route.auth]]: [] }] }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(s.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(s.body) } } } } : {}),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        schemas: components,
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'An account API token (tg_…).' },
          gatewayKeySignature: { type: 'apiKey', in: 'header', name: 'x-tidegate-signature', description: 'Ed25519 signature by a not-yet-activated gateway key (x-tidegate-key, x-tidegate-timestamp, x-tidegate-nonce); see docs/control-plane.md § Signed requests.' },
          gatewaySignature: { type: 'apiKey', in: 'header', name: 'x-tidegate-signature', description: 'Ed25519 signature by an activated gateway (x-tidegate-gateway, x-tidegate-timestamp, x-tidegate-nonce).' },
        },
      },
    };
  }
}

const SECURITY_SCHEME: Record<Exclude<RouteAuth, 'none'>, string> = { admin: 'adminToken', 'signed-key': 'gatewayKeySignature', 'signed-gateway': 'gatewaySignature' };

function parametersOf(schema: JsonSchemaObject | undefined, where: 'path' | 'query'): Array<{ name: string; in: string; required: boolean; schema: unknown }> {
  if (!schema?.properties) return [];
  return Object.entries(schema.properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (schema.required ?? []).includes(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

/** A deep copy where every named schema is replaced by a `$ref` (and added to `components`). */
function withRefs(schema: unknown, components: Record<string, unknown>): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const name = NAMED_SCHEMAS.get(schema);
  if (name !== undefined) {
    if (!(name in components)) {
      components[name] = {}; // placeholder first: named schemas may contain each other
      components[name] = copy(schema, components);
    }
    return { $ref: `#/components/schemas/${name}` };
  }
  return copy(schema, components);
}

function copy(schema: object, components: Record<string, unknown>): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withRefs(s, components));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = withRefs(v, components);
  return out;
}
