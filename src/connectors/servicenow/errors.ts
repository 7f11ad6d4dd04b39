import type { ClassifyContext } from '../../connector/http-client.js';
import { parseRetryAfter } from '../../connector/http-errors.js';
import { type RateLimitHeaderReader, retryAfterHeader } from '../../connector/rate-limiter.js';
import { WeftError } from '../../contract/errors.js';

/**
 * When a ServiceNow rate-limit rule refuses a request: `Retry-After` (seconds) when sent, else
 * `X-RateLimit-Reset` (epoch seconds, the end of the rule's window). ServiceNow sends no
 * "remaining" count, so the limiter learns only from the 429 itself.
 */
export function serviceNowRateLimitWaitMs(headers: Headers, now: number): number | undefined {
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('x-ratelimit-reset'));
  return headers.get('x-ratelimit-reset') !== null && Number.isFinite(reset) && reset > 0
    ? Math.max(0, reset * 1000 - now)
    : undefined;
}

/** The Connection's limiter pauses every request until the rule's window admits again. */
export const serviceNowRateLimitHeaders: RateLimitHeaderReader = (res) => {
  if (res.status !== 429) return retryAfterHeader(res);
  const wait = serviceNowRateLimitWaitMs(res.headers, res.now);
  return wait === undefined ? {} : { pauseUntil: res.now + wait };
};

/** `{"error":{"message","detail"},"status":"failure"}`. */
function readError(body: unknown): { message?: string; detail?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return {};
  const { message, detail } = error as { message?: unknown; detail?: unknown };
  return {
    ...(typeof message === 'string' ? { message } : {}),
    ...(typeof detail === 'string' ? { detail } : {}),
  };
}

/**
 * Refines the generic status mapping with ServiceNow's error body: its message and detail go in
 * the error (never the raw body), 403 stays `forbidden` (an ACL, business rule or data policy said
 * no: retrying will not help), and a 429 carries its wait from Retry-After or X-RateLimit-Reset.
 */
export function classifyServiceNowError(ctx: ClassifyContext): WeftError {
  const e = readError(ctx.body);
  const retryAfterMs =
    ctx.status === 429
      ? (serviceNowRateLimitWaitMs(ctx.headers, Date.now()) ?? ctx.error.retryAfterMs)
      : ctx.error.retryAfterMs;
  const what = e.message ?? ctx.error.message;
  const message = `ServiceNow ${ctx.status}: ${what}${e.detail ? ` (${e.detail})` : ''}`;
  const { body: _omitted, ...details } = ctx.error.details;
  return new WeftError({
    code: ctx.error.code,
    message,
    retryable: ctx.error.retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    details: {
      ...details,
      ...(e.message ? { serviceNowMessage: e.message } : {}),
      ...(e.detail ? { serviceNowDetail: e.detail } : {}),
      ...(ctx.headers.get('x-ratelimit-rule') ? { rateLimitRule: ctx.headers.get('x-ratelimit-rule') } : {}),
    },
  });
}
