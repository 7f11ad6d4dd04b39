import type { ClassifyContext } from '../../connector/http-client.js';
import { type RateLimitHeaderReader, retryAfterHeader } from '../../connector/rate-limiter.js';
import { type ErrorCode, WeftError } from '../../contract/errors.js';

/** One entry of Salesforce's error array (`[{message, errorCode, fields}]`). */
interface SalesforceErrorItem {
  errorCode?: string;
  message?: string;
  fields?: string[];
}

/**
 * How long to wait after the org's daily API allocation is spent (403 REQUEST_LIMIT_EXCEEDED):
 * the allocation is a rolling 24 hours, so retrying in seconds only burns attempts.
 */
export const defaultRequestLimitRetryAfterMs = 15 * 60_000;
/** "ConcurrentRequests" (too many long-running requests) clears as soon as one finishes. */
const concurrentLimitRetryAfterMs = 5_000;

/** A session id (`00D…!…`) can appear in echoed text; nothing session-like leaves the connector. */
const sessionPattern = /\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]+/g;

const byErrorCode: Record<string, { code: ErrorCode; retryable: boolean }> = {
  INVALID_SESSION_ID: { code: 'auth', retryable: false },
  INSUFFICIENT_ACCESS_OR_READONLY: { code: 'forbidden', retryable: false },
  INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY: { code: 'forbidden', retryable: false },
  API_DISABLED_FOR_ORG: { code: 'forbidden', retryable: false },
  API_CURRENTLY_DISABLED: { code: 'unavailable', retryable: true },
  NOT_FOUND: { code: 'not_found', retryable: false },
  ENTITY_IS_DELETED: { code: 'not_found', retryable: false },
  DUPLICATE_VALUE: { code: 'conflict', retryable: false },
  DUPLICATES_DETECTED: { code: 'conflict', retryable: false },
  // Row-lock contention between concurrent transactions passes when retried.
  UNABLE_TO_LOCK_ROW: { code: 'conflict', retryable: true },
  SERVER_UNAVAILABLE: { code: 'unavailable', retryable: true },
  UNKNOWN_EXCEPTION: { code: 'unavailable', retryable: true },
};

/**
 * Refines the generic status mapping with Salesforce's error array: the daily-limit 403
 * (REQUEST_LIMIT_EXCEEDED) is `rate_limited` and retryable with a long `retryAfterMs`; 401
 * INVALID_SESSION_ID is `auth`; 300 (an external id matching several records) is a `conflict`.
 * Details keep `errorCode` and `fields`, never the raw body.
 *
 * @example
 * http: { classify: classifySalesforceError({ requestLimitRetryAfterMs: 60_000 }) }
 */
export function classifySalesforceError(opts: { requestLimitRetryAfterMs?: number } = {}) {
  const limitWait = opts.requestLimitRetryAfterMs ?? defaultRequestLimitRetryAfterMs;
  return (ctx: ClassifyContext): WeftError => {
    const first = readErrors(ctx.body)[0] ?? {};
    const errorCode = first.errorCode;
    let code = ctx.error.code;
    let retryable = ctx.error.retryable;
    let retryAfterMs = ctx.error.retryAfterMs;
    const known = errorCode === undefined ? undefined : byErrorCode[errorCode];
    if (errorCode === 'REQUEST_LIMIT_EXCEEDED') {
      code = 'rate_limited';
      retryable = true;
      retryAfterMs = /concurrent/i.test(first.message ?? '') ? concurrentLimitRetryAfterMs : limitWait;
    } else if (known !== undefined) {
      code = known.code;
      retryable = known.retryable;
    } else if (ctx.status === 300) {
      code = 'conflict';
      retryable = false;
    }
    const what =
      ctx.status === 300
        ? 'the external id matches several records'
        : scrub(first.message ?? ctx.error.message);
    const { body: _omitted, ...details } = ctx.error.details;
    const limitInfo = ctx.headers.get('sforce-limit-info');
    return new WeftError({
      code,
      message: `Salesforce ${ctx.status}${errorCode ? ` ${errorCode}` : ''}: ${what}`,
      retryable,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      details: {
        ...details,
        ...(errorCode ? { errorCode } : {}),
        ...(first.fields && first.fields.length > 0 ? { fields: first.fields } : {}),
        ...(limitInfo ? { sforceLimitInfo: limitInfo } : {}),
      },
    });
  };
}

/**
 * Reads `Sforce-Limit-Info: api-usage=used/max` (on every REST answer). When the org's allocation
 * is used up, the Connection pauses for `retryAfterMs` instead of sending requests that would each
 * be refused; 429/503 `Retry-After` is honoured as everywhere.
 *
 * @example
 * sforceLimitInfoReader({ retryAfterMs: 900_000 })({ status: 200, headers, now }) // { pauseUntil } when used ≥ max
 */
export function sforceLimitInfoReader(opts: { retryAfterMs?: number } = {}): RateLimitHeaderReader {
  const wait = opts.retryAfterMs ?? defaultRequestLimitRetryAfterMs;
  return (res) => {
    const usage = parseApiUsage(res.headers.get('sforce-limit-info'));
    if (usage !== undefined && usage.used >= usage.max) return { pauseUntil: res.now + wait };
    return retryAfterHeader(res);
  };
}

/** `api-usage=18/5000`, possibly followed by `; per-app-api-usage=17/250(appName=…)`, which is not the org's. */
export function parseApiUsage(header: string | null): { used: number; max: number } | undefined {
  const m = /(?:^|[;,\s])api-usage=(\d+)\/(\d+)/.exec(header ?? '');
  return m ? { used: Number(m[1]), max: Number(m[2]) } : undefined;
}

function readErrors(body: unknown): SalesforceErrorItem[] {
  const list = Array.isArray(body) ? body : [];
  return list
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({
      ...(typeof e.errorCode === 'string' ? { errorCode: e.errorCode } : {}),
      ...(typeof e.message === 'string' ? { message: e.message } : {}),
      ...(Array.isArray(e.fields)
        ? { fields: e.fields.filter((f): f is string => typeof f === 'string') }
        : {}),
    }));
}

function scrub(text: string): string {
  return text.replace(sessionPattern, '[redacted]');
}
