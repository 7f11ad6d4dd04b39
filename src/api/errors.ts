/**
 * The one place where failures become HTTP responses. Every error body has the same shape,
 * `{ error: { code, message, details? } }`, and nothing internal (stack traces, causes, SQL,
 * secret values) ever reaches a client.
 *
 * @module
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { type ErrorCode, WeftError } from '../contract/errors.js';
import type { Logger } from '../observability/logger.js';

/**
 * Codes an API error body may carry: every WeftError code, plus `config_error` for a server
 * that is misconfigured (e.g. a webhook's signing secret is not set), which is the operator's
 * problem, not the caller's.
 */
export type ApiErrorCode = ErrorCode | 'config_error';

/** HTTP status of each code. Exhaustive, so a new ErrorCode fails to build until it is mapped. */
const statusByCode: Record<ApiErrorCode, ContentfulStatusCode> = {
  invalid_input: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  auth: 500,
  rate_limited: 429,
  unavailable: 503,
  timeout: 503,
  network: 500,
  http_error: 500,
  expression_error: 500,
  expression_timeout: 500,
  policy_denied: 500,
  lease_lost: 500,
  internal: 500,
  config_error: 500,
};

/** The HTTP status for an error code. @example httpStatusFor('not_found') // 404 */
export function httpStatusFor(code: ApiErrorCode): ContentfulStatusCode {
  return statusByCode[code];
}

/** The error body every route documents and returns. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_input' }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi('Error');
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Builds an error response; the status follows from the code. */
export function errorResponse(
  c: Context,
  opts: { code: ApiErrorCode; message: string; details?: Record<string, unknown> },
): Response {
  const body: ErrorBody = {
    error: {
      code: opts.code,
      message: opts.message,
      ...(opts.details && Object.keys(opts.details).length > 0 ? { details: opts.details } : {}),
    },
  };
  return c.json(body, httpStatusFor(opts.code));
}

/** Reusable OpenAPI response entries for the error statuses a route may return. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409 | 413 | 500)[]) {
  const descriptions = {
    400: 'Invalid input',
    401: 'Missing or unknown bearer token',
    403: 'The token role may not do this',
    404: 'Not found',
    409: 'Conflict',
    413: 'Payload too large',
    500: 'Server error',
  } as const;
  const out: Partial<
    Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }>
  > = {};
  for (const s of statuses) {
    out[s] = { description: descriptions[s], content: { 'application/json': { schema: ErrorBody } } };
  }
  return out;
}

/** Codes that describe the caller's mistake; their messages are safe and useful to return. */
const clientCodes = new Set<ApiErrorCode>([
  'invalid_input',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
]);

function codeForHttpStatus(status: number): ApiErrorCode {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    default:
      return status >= 400 && status < 500 ? 'invalid_input' : 'internal';
  }
}

/**
 * The app's `onError`: maps WeftError codes (and Hono's own HTTPExceptions, such as a malformed
 * JSON body) to statuses. Server-side failures are logged in full and answered with a generic
 * message, because their text may name tables, hosts or worse.
 */
export function createErrorHandler(logger: Logger) {
  return function handleApiError(err: Error, c: Context): Response {
    if (err instanceof HTTPException) {
      const code = codeForHttpStatus(err.status);
      // Hono's exceptions carry statuses like 415 that we keep as they are.
      const message =
        err.status === 415 ? 'the body must be JSON, sent with Content-Type: application/json' : err.message;
      const body: ErrorBody = { error: { code, message: message || 'request rejected' } };
      return c.json(body, err.status as ContentfulStatusCode);
    }
    if (err instanceof WeftError && clientCodes.has(err.code)) {
      return errorResponse(c, { code: err.code, message: err.message, details: err.details });
    }
    if (err instanceof WeftError && (err.code === 'unavailable' || err.code === 'timeout')) {
      // The database (or another dependency) is briefly away: a short line, not a stack per
      // request, and an answer that tells senders to come back rather than give up.
      logger.warn(
        { method: c.req.method, path: c.req.path, code: err.code, reason: err.message },
        'request deferred',
      );
      c.header('Retry-After', String(Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000))));
      return errorResponse(c, { code: err.code, message: 'temporarily unavailable; retry shortly' });
    }
    logger.error(
      { err, method: c.req.method, path: c.req.path, code: err instanceof WeftError ? err.code : 'internal' },
      'request failed',
    );
    const code: ApiErrorCode = err instanceof WeftError ? err.code : 'internal';
    return errorResponse(c, { code, message: 'internal error; the server log has the details' });
  };
}

/** Turns zod issues into the `details.issues` list of a 400. */
export function describeZodError(error: ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
}

/**
 * The `defaultHook` of every route: a request that fails its zod schema gets a 400 naming where
 * (`body`, `query`, `param`) and which fields were wrong.
 */
export function validationHook(
  result:
    | { success: true; data: unknown; target: string }
    | { success: false; error: ZodError; target: string },
  c: Context,
): Response | undefined {
  if (result.success) return undefined;
  const where = result.target === 'json' ? 'body' : result.target;
  const issues = describeZodError(result.error);
  const first = issues[0];
  return errorResponse(c, {
    code: 'invalid_input',
    message: first ? `invalid ${where}: ${first.path}: ${first.message}` : `invalid ${where}`,
    details: { in: where, issues },
  });
}
