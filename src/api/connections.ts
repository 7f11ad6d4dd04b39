/**
 * `/api/connections`: the configured Connectors. Secrets go in (PUT) and never come out: replies
 * show the auth kind, which auth fields are set and how many webhook secrets there are.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { connectionVerdicts, testConnection } from '../connections/probe.js';
import {
  ConnectionName,
  ConnectionNamePattern,
  ConnectionSpec,
  connectionNameMessage,
} from '../connections/spec.js';
import { WeftError } from '../contract/errors.js';
import type { ApiEnv } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorResponses } from './errors.js';
import { bearer, json, jsonBody } from './schemas.js';

const EpochMs = z.number().int().openapi({ description: 'epoch milliseconds' });

const ConnectionSchema = z
  .object({
    name: z.string(),
    connector: z.string(),
    baseUrl: z.string().nullable(),
    settings: z.record(z.string(), z.string()),
    limits: z.object({
      requestsPerSecond: z.number().optional(),
      burst: z.number().int().optional(),
      timeoutMs: z.number().int().optional(),
    }),
    auth: z
      .object({
        kind: z.string(),
        fields: z
          .array(z.string())
          .openapi({ description: 'the auth fields that are set; never their values' }),
      })
      .openapi({ example: { kind: 'bearer', fields: ['token'] } }),
    webhookSecrets: z.number().int().openapi({ description: 'how many webhook secrets are set' }),
    createdAt: EpochMs,
    updatedAt: EpochMs,
  })
  .openapi('Connection');

/**
 * The Connection with its secrets in clear (send it over TLS; it is stored encrypted). `name` may
 * be left out. Built from the plain-zod spec, which carries no OpenAPI metadata of its own.
 */
const PutConnectionBody = ConnectionSpec.omit({ name: true }).extend({ name: ConnectionName.optional() });

const PutConnectionReply = z
  .object({
    connection: ConnectionSchema,
    created: z.boolean(),
    changed: z.boolean().openapi({ description: 'false: identical to what was stored; nothing was written' }),
  })
  .openapi('PutConnectionReply');

const ConnectionTestSchema = z
  .object({
    name: z.string(),
    connector: z.string(),
    verdict: z.enum(connectionVerdicts),
    ok: z.boolean(),
    message: z.string(),
    latencyMs: z.number().int(),
    probe: z.string().openapi({ description: 'the read action the probe ran' }),
    host: z.string(),
    code: z.string().optional(),
    retryAfterMs: z.number().optional(),
  })
  .openapi('ConnectionTest');

const NameParam = z.object({
  name: z
    .string()
    .regex(ConnectionNamePattern, connectionNameMessage)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'stripe-main' }),
});

const listConnections = createRoute({
  method: 'get',
  path: '/api/connections',
  tags: ['connections'],
  summary: 'List Connections by name (no secret values)',
  security: bearer,
  responses: {
    200: json(z.object({ connections: z.array(ConnectionSchema) }), 'Connections'),
    ...errorResponses(401),
  },
});

const getConnection = createRoute({
  method: 'get',
  path: '/api/connections/{name}',
  tags: ['connections'],
  summary: 'One Connection (no secret values)',
  security: bearer,
  request: { params: NameParam },
  responses: { 200: json(ConnectionSchema, 'The Connection'), ...errorResponses(400, 401, 404) },
});

const putConnection = createRoute({
  method: 'put',
  path: '/api/connections/{name}',
  tags: ['connections'],
  summary: 'Create or replace a Connection (admin only); its secrets are stored encrypted',
  security: bearer,
  request: { params: NameParam, body: jsonBody(PutConnectionBody) },
  responses: {
    200: json(PutConnectionReply, 'Replaced (or unchanged)'),
    201: json(PutConnectionReply, 'Created'),
    ...errorResponses(400, 401, 403, 409, 500),
  },
});

const deleteConnection = createRoute({
  method: 'delete',
  path: '/api/connections/{name}',
  tags: ['connections'],
  summary: 'Delete a Connection (admin only)',
  security: bearer,
  request: { params: NameParam },
  responses: { 200: json(ConnectionSchema, 'The deleted Connection'), ...errorResponses(400, 401, 403, 404) },
});

const testConnectionRoute = createRoute({
  method: 'post',
  path: '/api/connections/{name}/test',
  tags: ['connections'],
  summary: "Check auth and reachability with the connector's probe read (operator)",
  description:
    'Always 200 with a verdict when the Connection exists: `ok`, `auth_failed`, `unreachable`, `rate_limited` or `error` (with `code`).',
  security: bearer,
  request: { params: NameParam },
  responses: { 200: json(ConnectionTestSchema, 'The verdict'), ...errorResponses(400, 401, 403, 404) },
});

/** Registers the Connection routes. */
export function registerConnectionRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const registry = deps.connections;

  app.openapi(listConnections, async (c) => c.json({ connections: await registry.list() }, 200));

  app.openapi(getConnection, async (c) => c.json(await registry.get(c.req.valid('param').name), 200));

  app.openapi(putConnection, async (c) => {
    const { name } = c.req.valid('param');
    const body = c.req.valid('json');
    if (body.name !== undefined && body.name !== name) {
      throw new WeftError({
        code: 'invalid_input',
        message: `the body names connection '${body.name}', the path '${name}'`,
      });
    }
    const result = await registry.put({
      spec: { ...body, name },
      actor: c.var.principal.name,
      now: deps.clock.now(),
    });
    if (result.changed) {
      deps.logger.info(
        { connection: name, connector: body.connector, created: result.created, by: c.var.principal.name },
        result.created ? 'connection created' : 'connection replaced',
      );
    }
    return c.json(result, result.created ? 201 : 200);
  });

  app.openapi(deleteConnection, async (c) => {
    const { name } = c.req.valid('param');
    const deleted = await registry.delete({ name, actor: c.var.principal.name, now: deps.clock.now() });
    deps.logger.info({ connection: name, by: c.var.principal.name }, 'connection deleted');
    return c.json(deleted, 200);
  });

  app.openapi(testConnectionRoute, async (c) => {
    const { name } = c.req.valid('param');
    const result = await testConnection({ registry, name });
    deps.logger.info(
      { connection: name, verdict: result.verdict, code: result.code, latencyMs: result.latencyMs },
      'connection tested',
    );
    return c.json(result, 200);
  });
}
