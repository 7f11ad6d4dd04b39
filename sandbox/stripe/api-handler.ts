import { createHash } from 'node:crypto';
import { decodeForm, type Params } from './form.js';
import { newId } from './ids.js';
import { buildEvent } from './objects-payments.js';
import { type RouteResult, stripeError } from './responses.js';
import { route } from './routes.js';
import type { SandboxState } from './state.js';
import type { StripeObject } from './store.js';
import { deliver, subscribedEndpoints } from './webhooks.js';

/** What the node:http layer does with a handled request. */
export type ApiOutcome =
  | { kind: 'respond'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'drop' }
  | { kind: 'hang' };

export interface ApiRequest {
  method: string;
  path: string;
  search: string;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Idempotent results older than this are pruned, as Stripe prunes after at least 24 hours. */
const idempotencyRetentionMs = 24 * 3600_000;

/**
 * The Stripe API surface in the order Stripe applies it: authentication, rate limit, injected
 * faults, idempotency (replay, mismatch, in-flight), then the route; events emitted by the route
 * are stored and delivered to subscribed webhook endpoints after the response is decided.
 */
export async function handleApi(
  req: ApiRequest,
  state: SandboxState,
  opts: { apiKeys: readonly string[]; apiVersion: string },
): Promise<ApiOutcome> {
  state.requests += 1;
  const requestId = newId('req', 14);
  const version = req.headers['stripe-version'] ?? opts.apiVersion;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'request-id': requestId,
    'stripe-version': version,
  };
  const respond = (r: { status: number; body: unknown }, extra: Record<string, string> = {}): ApiOutcome => ({
    kind: 'respond',
    status: r.status,
    headers: { ...headers, ...extra },
    body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2),
  });

  const account = authenticate(req.headers.authorization, opts.apiKeys);
  if (typeof account !== 'string') return respond(account);
  if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(version)) {
    return respond(
      stripeError(400, { type: 'invalid_request_error', message: `Invalid Stripe API version: ${version}` }),
    );
  }
  if (!state.limiter.allow(account, state.faults.rateLimit, state.nowMs())) {
    return respond(
      stripeError(429, {
        type: 'invalid_request_error',
        code: 'rate_limit',
        message:
          'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
      }),
    );
  }
  const f = state.faults;
  if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
  if (Math.random() < f.timeoutRate) return { kind: 'hang' };
  if (f.failNext > 0 || Math.random() < f.errorRate) {
    if (f.failNext > 0) f.failNext -= 1;
    return respond(
      stripeError(500, {
        type: 'api_error',
        message: 'An unknown error occurred (injected by the Weft sandbox).',
      }),
      { 'stripe-should-retry': 'true' },
    );
  }

  const params: Params = req.method === 'POST' ? decodeForm(req.body) : {};
  const query = decodeForm(req.search.replace(/^\?/, ''));
  // Stripe ignores Idempotency-Key on GET and DELETE: they are idempotent already.
  const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
  if (key !== undefined) {
    headers['idempotency-key'] = key;
    if (key.length > 255) {
      return respond(
        stripeError(400, {
          type: 'invalid_request_error',
          message: 'Idempotency-Key must be at most 255 characters long.',
        }),
      );
    }
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([req.method, req.path, canonical(params)]))
      .digest('hex');
    const saved = state.store.getIdempotent(account, key, state.nowMs() - idempotencyRetentionMs);
    if (saved !== undefined) {
      if (saved.fingerprint !== fingerprint) {
        return respond(
          stripeError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          }),
        );
      }
      return respond({ status: saved.status, body: saved.body }, { 'idempotent-replayed': 'true' });
    }
    const slot = `${account}\u0000${key}`;
    if (state.inflight.has(slot)) {
      return respond(
        stripeError(409, {
          type: 'idempotency_error',
          code: 'idempotency_key_in_use',
          message:
            'There is currently another in-progress request using this Stripe API key and idempotency key. Please try again later.',
        }),
      );
    }
    state.inflight.add(slot);
    try {
      const result = execute(req, params, query, { state, requestId, key, apiVersion: version });
      const body = JSON.stringify(result.body, null, 2);
      if (result.executed) {
        state.store.putIdempotent(account, key, {
          fingerprint,
          status: result.status,
          body,
          createdAt: state.nowMs(),
        });
      }
      return afterWrite(state, respond({ status: result.status, body }));
    } finally {
      state.inflight.delete(slot);
    }
  }
  const result = execute(req, params, query, { state, requestId, key: null, apiVersion: version });
  return req.method === 'POST' ? afterWrite(state, respond(result)) : respond(result);
}

/** A write answered normally, or dropped after it was applied when the fault says so. */
function afterWrite(state: SandboxState, outcome: ApiOutcome): ApiOutcome {
  if (state.faults.dropNextResponses > 0) {
    state.faults.dropNextResponses -= 1;
    return { kind: 'drop' };
  }
  return outcome;
}

function execute(
  req: ApiRequest,
  params: Params,
  query: Params,
  ctx: { state: SandboxState; requestId: string; key: string | null; apiVersion: string },
): RouteResult {
  const { state } = ctx;
  const emitted: { type: string; object: StripeObject; previous?: Record<string, unknown> }[] = [];
  const result = route(
    { method: req.method, path: req.path, params, query },
    {
      store: state.store,
      now: state.nowSeconds(),
      emit: (type, object, previous) => emitted.push({ type, object, ...(previous ? { previous } : {}) }),
    },
  );
  for (const e of emitted) {
    const endpoints = subscribedEndpoints(state.store, e.type);
    const event = buildEvent({
      type: e.type,
      object: e.object,
      ...(e.previous ? { previous: e.previous } : {}),
      apiVersion: ctx.apiVersion,
      requestId: ctx.requestId,
      idempotencyKey: ctx.key,
      pendingWebhooks: endpoints.length,
      now: state.nowSeconds(),
    });
    state.store.insert(event);
    for (const endpoint of endpoints) {
      void deliver({
        endpoint,
        event,
        nowSeconds: () => state.nowSeconds(),
        onDelivered: (ok) => {
          if (ok) state.deliveries.succeeded += 1;
          else state.deliveries.failed += 1;
        },
      });
    }
  }
  return result;
}

/** Bearer or Basic (key as user name); a wrong key is echoed masked, as Stripe does. */
function authenticate(
  header: string | undefined,
  keys: readonly string[],
): string | { status: number; body: unknown } {
  let key: string | undefined;
  if (header?.startsWith('Bearer ')) key = header.slice(7).trim();
  else if (header?.startsWith('Basic '))
    key = Buffer.from(header.slice(6), 'base64').toString().split(':')[0];
  if (key === undefined || key === '') {
    return stripeError(401, {
      type: 'invalid_request_error',
      message:
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    });
  }
  if (!keys.includes(key)) {
    const masked = `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
    return stripeError(401, {
      type: 'invalid_request_error',
      message: `Invalid API Key provided: ${masked}`,
    });
  }
  return key;
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
