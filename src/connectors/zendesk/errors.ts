import type { ClassifyContext } from '../../connector/http-client.js';
import { WeftError } from '../../contract/errors.js';

/**
 * Zendesk's error bodies: `{error: "RecordInvalid", description, details: {field: [{error,
 * description}]}}`, `{error: "RecordNotFound"}`, `{error: "Couldn't authenticate you"}`, and for
 * the webhooks API `{errors: [{code, title, detail}]}`.
 */
interface ZendeskErrorBody {
  error?: string;
  description?: string;
  /** Field → Zendesk's error codes (`BlankValue`, `DuplicateValue`, `InvalidValue`…). */
  fields: Record<string, string[]>;
}

/** Descriptions echo submitted values (`Email: ada@x.com is already being used`); addresses stay out. */
const emailPattern = /[^\s@"']+@[^\s@"']+\.[^\s@"']+/g;

/**
 * Refines the generic status mapping with Zendesk's body: a 422 whose only problem is a
 * `DuplicateValue` is a conflict (the record exists: look it up, do not retry), a 409 from
 * `safe_update` is a final conflict, and the error never carries the raw body, which can hold
 * customer data. Retry-After verdicts (429, 503) pass through unchanged.
 */
export function classifyZendeskError(ctx: ClassifyContext): WeftError {
  const e = readError(ctx.body);
  let code = ctx.error.code;
  let retryable = ctx.error.retryable;
  const codes = Object.values(e.fields).flat();
  if (ctx.status === 422 && codes.length > 0 && codes.every((c) => c === 'DuplicateValue')) code = 'conflict';
  if (ctx.status === 409) {
    code = 'conflict';
    retryable = false;
  }
  const what = [e.error, e.description].filter(Boolean).join(': ') || ctx.error.message;
  const { body: _omitted, ...details } = ctx.error.details;
  return new WeftError({
    code,
    message: `Zendesk ${ctx.status}: ${what.replace(emailPattern, '[email]')}`,
    retryable,
    ...(ctx.error.retryAfterMs === undefined ? {} : { retryAfterMs: ctx.error.retryAfterMs }),
    details: {
      ...details,
      ...(e.error ? { zendeskError: e.error } : {}),
      ...(Object.keys(e.fields).length > 0 ? { fields: e.fields } : {}),
      ...(ctx.headers.get('x-request-id') ? { requestId: ctx.headers.get('x-request-id') } : {}),
    },
  });
}

function readError(body: unknown): ZendeskErrorBody {
  const out: ZendeskErrorBody = { fields: {} };
  if (typeof body !== 'object' || body === null) return out;
  const b = body as Record<string, unknown>;
  if (typeof b.error === 'string') out.error = b.error;
  else if (typeof b.error === 'object' && b.error !== null) {
    const title = (b.error as Record<string, unknown>).title;
    if (typeof title === 'string') out.error = title;
  }
  if (typeof b.description === 'string') out.description = b.description;
  if (typeof b.details === 'object' && b.details !== null) {
    for (const [field, list] of Object.entries(b.details as Record<string, unknown>)) {
      if (!Array.isArray(list)) continue;
      out.fields[field] = list
        .map((x) => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>).error : undefined))
        .filter((x): x is string => typeof x === 'string');
    }
  }
  if (Array.isArray(b.errors)) {
    const first = b.errors[0] as Record<string, unknown> | undefined;
    if (typeof first?.code === 'string') out.error = first.code;
    if (typeof first?.detail === 'string') out.description = first.detail;
  }
  return out;
}
