/**
 * JSON schemas of the HTTP API's bodies, shared by the routes (validation and serialisation)
 * and the OpenAPI document (each named here becomes a component). They mirror
 * control-wire.ts and the admin views in admin/gateway-view.ts.
 */

/** `{error:{code, message, engineCode?}}` — every non-2xx answer. */
export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A stable code from the catalogue, e.g. GATEWAY_OFFLINE.' },
        message: { type: 'string' },
        engineCode: { type: 'string', description: "GATEWAY_ERROR only: the engine's own error code." },
      },
    },
  },
} as const;

/** Responses every route may give besides its success. */
export const errorResponses = { '4xx': errorBodySchema, '5xx': errorBodySchema } as const;

/** What a gateway says about itself at registration. */
export const gatewayMetadataSchema = {
  type: 'object',
  required: ['version', 'host', 'platform', 'capacityBytes', 'localGatewayId'],
  properties: {
    version: { type: 'string', minLength: 1, maxLength: 64 },
    host: { type: 'string', minLength: 1, maxLength: 255 },
    platform: { type: 'string', minLength: 1, maxLength: 64 },
    capacityBytes: { type: 'integer', minimum: 0 },
    localGatewayId: { type: 'string', minLength: 1, maxLength: 128 },
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;

/** One gateway as the admin API lists it. */
export const gatewayViewSchema = {
  type: 'object',
  required: ['id', 'accountId', 'name', 'timezone', 'version', 'host', 'platform', 'online', 'serverId', 'lastSeenAt', 'activatedAt'],
  properties: {
    id: { type: 'string' },
    accountId: { type: 'string' },
    name: { type: 'string' },
    timezone: { type: 'string' },
    version: { type: 'string' },
    host: { type: 'string' },
    platform: { type: 'string' },
    capacityBytes: { type: 'integer' },
    localGatewayId: { type: 'string' },
    online: { type: 'boolean', description: 'A control-plane server holds its management connection now.' },
    serverId: { ...nullableString, description: 'The server holding the connection.' },
    lastSeenAt: nullableString,
    activatedAt: { type: 'string' },
  },
} as const;

/** A status sample (control-wire.ts StatusSample); passed through whole. */
export const statusSampleSchema = {
  type: 'object',
  required: ['at'],
  additionalProperties: true,
  properties: { at: { type: 'string' } },
} as const;

/** One gateway and its newest sample. */
export const gatewayDetailSchema = {
  type: 'object',
  required: [...gatewayViewSchema.required, 'latestStatus'],
  properties: {
    ...gatewayViewSchema.properties,
    latestStatus: { anyOf: [statusSampleSchema, { type: 'null' }] },
  },
} as const;

/** An alert (control-wire.ts AlertRecord). */
export const alertRecordSchema = {
  type: 'object',
  required: ['id', 'rule', 'severity', 'gatewayId', 'volume', 'message', 'state', 'openedAt', 'closedAt', 'value'],
  properties: {
    id: { type: 'string' },
    rule: { type: 'string' },
    severity: { type: 'string', enum: ['info', 'warning', 'critical'] },
    gatewayId: nullableString,
    volume: nullableString,
    message: { type: 'string' },
    state: { type: 'string', enum: ['open', 'closed'] },
    openedAt: { type: 'string' },
    closedAt: nullableString,
    value: { type: ['number', 'null'] },
  },
} as const;

/** The `:id` path parameter of gateway routes. */
export const gatewayIdParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** Named schemas, for the OpenAPI document's components. */
export const NAMED_SCHEMAS: ReadonlyMap<object, string> = new Map<object, string>([
  [errorBodySchema, 'ControlErrorBody'],
  [gatewayMetadataSchema, 'GatewayMetadata'],
  [gatewayViewSchema, 'Gateway'],
  [gatewayDetailSchema, 'GatewayDetail'],
  [statusSampleSchema, 'StatusSample'],
  [alertRecordSchema, 'AlertRecord'],
]);
