import { createHash } from 'node:crypto';
import type { SandboxKit, SandboxRequest, SandboxResponse, SandboxSystem } from '../common/server.js';
import { decodeForm, type Params } from './form.js';
import { newId } from './ids.js';
import { buildCustomer } from './objects.js';
import { buildEvent, seedPrices } from './objects-payments.js';
import { type RouteResult, stripeError } from './responses.js';
import { route } from './routes.js';
import { seedStripeBusiness } from './seed.js';
import { type StripeObject, StripeStore } from './store.js';
import { stripeDelivery, subscribedEndpoints } from './webhooks.js';

/** Idempotent results older than this are not replayed, as Stripe prunes after at least 24 hours. */
const idempotencyRetentionMs = 24 * 3600_000;

export interface StripeSystemOptions {
  apiKeys: readonly string[];
  /** The version answered when a request pins none: the account default. */
  apiVersion: string;
}

/** Stripe's JSON (pretty, as Stripe sends it) with its request headers. */
function answer(r: { status: number; body: unknown }, headers: Record<string, string>): SandboxResponse {
  return {
    status: r.status,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2),
  };
}

function baseHeaders(req: SandboxRequest, opts: StripeSystemOptions): Record<string, string> {
  return {
    'request-id': newId('req', 14),
    'stripe-version': req.headers['stripe-version'] ?? opts.apiVersion,
  };
}

/**
 * Stripe as a sandbox System. The kit does auth → rate limit → faults → route → dropped answers;
 * this adds what is Stripe's own: form-encoded parameters, the API version check, idempotency
 * keys (replay with `Idempotent-Replayed`, `idempotency_error` on other parameters, 409 while the
 * first request is in flight, validation errors not saved), events for every change delivered to
 * `/v1/webhook_endpoints` (and kit targets) with `Stripe-Signature`, and newest-first listing.
 */
export function stripeSystem(kit: SandboxKit, opts: StripeSystemOptions): SandboxSystem {
  const store = new StripeStore(kit.store, kit.now);
  /** Idempotency keys whose first request is still executing (Stripe answers 409 to a second). */
  const inflight = new Set<string>();
  const nowSeconds = () => Math.floor(kit.now() / 1000);

  const execute = (
    req: SandboxRequest,
    params: Params,
    ctx: { requestId: string; key: string | null; apiVersion: string },
  ): RouteResult => {
    const emitted: { type: string; object: StripeObject; previous?: Record<string, unknown> }[] = [];
    const result = route(
      { method: req.method, path: req.path, params, query: decodeForm(req.url.search.replace(/^\?/, '')) },
      {
        store,
        now: nowSeconds(),
        emit: (type, object, previous) => emitted.push({ type, object, ...(previous ? { previous } : {}) }),
      },
    );
    for (const e of emitted) {
      const endpoints = subscribedEndpoints(store, e.type);
      const event = buildEvent({
        type: e.type,
        object: e.object,
        ...(e.previous ? { previous: e.previous } : {}),
        apiVersion: ctx.apiVersion,
        requestId: ctx.requestId,
        idempotencyKey: ctx.key,
        pendingWebhooks: endpoints.length,
        now: nowSeconds(),
      });
      store.insert(event);
      const delivery = stripeDelivery(event);
      void kit.webhooks.sendTo(endpoints, delivery);
      void kit.webhooks.send(delivery);
    }
    return result;
  };

  return {
    name: 'stripe',
    authenticate(req) {
      const header = req.headers.authorization;
      let key: string | undefined;
      if (header?.startsWith('Bearer ')) key = header.slice(7).trim();
      else if (header?.startsWith('Basic '))
        key = Buffer.from(header.slice(6), 'base64').toString().split(':')[0];
      if (key === undefined || key === '') {
        return answer(
          stripeError(401, {
            type: 'invalid_request_error',
            message:
              "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
          }),
          baseHeaders(req, opts),
        );
      }
      if (!opts.apiKeys.includes(key)) {
        // Stripe echoes the key masked, never whole.
        const masked = `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
        return answer(
          stripeError(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${masked}` }),
          baseHeaders(req, opts),
        );
      }
      return key;
    },
    // Stripe answers 429 `rate_limit` and sends no rate-limit headers.
    rateLimited(req) {
      return answer(
        stripeError(429, {
          type: 'invalid_request_error',
          code: 'rate_limit',
          message:
            'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
        }),
        baseHeaders(req, opts),
      );
    },
    serverError(req) {
      return answer(
        stripeError(500, {
          type: 'api_error',
          message: 'An unknown error occurred (injected by the Weft sandbox).',
        }),
        { ...baseHeaders(req, opts), 'stripe-should-retry': 'true' },
      );
    },
    handle(req, account) {
      const headers = baseHeaders(req, opts);
      const version = headers['stripe-version'] as string;
      const requestId = headers['request-id'] as string;
      if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(version)) {
        return answer(
          stripeError(400, {
            type: 'invalid_request_error',
            message: `Invalid Stripe API version: ${version}`,
          }),
          headers,
        );
      }
      const params: Params = req.method === 'POST' ? decodeForm(req.body) : {};
      // Stripe ignores Idempotency-Key on GET and DELETE: they are idempotent already.
      const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
      if (key === undefined)
        return answer(execute(req, params, { requestId, key: null, apiVersion: version }), headers);
      headers['idempotency-key'] = key;
      if (key.length > 255) {
        return answer(
          stripeError(400, {
            type: 'invalid_request_error',
            message: 'Idempotency-Key must be at most 255 characters long.',
          }),
          headers,
        );
      }
      const fingerprint = createHash('sha256')
        .update(JSON.stringify([req.method, req.path, canonical(params)]))
        .digest('hex');
      const saved = kit.store.getAnswer(account, key, kit.now() - idempotencyRetentionMs);
      if (saved !== undefined) {
        if (saved.fingerprint !== fingerprint) {
          return answer(
            stripeError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            }),
            headers,
          );
        }
        return answer(
          { status: saved.status, body: saved.body },
          { ...headers, 'idempotent-replayed': 'true' },
        );
      }
      const slot = `${account}\u0000${key}`;
      if (inflight.has(slot)) {
        return answer(
          stripeError(409, {
            type: 'idempotency_error',
            code: 'idempotency_key_in_use',
            message:
              'There is currently another in-progress request using this Stripe API key and idempotency key. Please try again later.',
          }),
          headers,
        );
      }
      inflight.add(slot);
      try {
        const result = execute(req, params, { requestId, key, apiVersion: version });
        const body = JSON.stringify(result.body, null, 2);
        // Only requests that started executing are saved: a validation error may be retried corrected.
        if (result.executed)
          kit.store.putAnswer(account, key, {
            fingerprint,
            status: result.status,
            body,
            createdMs: kit.now(),
          });
        return answer({ status: result.status, body }, headers);
      } finally {
        inflight.delete(slot);
      }
    },
    isWrite: (req) => req.method === 'POST' || req.method === 'DELETE',
    seed({ business }) {
      inflight.clear();
      for (const price of seedPrices(nowSeconds()))
        if (store.get('price', price.id) === undefined) store.insert(price);
      if (business) seedStripeBusiness(store);
    },
    admin(method, path, body) {
      if (path !== '/_sandbox/seed' || method !== 'POST') return undefined;
      const { customers = 0 } = (body ?? {}) as { customers?: number };
      const count = Math.max(0, Math.min(Number(customers) || 0, 10_000));
      kit.store.transaction(() => {
        for (let i = 0; i < count; i++) {
          const n = store.count('customer') + 1;
          store.insert(
            buildCustomer(decodeForm(`email=seed${n}%40example.com&name=Seed+${n}`), nowSeconds()),
          );
        }
      });
      return { status: 200, body: { seeded: { customers: count } } };
    },
    counts() {
      const out: Record<string, number> = {};
      for (const type of [
        'customer',
        'invoice',
        'charge',
        'subscription',
        'event',
        'webhook_endpoint',
        'price',
      ])
        out[type] = store.count(type);
      return out;
    },
  };
}

/** Parameters compared for idempotency regardless of the order they were sent in. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}
