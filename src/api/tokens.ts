/**
 * `/api/tokens` (create API tokens, admin only) and `/api/audit` (read the audit chain).
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { issueToken, roles } from './auth.js';
import type { ApiEnv } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorResponses } from './errors.js';
import { AuditEventSchema, bearer, json, jsonBody } from './schemas.js';

const CreateToken = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/, 'letters, digits, . _ @ - (at most 100)')
      .openapi({ example: 'ci-deployer' }),
    role: z.enum(roles),
  })
  .openapi('CreateToken');

const CreatedToken = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.number().int(),
    token: z.string().openapi({ description: 'the bearer token; shown only in this reply' }),
  })
  .openapi('CreatedToken');

const AuditQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(100)
    .openapi({ param: { name: 'limit', in: 'query' } }),
  afterSeq: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({
      param: { name: 'afterSeq', in: 'query' },
      description: 'return events after this sequence number',
    }),
});

const createToken = createRoute({
  method: 'post',
  path: '/api/tokens',
  tags: ['auth'],
  summary: 'Create an API token (admin only); the plaintext is returned once',
  security: bearer,
  request: { body: jsonBody(CreateToken) },
  responses: { 201: json(CreatedToken, 'The new token'), ...errorResponses(400, 401, 403, 409) },
});

const listAudit = createRoute({
  method: 'get',
  path: '/api/audit',
  tags: ['auth'],
  summary: 'Read the hash-chained audit log in sequence order',
  security: bearer,
  request: { query: AuditQuery },
  responses: {
    200: json(z.object({ events: z.array(AuditEventSchema) }), 'Audit events'),
    ...errorResponses(400, 401),
  },
});

/** Registers the token and audit routes. */
export function registerTokenRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(createToken, async (c) => {
    const { name, role } = c.req.valid('json');
    const { record, token } = await issueToken({
      store: deps.store,
      name,
      role,
      actor: c.var.principal.name,
      now: deps.clock.now(),
    });
    deps.logger.info({ tokenId: record.id, name, role, by: c.var.principal.name }, 'token created');
    return c.json(
      { id: record.id, name: record.name, role: record.role, createdAt: record.createdAt, token },
      201,
    );
  });

  app.openapi(listAudit, async (c) => {
    const q = c.req.valid('query');
    const events = await deps.store.listAudit({
      limit: q.limit,
      ...(q.afterSeq === undefined ? {} : { afterSeq: q.afterSeq }),
    });
    return c.json({ events }, 200);
  });
}
