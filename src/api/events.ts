/**
 * `/api/events`: send a manual event to a flow, and browse stored events.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { WeftError } from '../contract/errors.js';
import { FlowName } from '../contract/flow.js';
import { type ApiEnv, auditEntry } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorResponses } from './errors.js';
import {
  Before,
  bearer,
  EventSchema,
  IdParam,
  IngestResultSchema,
  json,
  jsonBody,
  Limit,
} from './schemas.js';

const SendEvent = z
  .object({
    flow: FlowName,
    payload: z.unknown().openapi({ description: 'becomes `event.body` in the flow' }),
    dedupeKey: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: 'a repeat of this key for the same flow is acknowledged and dropped' }),
  })
  .openapi('SendEvent');

const EventQuery = z.object({
  flow: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .openapi({ param: { name: 'flow', in: 'query' } }),
  limit: Limit,
  before: Before,
});

const sendEvent = createRoute({
  method: 'post',
  path: '/api/events',
  tags: ['events'],
  summary: 'Send a manual event to a flow (committed before the reply)',
  security: bearer,
  request: { body: jsonBody(SendEvent) },
  responses: {
    202: json(IngestResultSchema, 'Stored; a run is queued'),
    200: json(IngestResultSchema, 'Duplicate dedupe key; nothing new was stored'),
    ...errorResponses(400, 401, 403, 404),
  },
});

const listEvents = createRoute({
  method: 'get',
  path: '/api/events',
  tags: ['events'],
  summary: 'List events, newest first',
  security: bearer,
  request: { query: EventQuery },
  responses: {
    200: json(z.object({ events: z.array(EventSchema) }), 'Events'),
    ...errorResponses(400, 401),
  },
});

const getEvent = createRoute({
  method: 'get',
  path: '/api/events/{id}',
  tags: ['events'],
  summary: 'One event',
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: json(z.object({ event: EventSchema }), 'The event'),
    ...errorResponses(401, 404),
  },
});

/** Registers the event routes. */
export function registerEventRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(sendEvent, async (c) => {
    const body = c.req.valid('json');
    if (!deps.flows.current(body.flow)) {
      throw new WeftError({ code: 'not_found', message: `no flow named '${body.flow}'` });
    }
    const now = deps.clock.now();
    const result = await deps.ingest.ingest({
      flowName: body.flow,
      source: 'manual',
      payload: { body: body.payload ?? null, headers: {}, query: {} },
      dedupeKey: body.dedupeKey ?? null,
      audit: auditEntry({
        principal: c.var.principal,
        action: 'event.send',
        target: `flow:${body.flow}`,
        data: body.dedupeKey === undefined ? undefined : { dedupeKey: body.dedupeKey },
        at: now,
      }),
    });
    const reply = { eventId: result.eventId, runId: result.runId, duplicate: result.duplicate };
    return result.duplicate ? c.json(reply, 200) : c.json(reply, 202);
  });

  app.openapi(listEvents, async (c) => {
    const q = c.req.valid('query');
    const events = await deps.store.listEvents({
      limit: q.limit,
      ...(q.flow === undefined ? {} : { flowName: q.flow }),
      ...(q.before === undefined ? {} : { before: q.before }),
    });
    return c.json({ events }, 200);
  });

  app.openapi(getEvent, async (c) => {
    const { id } = c.req.valid('param');
    const event = await deps.store.getEvent(id);
    if (!event) throw new WeftError({ code: 'not_found', message: `no event with id '${id}'` });
    return c.json({ event }, 200);
  });
}
