/**
 * `/api/flows`: list, inspect, validate and deploy flows.
 *
 * @module
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { WeftError } from '../contract/errors.js';
import type { FlowVersionRecord } from '../store/records.js';
import type { ApiEnv } from './context.js';
import type { ApiDeps } from './deps.js';
import { errorResponses } from './errors.js';
import {
  bearer,
  FlowSchema,
  FlowVersionSchema,
  FlowVersionSummarySchema,
  json,
  jsonBody,
} from './schemas.js';

const FlowSource = z
  .object({
    source: z
      .string()
      .min(1)
      .max(1024 * 1024)
      .openapi({ description: 'the flow YAML' }),
    file: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: 'file name used in problem locations', example: 'flows/lead-router.yaml' }),
  })
  .openapi('FlowSource');

const NameParam = z.object({
  name: z
    .string()
    .min(1)
    .max(63)
    .openapi({ param: { name: 'name', in: 'path' }, example: 'lead-router' }),
});

const DeployResult = z
  .object({ version: FlowVersionSummarySchema, created: z.boolean() })
  .openapi('DeployResult');

const listFlows = createRoute({
  method: 'get',
  path: '/api/flows',
  tags: ['flows'],
  summary: 'List deployed flows',
  security: bearer,
  responses: {
    200: json(z.object({ flows: z.array(FlowSchema) }), 'Every flow with its current version'),
    ...errorResponses(401),
  },
});

const getFlow = createRoute({
  method: 'get',
  path: '/api/flows/{name}',
  tags: ['flows'],
  summary: 'A flow, its current version (with source) and its version history',
  security: bearer,
  request: { params: NameParam },
  responses: {
    200: json(
      z.object({ flow: FlowSchema, current: FlowVersionSchema, versions: z.array(FlowVersionSummarySchema) }),
      'The flow',
    ),
    ...errorResponses(401, 404),
  },
});

const deployFlow = createRoute({
  method: 'post',
  path: '/api/flows',
  tags: ['flows'],
  summary: 'Deploy a flow (publishes a new version unless the source is unchanged)',
  security: bearer,
  request: { body: jsonBody(FlowSource) },
  responses: {
    201: json(DeployResult, 'A new version was published'),
    200: json(DeployResult, 'The source is unchanged; nothing was published'),
    ...errorResponses(400, 401, 403),
  },
});

const validateFlow = createRoute({
  method: 'post',
  path: '/api/flows/validate',
  tags: ['flows'],
  summary: 'Check a flow source without deploying it',
  security: bearer,
  request: { body: jsonBody(FlowSource) },
  responses: {
    200: json(z.object({ ok: z.literal(true), name: z.string() }), 'The source is a valid flow'),
    ...errorResponses(400, 401),
  },
});

function summary(v: FlowVersionRecord): z.infer<typeof FlowVersionSummarySchema> {
  return {
    id: v.id,
    flowName: v.flowName,
    version: v.version,
    sourceHash: v.sourceHash,
    createdAt: v.createdAt,
    createdBy: v.createdBy,
  };
}

/** Registers the flow routes. */
export function registerFlowRoutes(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(listFlows, async (c) => {
    return c.json({ flows: await deps.store.listFlows() }, 200);
  });

  app.openapi(getFlow, async (c) => {
    const { name } = c.req.valid('param');
    const flow = await deps.store.getFlow(name);
    const current = flow ? await deps.store.getFlowVersion(flow.currentVersionId) : null;
    if (!flow || !current) throw new WeftError({ code: 'not_found', message: `no flow named '${name}'` });
    const versions = await deps.store.listFlowVersions(name);
    return c.json({ flow, current, versions: versions.map(summary) }, 200);
  });

  app.openapi(deployFlow, async (c) => {
    const body = c.req.valid('json');
    // The registry validates, compiles and publishes; it writes the `flow.deploy` audit event
    // in the publishing transaction, with the token name as actor.
    const { version, created } = await deps.flows.deploy({
      source: body.source,
      file: body.file ?? 'api',
      actor: c.var.principal.name,
      now: deps.clock.now(),
    });
    return created
      ? c.json({ version: summary(version), created }, 201)
      : c.json({ version: summary(version), created }, 200);
  });

  app.openapi(validateFlow, (c) => {
    const body = c.req.valid('json');
    // Throws FlowSourceError (invalid_input with details.problems), which errors.ts turns into 400.
    const { flow } = deps.flows.validate(body.source, body.file ?? 'api');
    return c.json({ ok: true as const, name: flow.name }, 200);
  });
}
