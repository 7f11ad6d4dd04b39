import type { ConnectorErrorCode } from '../../connector/connector-error.js';
import type { ClassifyContext } from '../../connector/http-client.js';
import { WeftError } from '../../contract/errors.js';

/**
 * What each Slack error string means for a retry. The Web API answers nearly every failure with
 * HTTP 200 `{ok:false, error}`, so the string is the only signal; unknown strings are final.
 */
const table: Record<string, { code: ConnectorErrorCode; retryable?: boolean }> = {
  not_authed: { code: 'auth' },
  invalid_auth: { code: 'auth' },
  token_revoked: { code: 'auth' },
  token_expired: { code: 'auth' },
  account_inactive: { code: 'auth' },
  not_allowed_token_type: { code: 'auth' },
  org_login_required: { code: 'auth' },
  // An incoming webhook whose secret path is wrong or revoked.
  invalid_token: { code: 'auth' },
  missing_scope: { code: 'forbidden' },
  no_permission: { code: 'forbidden' },
  not_in_channel: { code: 'forbidden' },
  restricted_action: { code: 'forbidden' },
  ekm_access_denied: { code: 'forbidden' },
  access_denied: { code: 'forbidden' },
  action_prohibited: { code: 'forbidden' },
  posting_to_general_channel_denied: { code: 'forbidden' },
  team_disabled: { code: 'forbidden' },
  channel_not_found: { code: 'not_found' },
  message_not_found: { code: 'not_found' },
  thread_not_found: { code: 'not_found' },
  user_not_found: { code: 'not_found' },
  users_not_found: { code: 'not_found' },
  no_service: { code: 'not_found' },
  no_team: { code: 'not_found' },
  is_archived: { code: 'conflict' },
  channel_is_archived: { code: 'conflict' },
  cant_update_message: { code: 'conflict' },
  cant_delete_message: { code: 'conflict' },
  edit_window_closed: { code: 'conflict' },
  compliance_exports_prevent_deletion: { code: 'conflict' },
  ratelimited: { code: 'rate_limited', retryable: true },
  rate_limited: { code: 'rate_limited', retryable: true },
  internal_error: { code: 'unavailable', retryable: true },
  fatal_error: { code: 'unavailable', retryable: true },
  service_unavailable: { code: 'unavailable', retryable: true },
  request_timeout: { code: 'unavailable', retryable: true },
  team_added_to_org: { code: 'unavailable', retryable: true },
  rollup_error: { code: 'unavailable', retryable: true },
};
/** Refusals of the request itself: the same request will fail the same way. */
const invalidInput = new Set([
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_attachments',
  'too_many_attachments',
  'invalid_arguments',
  'invalid_arg_name',
  'invalid_array_arg',
  'invalid_charset',
  'invalid_form_data',
  'invalid_post_type',
  'missing_post_type',
  'invalid_json',
  'json_not_object',
  'invalid_cursor',
  'invalid_limit',
  'invalid_thread_ts',
  'invalid_ts_latest',
  'invalid_ts_oldest',
  'invalid_metadata_format',
  'invalid_metadata_schema',
  'metadata_too_large',
  'metadata_must_be_sent_from_app',
  'user_not_in_channel',
  'invalid_payload',
  'no_service_id',
  'unknown_method',
]);

/** The verdict for one Slack error string. */
export function slackErrorVerdict(error: string): { code: ConnectorErrorCode; retryable: boolean } {
  const known = table[error];
  if (known) return { code: known.code, retryable: known.retryable ?? false };
  if (invalidInput.has(error)) return { code: 'invalid_input', retryable: false };
  return { code: 'http_error', retryable: false };
}

/**
 * The error for an `{ok:false}` answer. The message names the method and Slack's error string;
 * details keep `needed`/`provided` scopes, never the token or the message text.
 */
export function slackApiError(
  method: string,
  body: unknown,
  extra: { retryAfterMs?: number } = {},
): WeftError {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const error = typeof b.error === 'string' ? b.error : 'malformed_response';
  const verdict = slackErrorVerdict(error);
  const scopes = error === 'missing_scope' && typeof b.needed === 'string' ? ` (needs ${b.needed})` : '';
  return new WeftError({
    code: verdict.code,
    retryable: verdict.retryable,
    message: `Slack ${method} failed: ${error}${scopes}`,
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    details: {
      method,
      slackError: error,
      ...(typeof b.needed === 'string' ? { needed: b.needed } : {}),
      ...(typeof b.provided === 'string' ? { provided: b.provided } : {}),
    },
  });
}

/**
 * Non-2xx answers (429 with Retry-After, 5xx): the generic verdict stands (429 retryable with its
 * wait, 5xx retryable); Slack's error string is added, and the raw body is dropped from details.
 */
export function classifySlackHttpError(ctx: ClassifyContext): WeftError {
  const b = ctx.body as { error?: unknown } | null;
  const error = typeof b?.error === 'string' ? b.error : undefined;
  const { body: _omitted, ...details } = ctx.error.details;
  return new WeftError({
    code: ctx.error.code,
    message: error ? `${ctx.error.message} (${error})` : ctx.error.message,
    retryable: ctx.error.retryable,
    ...(ctx.error.retryAfterMs === undefined ? {} : { retryAfterMs: ctx.error.retryAfterMs }),
    details: { ...details, ...(error ? { slackError: error } : {}) },
  });
}
