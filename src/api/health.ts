import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Env } from 'hono';
import type { Store } from '../store/port.js';
import { json } from './schemas.js';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Liveness: the process serves requests (no token needed)',
  responses: { 200: json(z.object({ status: z.literal('ok') }), 'Alive') },
});

const ready = createRoute({
  method: 'get',
  path: '/health/ready',
  tags: ['health'],
  summary: 'Readiness: the database answers within 2 s (no token needed)',
  responses: {
    200: json(z.object({ status: z.literal('ready') }), 'Ready to accept events'),
    503: json(z.object({ status: z.literal('unavailable') }), 'The database does not answer'),
  },
});

/** How long a readiness probe waits for the database. */
const readyTimeoutMs = 2_000;

/**
 * `GET /health` (liveness: the process answers) and `GET /health/ready` (the database answers
 * within 2 s). A load balancer should stop sending webhooks to a process whose database is away:
 * they would only get 503s. Liveness stays independent of the database, so nothing restarts a
 * process for an outage it cannot fix.
 */
export function registerHealthRoutes<E extends Env>(
  app: OpenAPIHono<E>,
  store: Pick<Store, 'countTokens'>,
): void {
  app.openapi(health, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(ready, async (c) => {
    const probe = store.countTokens().then(
      () => true,
      () => false,
    );
    const timeout = new Promise<boolean>((resolve) =>
      setTimeout(() => resolve(false), readyTimeoutMs).unref(),
    );
    return (await Promise.race([probe, timeout]))
      ? c.json({ status: 'ready' as const }, 200)
      : c.json({ status: 'unavailable' as const }, 503);
  });
}

/** The health routes alone: what a `weft work` process serves on `--health-port`. */
export function createHealthApp(store: Pick<Store, 'countTokens'>): OpenAPIHono {
  const app = new OpenAPIHono();
  registerHealthRoutes(app, store);
  return app;
}
