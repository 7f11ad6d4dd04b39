/**
 * `POST /hooks/connections/{connection}/{trigger}`: a System's own signed webhook deliveries.
 * The connector verifies the signature over the raw bytes with the Connection's webhook secrets
 * (two while rotating), then splits the delivery into events (HubSpot batches up to 100); each
 * event becomes one Event per subscribed flow, deduped by the event's own id, so a System's
 * redelivery is a no-op. The reply is sent only after every Event is committed.
 *
 * @module
 */
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context, Env } from 'hono';
import { toWeftError } from '../contract/errors.js';
import { noConnections } from '../engine/connection-access.js';
import type { ApiDeps } from './deps.js';
import { ErrorBody, errorResponse } from './errors.js';
import { nodeIncoming, readBodyLimited, readIncomingLimited } from './webhooks.js';

export const connectorHookPrefix = '/hooks/connections/';
/** Batched deliveries (HubSpot: up to 100 events) are larger than one event. */
const maxBodyBytes = 5 * 1024 * 1024;
/** Headers kept with each event: the System's delivery metadata, never credentials or signatures. */
const keptHeaders =
  /^(content-type|user-agent|x-request-id|x-hubspot-request-timestamp|x-zendesk-webhook-id|x-slack-retry-num|x-slack-retry-reason)$/;

const DeliveryResult = z
  .object({
    events: z.number().int().openapi({ description: 'events in the delivery' }),
    accepted: z.number().int().openapi({ description: 'new Events stored (one per subscribed flow)' }),
    duplicates: z.number().int().openapi({ description: 'Events already stored from an earlier delivery' }),
    ignored: z
      .boolean()
      .optional()
      .openapi({ description: 'true: genuine, but no flow is subscribed to this trigger; nothing stored' }),
  })
  .openapi('ConnectorDeliveryResult');

/** Registers the connector webhook route; must come before the generic `/hooks/*` route. */
export function registerConnectorWebhookRoutes<E extends Env>(app: OpenAPIHono<E>, deps: ApiDeps): void {
  app.openAPIRegistry.registerPath({
    method: 'post',
    path: '/hooks/connections/{connection}/{trigger}',
    tags: ['webhooks'],
    summary: "Deliver a System's signed webhook to the flows subscribed to this Connection's trigger",
    description:
      "Authenticated by the System's own signature (verified by the connector with the Connection's webhook secrets), not by bearer token.",
    request: {
      params: z.object({
        connection: z.string().openapi({ param: { name: 'connection', in: 'path' }, example: 'hubspot' }),
        trigger: z.string().openapi({ param: { name: 'trigger', in: 'path' }, example: 'events' }),
      }),
    },
    responses: {
      200: { description: 'Every event stored', content: { 'application/json': { schema: DeliveryResult } } },
      401: {
        description: 'Bad, missing or stale signature',
        content: { 'application/json': { schema: ErrorBody } },
      },
      404: {
        description: 'No such Connection or webhook trigger',
        content: { 'application/json': { schema: ErrorBody } },
      },
      413: { description: 'Body too large', content: { 'application/json': { schema: ErrorBody } } },
      500: {
        description: '`config_error`: the Connection has no webhook secret',
        content: { 'application/json': { schema: ErrorBody } },
      },
    },
  });
  app.post(`${connectorHookPrefix}:connection/:trigger`, (c) => handleDelivery(c, deps));
}

async function handleDelivery(c: Context, deps: ApiDeps): Promise<Response> {
  const connection = c.req.param('connection') ?? '';
  const triggerName = c.req.param('trigger') ?? '';
  const flows = deps.flows.list().flatMap((f) => {
    const t = f.definition.trigger;
    return t.kind === 'connector-webhook' && t.connection === connection && t.trigger === triggerName
      ? [{ name: f.version.flowName, types: t.types }]
      : [];
  });
  const log = deps.logger.child({ connection, trigger: triggerName });
  const incoming = nodeIncoming(c);
  const raw = incoming
    ? await readIncomingLimited(incoming, maxBodyBytes)
    : await readBodyLimited(c.req.raw, maxBodyBytes);
  if (raw === 'too_large') {
    c.header('Connection', 'close');
    return errorResponse(c, { code: 'payload_too_large', message: `body exceeds ${maxBodyBytes} bytes` });
  }
  let opened: Awaited<ReturnType<NonNullable<ApiDeps['connectionAccess']>['open']>>;
  try {
    opened = await (deps.connectionAccess ?? noConnections).open(connection);
  } catch (err) {
    const error = toWeftError(err);
    if (error.code === 'not_found') return errorResponse(c, { code: 'not_found', message: error.message });
    throw err;
  }
  const connector = opened.connected.connector;
  const trigger = connector.webhookTriggers?.[triggerName];
  if (trigger === undefined) {
    return errorResponse(c, {
      code: 'not_found',
      message: `connector ${connector.name} has no webhook trigger ${triggerName}`,
    });
  }
  if (opened.webhookSecrets.length === 0) {
    log.error('the connection has no webhook secret; set webhookSecrets on it');
    return errorResponse(c, {
      code: 'config_error',
      message: 'this webhook is not configured correctly; the server log has the details',
    });
  }
  const rawBody = raw.toString('utf8');
  const verdict = trigger.verify(
    { headers: c.req.raw.headers, rawBody, method: 'POST', url: c.req.url },
    opened.webhookSecrets,
    deps.clock.now(),
  );
  if (!verdict.ok) {
    log.warn({ reason: verdict.reason }, 'connector webhook signature rejected');
    return errorResponse(c, { code: 'unauthorized', message: `webhook rejected: ${verdict.reason}` });
  }
  const handshake = trigger.handshake?.(rawBody);
  if (handshake !== undefined) return c.json(handshake.body as object, handshake.status as 200);

  if (flows.length === 0) {
    // A genuine delivery nobody subscribes to (yet): acknowledged, so the System neither retries
    // it nor disables the webhook, and counted as ignored.
    log.debug('verified delivery with no subscribed flow; ignored');
    return c.json({ events: 0, accepted: 0, duplicates: 0, ignored: true }, 200);
  }
  let events: ReturnType<typeof trigger.parse>;
  try {
    events = trigger.parse(rawBody);
  } catch (err) {
    return errorResponse(c, {
      code: 'invalid_input',
      message: `the delivery could not be read: ${toWeftError(err).message}`,
    });
  }
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, name) => {
    if (keptHeaders.test(name.toLowerCase())) headers[name.toLowerCase()] = value;
  });
  let accepted = 0;
  let duplicates = 0;
  for (const event of events) {
    for (const flow of flows) {
      if (flow.types !== undefined && !flow.types.includes(event.type)) continue;
      const result = await deps.ingest.ingest({
        flowName: flow.name,
        source: 'webhook',
        dedupeKey: `hook:${event.dedupeKey}`,
        payload: {
          body: { type: event.type, connection, trigger: triggerName, event: event.payload },
          headers,
          query: {},
        },
      });
      if (result.duplicate) duplicates += 1;
      else accepted += 1;
    }
  }
  log.debug({ events: events.length, accepted, duplicates }, 'connector webhook accepted');
  return c.json({ events: events.length, accepted, duplicates }, 200);
}
