/**
 * The HTTP API: REST under `/api` (bearer tokens, audit on every mutation), webhook triggers
 * under `/hooks`, `GET /health`, and the generated OpenAPI 3.1 document at `/api/openapi.json`.
 *
 * @module
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createAuthMiddleware } from './auth.js';
import { registerConnectionRoutes } from './connections.js';
import { registerConnectorWebhookRoutes } from './connector-webhooks.js';
import type { ApiEnv } from './context.js';
import type { ApiDeps } from './deps.js';
import { createErrorHandler, errorResponse, validationHook } from './errors.js';
import { registerEventRoutes } from './events.js';
import { registerExceptionRoutes } from './exceptions.js';
import { registerFlowRoutes } from './flows.js';
import { registerHealthRoutes } from './health.js';
import { registerRunRoutes } from './runs.js';
import { registerTokenRoutes } from './tokens.js';
import { registerWebhookRoutes } from './webhooks.js';

/** Largest JSON body `/api` accepts; flow sources are capped at 1 MiB, so this leaves room. */
const apiMaxBodyBytes = 2 * 1024 * 1024;

/**
 * Builds the API app. It holds no state of its own besides the token cache, so tests build one
 * per case and call `app.request()` without a socket.
 *
 * @example
 * const app = createApi(deps);
 * const server = await startHttpServer({ app, host: '127.0.0.1', port: 8080 });
 */
export function createApi(deps: ApiDeps): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.onError(createErrorHandler(deps.logger));
  app.notFound((c) =>
    errorResponse(c, { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'Bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`weft_…`); see POST /api/tokens',
  });

  registerHealthRoutes(app, deps.store);

  const auth = createAuthMiddleware({ store: deps.store, clock: deps.clock });
  // A revoke in any process (PostgreSQL) stops the token here too; lives as long as the store.
  deps.store.subscribe((topic) => {
    if (topic === 'tokens') auth.forgetAll();
  });
  app.use('/api/*', auth);
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: apiMaxBodyBytes,
      onError: (c) =>
        errorResponse(c, {
          code: 'payload_too_large',
          message: `request body exceeds ${apiMaxBodyBytes} bytes`,
        }),
    }),
  );

  registerFlowRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerExceptionRoutes(app, deps);
  registerTokenRoutes(app, deps, (tokenId) => auth.forget(tokenId));
  registerConnectionRoutes(app, deps);
  registerConnectorWebhookRoutes(app, deps);
  registerWebhookRoutes(app, deps);

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Weft API',
      version: '1',
      description: 'Durable flows between business systems. Every mutation is written to the audit log.',
    },
  });
  return app;
}
