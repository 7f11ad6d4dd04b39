/**
 * `/api/exceptions`: the error queue. List and inspect, retry (optionally with an edited step
 * input), resolve with a note, and retry in bulk. Every retry wakes the workers.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { WeftError } from '../contract/errors.js';
import type { ExceptionFilter } from '../store/port.js';
import { exceptionStatuses } from '../store/records.js';
import { type ApiEnv, auditEntry } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorResponses } from './errors.js';
import { Before, bearer, ExceptionSchema, IdParam, json, jsonBody, Limit } from './schemas.js';

const text = (name: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name, in: 'query' } });

const ExceptionQuery = z.object({
  status: z
    .enum(exceptionStatuses)
    .optional()
    .openapi({ param: { name: 'status', in: 'query' } }),
  flow: text('flow'),
  code: text('code'),
  step: text('step'),
  limit: Limit,
  before: Before,
});

const RetryBody = z
  .object({
    input: z.unknown().optional().openapi({ description: "replaces the failed step's input for this retry" }),
  })
  .openapi('RetryException');

const ResolveBody = z
  .object({ note: z.string().trim().min(1).max(2000).openapi({ example: 'fixed by hand in the CRM' }) })
  .openapi('ResolveException');

const BulkRetryBody = z
  .object({
    filter: z.object({
      flow: z.string().min(1).max(63).optional(),
      code: z.string().min(1).max(200).optional(),
      step: z.string().min(1).max(200).optional(),
    }),
  })
  .openapi('RetryExceptions');

const ExceptionReply = z.object({ exception: ExceptionSchema });

const listExceptions = createRoute({
  method: 'get',
  path: '/api/exceptions',
  tags: ['exceptions'],
  summary: 'List the error queue, newest first',
  security: bearer,
  request: { query: ExceptionQuery },
  responses: {
    200: json(z.object({ exceptions: z.array(ExceptionSchema) }), 'Exceptions'),
    ...errorResponses(400, 401),
  },
});

const getException = createRoute({
  method: 'get',
  path: '/api/exceptions/{id}',
  tags: ['exceptions'],
  summary: 'One exception',
  security: bearer,
  request: { params: IdParam },
  responses: { 200: json(ExceptionReply, 'The exception'), ...errorResponses(401, 404) },
});

const retryException = createRoute({
  method: 'post',
  path: '/api/exceptions/{id}/retry',
  tags: ['exceptions'],
  summary: 'Re-queue the run at the failed step, optionally with an edited input',
  security: bearer,
  request: {
    params: IdParam,
    body: { required: false, content: { 'application/json': { schema: RetryBody } } },
  },
  responses: {
    200: json(ExceptionReply, 'The exception, now retrying'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const resolveException = createRoute({
  method: 'post',
  path: '/api/exceptions/{id}/resolve',
  tags: ['exceptions'],
  summary: 'Close an exception without retrying it',
  security: bearer,
  request: { params: IdParam, body: jsonBody(ResolveBody) },
  responses: {
    200: json(ExceptionReply, 'The exception, now resolved'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const retryMany = createRoute({
  method: 'post',
  path: '/api/exceptions/retry',
  tags: ['exceptions'],
  summary: 'Retry every open exception that matches the filter',
  security: bearer,
  request: { body: jsonBody(BulkRetryBody) },
  responses: {
    200: json(z.object({ retried: z.number().int() }), 'How many were re-queued'),
    ...errorResponses(400, 401, 403),
  },
});

/** Registers the error-queue routes. */
export function registerExceptionRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(listExceptions, async (c) => {
    const q = c.req.valid('query');
    const filter: ExceptionFilter = {
      limit: q.limit,
      ...(q.status === undefined ? {} : { status: q.status }),
      ...(q.flow === undefined ? {} : { flowName: q.flow }),
      ...(q.code === undefined ? {} : { code: q.code }),
      ...(q.step === undefined ? {} : { stepId: q.step }),
      ...(q.before === undefined ? {} : { before: q.before }),
    };
    return c.json({ exceptions: await deps.store.listExceptions(filter) }, 200);
  });

  app.openapi(getException, async (c) => {
    const { id } = c.req.valid('param');
    const exception = await deps.store.getException(id);
    if (!exception) throw new WeftError({ code: 'not_found', message: `no exception with id '${id}'` });
    return c.json({ exception }, 200);
  });

  app.openapi(retryException, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const now = deps.clock.now();
    // `input: null` is an edit (the step gets null); a missing `input` keeps the stored one.
    const edited = body !== undefined && 'input' in body;
    const exception = await deps.store.retryException({
      id,
      ...(edited ? { input: body.input } : {}),
      now,
      audit: auditEntry({
        principal: c.var.principal,
        action: 'exception.retry',
        target: id,
        data: { editedInput: edited },
        at: now,
      }),
    });
    deps.wake();
    return c.json({ exception }, 200);
  });

  app.openapi(resolveException, async (c) => {
    const { id } = c.req.valid('param');
    const { note } = c.req.valid('json');
    const now = deps.clock.now();
    const exception = await deps.store.resolveException({
      id,
      note,
      actor: c.var.principal.name,
      now,
      audit: auditEntry({
        principal: c.var.principal,
        action: 'exception.resolve',
        target: id,
        data: { note },
        at: now,
      }),
    });
    return c.json({ exception }, 200);
  });

  app.openapi(retryMany, async (c) => {
    const { filter } = c.req.valid('json');
    const now = deps.clock.now();
    const storeFilter: ExceptionFilter = {
      ...(filter.flow === undefined ? {} : { flowName: filter.flow }),
      ...(filter.code === undefined ? {} : { code: filter.code }),
      ...(filter.step === undefined ? {} : { stepId: filter.step }),
    };
    const retried = await deps.store.retryExceptions({
      filter: storeFilter,
      now,
      audit: auditEntry({
        principal: c.var.principal,
        action: 'exception.retry_many',
        target: filter.flow === undefined ? 'exceptions' : `flow:${filter.flow}`,
        data: { filter },
        at: now,
      }),
    });
    if (retried > 0) deps.wake();
    return c.json({ retried }, 200);
  });
}
