import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { WebhookDelivery, WebhookTarget } from '../common/webhook-sender.js';
import { listPage } from './paging.js';
import { json } from './responses.js';
import {
  insert,
  isoSeconds,
  load,
  loadAll,
  nowSeconds,
  type Route,
  type ZendeskEvent,
  type ZendeskRecord,
  type ZendeskState,
} from './state.js';

/** A webhook registered through `POST /api/v2/webhooks`; the secret never leaves except via `/signing_secret`. */
export type Webhook = ZendeskRecord & {
  id: string;
  name: string;
  endpoint: string;
  status: 'active' | 'inactive';
  subscriptions: string[];
  secret: string;
};

/** The version Zendesk stamps on event payloads (`zendesk_event_version`). */
const eventVersion = '2022-11-06';

/**
 * `base64(HMAC-SHA256(secret, timestamp + body))`, the timestamp prepended verbatim, as Zendesk signs.
 *
 * @example
 * signZendeskWebhook('secret', '2026-11-01T10:00:00Z', '{"id":"…"}')
 */
export function signZendeskWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret)
    .update(timestamp + body, 'utf8')
    .digest('base64');
}

/** Zendesk webhook ids are 26-character ULIDs; this one is random with the same alphabet. */
function webhookId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return [...randomBytes(26)].map((b) => alphabet[b % 32]).join('');
}

function render(w: Webhook): Record<string, unknown> {
  const { secret: _secret, ...rest } = w;
  return { ...rest, signing_secret: { algorithm: 'SHA256', secret: null } };
}

/**
 * Builds the event payload once and sends it, signed per target and attempt, to the kit's targets
 * (`POST /_sandbox/webhooks`) and to the active webhooks registered through the API that subscribe
 * to its type.
 */
export function emitEvent(state: ZendeskState, e: ZendeskEvent): void {
  const { kit, accountId } = state;
  const registered: WebhookTarget[] = loadAll<Webhook>(state, 'webhook')
    .filter((w) => w.status === 'active' && w.subscriptions.includes(e.type))
    .map((w) => ({ url: w.endpoint, secret: w.secret, events: w.subscriptions }));
  if (kit.webhooks.targets.length === 0 && registered.length === 0) return;
  const body = JSON.stringify({
    account_id: accountId,
    detail: e.detail,
    event: e.event,
    id: randomUUID(),
    subject: e.subject,
    time: isoSeconds(kit.now()),
    type: e.type,
    zendesk_event_version: eventVersion,
  });
  const delivery: WebhookDelivery = {
    type: e.type,
    body,
    headers: (target, timestampMs) => {
      const timestamp = isoSeconds(timestampMs);
      return {
        'user-agent': 'Zendesk Webhook',
        'x-zendesk-account-id': String(accountId),
        'x-zendesk-webhook-id': webhookIdFor(state, target),
        'x-zendesk-webhook-invocation-id': String(Math.floor(Math.random() * 1e12)),
        'x-zendesk-webhook-signature-timestamp': timestamp,
        'x-zendesk-webhook-signature': signZendeskWebhook(target.secret, timestamp, body),
      };
    },
  };
  void kit.webhooks.send(delivery);
  if (registered.length > 0) void kit.webhooks.sendTo(registered, delivery);
}

/** The id a delivery names: the registered webhook's, or a stable one for a kit target. */
export function webhookIdFor(state: ZendeskState, target: WebhookTarget): string {
  const registered = loadAll<Webhook>(state, 'webhook').find(
    (w) => w.endpoint === target.url && w.secret === target.secret,
  );
  return (
    registered?.id ??
    `SANDBOX${createHash('sha256').update(target.url).digest('hex').slice(0, 19).toUpperCase()}`
  );
}

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const formats = ['json', 'xml', 'form_encoded'];

/** The webhooks API answers errors as `{errors: [{code, title, detail}]}`. */
function invalid(detail: string) {
  return json(400, { errors: [{ code: 'InvalidInput', title: 'Invalid input', detail }] });
}

const create: Route = (state, req) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    return invalid('The request body is not valid JSON');
  }
  const w = (parsed as { webhook?: Record<string, unknown> } | null)?.webhook;
  if (typeof w !== 'object' || w === null) return invalid('Expected a "webhook" object');
  const endpoint = w.endpoint;
  if (typeof w.name !== 'string' || w.name.trim() === '') return invalid('name is required');
  if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) return invalid('endpoint must be a URL');
  if (!methods.includes(String(w.http_method)))
    return invalid(`http_method must be one of ${methods.join(', ')}`);
  if (!formats.includes(String(w.request_format)))
    return invalid(`request_format must be one of ${formats.join(', ')}`);
  if (w.status !== 'active' && w.status !== 'inactive') return invalid('status must be active or inactive');
  const subscriptions = Array.isArray(w.subscriptions)
    ? w.subscriptions.filter((s): s is string => typeof s === 'string')
    : [];
  if (subscriptions.length === 0) return invalid('subscriptions must name at least one event');
  const given = (w.signing_secret as { secret?: unknown } | undefined)?.secret;
  const at = isoSeconds(nowSeconds(state));
  const hook: Webhook = {
    id: webhookId(),
    name: w.name,
    status: w.status,
    endpoint,
    http_method: w.http_method,
    request_format: w.request_format,
    subscriptions,
    authentication: w.authentication ?? null,
    created_at: at,
    created_by: '0',
    updated_at: at,
    updated_by: '0',
    secret: typeof given === 'string' && given !== '' ? given : randomBytes(32).toString('base64url'),
  };
  insert(state, 'webhook', hook);
  return json(201, { webhook: render(hook) });
};

const list: Route = (state, req) =>
  listPage(
    // The webhooks API pages by cursor only.
    { ...req, query: withCursorPaging(req.query) },
    loadAll<Webhook>(state, 'webhook').map((w) => ({ ...render(w), id: w.id })) as ZendeskRecord[],
    'webhooks',
  );

function withCursorPaging(query: URLSearchParams): URLSearchParams {
  const q = new URLSearchParams(query);
  if (!q.has('page[size]')) q.set('page[size]', '100');
  return q;
}

const show: Route = (state, _req, [id]) => {
  const w = load<Webhook>(state, 'webhook', id ?? '')?.data;
  return w
    ? json(200, { webhook: render(w) })
    : json(404, { errors: [{ code: 'WebhookNotFound', title: 'Webhook not found' }] });
};

const secret: Route = (state, _req, [id]) => {
  const w = load<Webhook>(state, 'webhook', id ?? '')?.data;
  return w
    ? json(200, { signing_secret: { algorithm: 'SHA256', secret: w.secret } })
    : json(404, { errors: [{ code: 'WebhookNotFound', title: 'Webhook not found' }] });
};

const remove: Route = (state, _req, [id]) => {
  const w = load<Webhook>(state, 'webhook', id ?? '')?.data;
  if (!w) return json(404, { errors: [{ code: 'WebhookNotFound', title: 'Webhook not found' }] });
  state.kit.store.delete('webhook', w.id);
  return { status: 204 };
};

export const webhookRoutes: [string, RegExp, Route][] = [
  ['POST', /^\/api\/v2\/webhooks$/, create],
  ['GET', /^\/api\/v2\/webhooks$/, list],
  ['GET', /^\/api\/v2\/webhooks\/([0-9A-Z]+)$/, show],
  ['DELETE', /^\/api\/v2\/webhooks\/([0-9A-Z]+)$/, remove],
  ['GET', /^\/api\/v2\/webhooks\/([0-9A-Z]+)\/signing_secret$/, secret],
];
