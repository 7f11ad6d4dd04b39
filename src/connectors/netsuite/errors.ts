import type { ClassifyContext } from '../../connector/http-client.js';
import { type ErrorCode, WeftError } from '../../contract/errors.js';

/** One entry of NetSuite's `o:errorDetails`. */
interface ErrorDetail {
  detail?: string;
  code?: string;
  path?: string;
}

/**
 * NetSuite error codes that say more than the status. Codes not listed keep the status mapping
 * (`http-errors.ts`). Retryable: concurrency refusals (REST 429, RESTlet `SSS_REQUEST_LIMIT_EXCEEDED`)
 * and a record changed by someone else between read and save.
 */
const byCode: Record<string, { code: ErrorCode; retryable: boolean }> = {
  INVALID_LOGIN: { code: 'auth', retryable: false },
  INVALID_LOGIN_ATTEMPT: { code: 'auth', retryable: false },
  INSUFFICIENT_PERMISSION: { code: 'forbidden', retryable: false },
  USER_ERROR: { code: 'invalid_input', retryable: false },
  INVALID_CONTENT: { code: 'invalid_input', retryable: false },
  INVALID_PARAMETER: { code: 'invalid_input', retryable: false },
  INVALID_HEADER: { code: 'invalid_input', retryable: false },
  NONEXISTENT_ID: { code: 'not_found', retryable: false },
  IDEMPOTENCY_ERROR: { code: 'conflict', retryable: false },
  RCRD_HAS_BEEN_CHANGED: { code: 'conflict', retryable: true },
  SSS_REQUEST_LIMIT_EXCEEDED: { code: 'rate_limited', retryable: true },
  CONCURRENCY_LIMIT_EXCEEDED: { code: 'rate_limited', retryable: true },
  UNEXPECTED_ERROR: { code: 'unavailable', retryable: true },
};

/**
 * Refines the generic status mapping with NetSuite's problem JSON
 * (`{type, title, status, "o:errorDetails": [{detail, "o:errorCode", "o:errorPath"}]}`): the code
 * decides when it is known, every 429 is a rate limit (concurrency governance; NetSuite sends no
 * Retry-After, so the client backs off exponentially), and details keep the code and field path,
 * never the raw body.
 */
export function classifyNetSuiteError(ctx: ClassifyContext): WeftError {
  const d = readDetail(ctx.body);
  const known = d.code === undefined ? undefined : byCode[d.code];
  let code: ErrorCode = known?.code ?? ctx.error.code;
  let retryable = known?.retryable ?? ctx.error.retryable;
  if (ctx.status === 429) {
    code = 'rate_limited';
    retryable = true;
  }
  const { body: _omitted, ...details } = ctx.error.details;
  return new WeftError({
    code,
    retryable,
    message: `NetSuite ${ctx.status}${d.code ? ` ${d.code}` : ''}: ${d.detail ?? ctx.error.message}`,
    ...(ctx.error.retryAfterMs === undefined ? {} : { retryAfterMs: ctx.error.retryAfterMs }),
    details: {
      ...details,
      ...(d.code ? { netsuiteCode: d.code } : {}),
      ...(d.path ? { field: d.path } : {}),
    },
  });
}

function readDetail(body: unknown): ErrorDetail {
  if (typeof body !== 'object' || body === null) return {};
  const list = (body as Record<string, unknown>)['o:errorDetails'];
  const first = Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined) : undefined;
  if (first === undefined) return {};
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const out: ErrorDetail = {};
  const detail = str(first.detail);
  const code = str(first['o:errorCode']);
  const path = str(first['o:errorPath']);
  if (detail !== undefined) out.detail = detail.slice(0, 300);
  if (code !== undefined) out.code = code;
  if (path !== undefined) out.path = path;
  return out;
}
