/**
 * `/api/runs`: list runs and inspect one with its step journal and write ledger.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { WeftError } from '../contract/errors.js';
import { runStatuses } from '../store/records.js';
import type { ApiEnv } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorResponses } from './errors.js';
import {
  ActionSchema,
  Before,
  bearer,
  IdParam,
  JournalEntrySchema,
  json,
  Limit,
  RunSchema,
} from './schemas.js';

const RunQuery = z.object({
  flow: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .openapi({ param: { name: 'flow', in: 'query' } }),
  status: z
    .enum(runStatuses)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  limit: Limit,
  before: Before,
});

const listRuns = createRoute({
  method: 'get',
  path: '/api/runs',
  tags: ['runs'],
  summary: 'List runs, newest first',
  security: bearer,
  request: { query: RunQuery },
  responses: {
    200: json(z.object({ runs: z.array(RunSchema) }), 'Runs'),
    ...errorResponses(400, 401),
  },
});

const getRun = createRoute({
  method: 'get',
  path: '/api/runs/{id}',
  tags: ['runs'],
  summary: 'A run with its step journal and its write-ledger actions',
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: json(
      z.object({ run: RunSchema, journal: z.array(JournalEntrySchema), actions: z.array(ActionSchema) }),
      'The run',
    ),
    ...errorResponses(401, 404),
  },
});

/** Registers the run routes. */
export function registerRunRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(listRuns, async (c) => {
    const q = c.req.valid('query');
    const runs = await deps.store.listRuns({
      limit: q.limit,
      ...(q.flow === undefined ? {} : { flowName: q.flow }),
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.before === undefined ? {} : { before: q.before }),
    });
    return c.json({ runs }, 200);
  });

  app.openapi(getRun, async (c) => {
    const { id } = c.req.valid('param');
    const run = await deps.store.getRun(id);
    if (!run) throw new WeftError({ code: 'not_found', message: `no run with id '${id}'` });
    const [journal, actions] = await Promise.all([deps.store.getJournal(id), deps.store.listActions(id)]);
    return c.json({ run, journal, actions }, 200);
  });
}
