import type { ClassifyContext } from '../../connector/http-client.js';
import { WeftError } from '../../contract/errors.js';

/** Stripe's error envelope: `{error: {type, code, message, param}}`. */
interface StripeErrorBody {
  type?: string;
  code?: string;
  message?: string;
  param?: string;
}

/** Stripe echoes a masked key in auth errors (`sk_test_****abcd`); nothing key-like leaves the connector. */
const keyPattern = /\b(sk|rk|pk|whsec)_[A-Za-z0-9_*]+/g;

/**
 * Refines the generic status mapping with Stripe's own signals: `Stripe-Should-Retry` overrides the
 * verdict, 402 card errors are final, 409 (another request with the same key is in flight) and
 * `lock_timeout` pass if retried. Details keep Stripe's type/code/param, never the raw body.
 */
export function classifyStripeError(ctx: ClassifyContext): WeftError {
  const e = readError(ctx.body);
  let code = ctx.error.code;
  let retryable = ctx.error.retryable;
  if (ctx.status === 402) {
    code = 'invalid_input';
    retryable = false;
  } else if (ctx.status === 409) {
    code = 'conflict';
    retryable = true;
  } else if (e.code === 'lock_timeout') {
    code = 'rate_limited';
    retryable = true;
  }
  const hint = ctx.headers.get('stripe-should-retry');
  if (hint === 'true') retryable = true;
  if (hint === 'false') retryable = false;
  const message = `Stripe ${ctx.status} ${e.type ?? 'error'}${e.code ? ` (${e.code})` : ''}: ${scrub(e.message ?? ctx.error.message)}`;
  const { body: _omitted, ...details } = ctx.error.details;
  return new WeftError({
    code,
    message,
    retryable,
    ...(ctx.error.retryAfterMs === undefined ? {} : { retryAfterMs: ctx.error.retryAfterMs }),
    details: {
      ...details,
      ...(e.type ? { stripeType: e.type } : {}),
      ...(e.code ? { stripeCode: e.code } : {}),
      ...(e.param ? { param: e.param } : {}),
      ...(ctx.headers.get('request-id') ? { requestId: ctx.headers.get('request-id') } : {}),
    },
  });
}

function readError(body: unknown): StripeErrorBody {
  if (typeof body !== 'object' || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const pick = (k: keyof StripeErrorBody) => {
    const v = (error as Record<string, unknown>)[k];
    return typeof v === 'string' ? v : undefined;
  };
  const out: StripeErrorBody = {};
  for (const k of ['type', 'code', 'message', 'param'] as const) {
    const v = pick(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function scrub(text: string): string {
  return text.replace(keyPattern, '[redacted]');
}
