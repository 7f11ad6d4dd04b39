/**
 * `/api/tokens` (create, list and revoke API tokens, admin only) and `/api/audit` (read the
 * audit chain). Token hashes and plaintexts never leave through the list or the revocation.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { TokenRecord } from '../store/records.js';
import { issueToken, roles } from './auth.js';
import { type ApiEnv, auditEntry } from './context.js';
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

const Token = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.number().int(),
    revokedAt: z.number().int().nullable().openapi({ description: 'null while the token works' }),
  })
  .openapi('Token');

const TokenIdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'tok_01m89tj00v5jhf6bzyg30hk1wq' }),
});

/** The public view of a token: never its hash. */
const publicToken = (t: TokenRecord) => ({
  id: t.id,
  name: t.name,
  role: t.role,
  createdAt: t.createdAt,
  revokedAt: t.revokedAt,
});

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

const listTokens = createRoute({
  method: 'get',
  path: '/api/tokens',
  tags: ['auth'],
  summary: 'List API tokens, revoked ones too, newest first (admin only); no hashes or plaintexts',
  security: bearer,
  responses: {
    200: json(z.object({ tokens: z.array(Token) }), 'Tokens'),
    ...errorResponses(401, 403),
  },
});

const revokeToken = createRoute({
  method: 'delete',
  path: '/api/tokens/{id}',
  tags: ['auth'],
  summary: 'Revoke an API token (admin only); it stops working at once',
  security: bearer,
  request: { params: TokenIdParam },
  responses: {
    200: json(Token, 'The revoked token'),
    ...errorResponses(401, 403, 404, 409),
  },
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

/**
 * Registers the token and audit routes. `onRevoked` is told the id of each revoked token, so the
 * auth middleware can drop it from its cache.
 */
export function registerTokenRoutes(
  app: OpenAPIHono<ApiEnv>,
  deps: ApiDeps,
  onRevoked: (tokenId: string) => void = () => {},
): void {
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

  app.openapi(listTokens, async (c) => {
    const tokens = await deps.store.listTokens();
    return c.json({ tokens: tokens.map(publicToken) }, 200);
  });

  app.openapi(revokeToken, async (c) => {
    const { id } = c.req.valid('param');
    const now = deps.clock.now();
    const revoked = await deps.store.revokeToken({
      id,
      now,
      audit: auditEntry({ principal: c.var.principal, action: 'token.revoke', target: id, at: now }),
    });
    onRevoked(revoked.id);
    deps.logger.info({ tokenId: id, name: revoked.name, by: c.var.principal.name }, 'token revoked');
    return c.json(publicToken(revoked), 200);
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
