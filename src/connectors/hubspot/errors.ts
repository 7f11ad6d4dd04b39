import type { ClassifyContext } from '../../connector/http-client.js';
import { WeftError } from '../../contract/errors.js';

/** HubSpot's error envelope (`Error` in the spec) plus the rate-limit fields of a 429. */
interface HubSpotErrorBody {
  message?: string;
  category?: string;
  subCategory?: string;
  correlationId?: string;
  policyName?: string;
  errorCodes: string[];
}

/** Bearer tokens HubSpot might echo: private-app tokens (`pat-…`) and OAuth access tokens. */
const tokenPattern = /\b(pat-[a-z0-9]+-[A-Za-z0-9-]+|CO[A-Za-z0-9_-]{30,})\b/g;

/**
 * Refines the generic status mapping with HubSpot's own body: a 429 whose policy is `DAILY`
 * waits for the next day (the engine's durable back-off, not the client's), a 409 keeps the
 * `Existing ID` HubSpot names, validation errors keep their codes (`PROPERTY_DOESNT_EXIST`,
 * `INVALID_EMAIL`) and property names. Details never carry the response body.
 */
export function classifyHubSpotError(ctx: ClassifyContext): WeftError {
  const e = readError(ctx.body);
  let code = ctx.error.code;
  let retryable = ctx.error.retryable;
  let retryAfterMs = ctx.error.retryAfterMs;
  if (ctx.status === 429) {
    code = 'rate_limited';
    retryable = true;
    if (e.policyName === 'DAILY') retryAfterMs ??= untilNextUtcDay(Date.now());
  } else if (ctx.status === 401) {
    code = 'auth';
    retryable = false;
  } else if (ctx.status === 403) {
    // MISSING_SCOPES: the token works but lacks a scope; fixing it is a credentials change.
    code = e.category === 'MISSING_SCOPES' ? 'auth' : 'forbidden';
    retryable = false;
  }
  const existingId = /Existing ID:\s*(\d+)/i.exec(e.message ?? '')?.[1];
  const message = `HubSpot ${ctx.status} ${e.category ?? 'error'}: ${scrub(e.message ?? ctx.error.message).slice(0, 300)}`;
  const { body: _omitted, ...details } = ctx.error.details;
  return new WeftError({
    code,
    message,
    retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    details: {
      ...details,
      ...(e.category ? { category: e.category } : {}),
      ...(e.subCategory ? { subCategory: e.subCategory } : {}),
      ...(e.policyName ? { policyName: e.policyName } : {}),
      ...(e.errorCodes.length > 0 ? { errorCodes: e.errorCodes } : {}),
      ...(existingId ? { existingId } : {}),
      ...(e.correlationId ? { correlationId: e.correlationId } : {}),
    },
  });
}

function readError(body: unknown): HubSpotErrorBody {
  if (typeof body !== 'object' || body === null) return { errorCodes: [] };
  const b = body as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const errors = Array.isArray(b.errors) ? b.errors : [];
  const errorCodes = errors
    .map((x) => (typeof x === 'object' && x !== null ? str((x as Record<string, unknown>).code) : undefined))
    .filter((c): c is string => c !== undefined);
  const out: HubSpotErrorBody = { errorCodes: [...new Set(errorCodes)] };
  const message = str(b.message);
  const category = str(b.category);
  const subCategory = str(b.subCategory);
  const correlationId = str(b.correlationId);
  const policyName = str(b.policyName);
  if (message !== undefined) out.message = message;
  if (category !== undefined) out.category = category;
  if (subCategory !== undefined) out.subCategory = subCategory;
  if (correlationId !== undefined) out.correlationId = correlationId;
  if (policyName !== undefined) out.policyName = policyName;
  return out;
}

/**
 * HubSpot resets the daily allowance at midnight in the portal's time zone, which the API does not
 * say; the next UTC midnight is the estimate (a retry that comes early is refused and waits again).
 */
function untilNextUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - now;
}

function scrub(text: string): string {
  return text.replace(tokenPattern, '[redacted]');
}
