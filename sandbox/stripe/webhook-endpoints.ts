import { newId } from './ids.js';
import { mergeMetadata, str } from './objects.js';
import { missingParam, noSuch, ok, type RouteResult, stripeError } from './responses.js';
import type { RouteContext, RouteRequest } from './routes.js';
import type { StripeObject } from './store.js';

/**
 * `/v1/webhook_endpoints`: how a Stripe account is told where to send events. The signing secret is
 * returned once, on creation, exactly as Stripe does; the stored copy stays in the sandbox.
 */
export function webhookEndpointRoutes(
  req: RouteRequest,
  id: string | undefined,
  ctx: RouteContext,
): RouteResult {
  if (id === undefined && req.method === 'GET') {
    const data = ctx.store.all('webhook_endpoint').map(withoutSecret);
    return ok({ object: 'list', data, has_more: false, url: '/v1/webhook_endpoints' });
  }
  if (id === undefined && req.method === 'POST') {
    const url = str(req.params.url);
    if (url === null) return missingParam('url');
    const events = req.params.enabled_events;
    if (!Array.isArray(events) || events.length === 0) return missingParam('enabled_events');
    const endpoint = createWebhookEndpoint({
      url,
      enabledEvents: events.filter((e): e is string => typeof e === 'string'),
      now: ctx.now,
      description: str(req.params.description),
      metadata: mergeMetadata({}, req.params.metadata),
    });
    ctx.store.insert(endpoint);
    return ok(endpoint);
  }
  if (id === undefined)
    return stripeError(404, { type: 'invalid_request_error', message: 'Unrecognized request URL' });
  const endpoint = ctx.store.get('webhook_endpoint', id);
  if (endpoint === undefined) return noSuch('webhook_endpoint', id);
  if (req.method === 'GET') return ok(withoutSecret(endpoint));
  if (req.method === 'DELETE') {
    ctx.store.delete('webhook_endpoint', id);
    return ok({ id, object: 'webhook_endpoint', deleted: true });
  }
  if (req.method === 'POST') {
    const next: StripeObject = { ...endpoint };
    if (typeof req.params.url === 'string') next.url = req.params.url;
    if (Array.isArray(req.params.enabled_events)) next.enabled_events = req.params.enabled_events;
    if (req.params.disabled !== undefined)
      next.status = req.params.disabled === 'true' ? 'disabled' : 'enabled';
    ctx.store.update(next);
    return ok(withoutSecret(next));
  }
  return stripeError(404, { type: 'invalid_request_error', message: 'Unrecognized request URL' });
}

export function createWebhookEndpoint(opts: {
  url: string;
  enabledEvents: string[];
  now: number;
  secret?: string;
  description?: string | null;
  metadata?: Record<string, string>;
}): StripeObject {
  return {
    id: newId('we'),
    object: 'webhook_endpoint',
    api_version: null,
    application: null,
    created: opts.now,
    description: opts.description ?? null,
    enabled_events: opts.enabledEvents,
    livemode: false,
    metadata: opts.metadata ?? {},
    secret: opts.secret ?? newId('whsec', 32),
    status: 'enabled',
    url: opts.url,
  };
}

function withoutSecret(endpoint: StripeObject): StripeObject {
  const { secret: _secret, ...rest } = endpoint;
  return rest as StripeObject;
}
