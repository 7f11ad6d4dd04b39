import type { SandboxResponse } from '../common/server.js';

/** The RFC 9110 section each status's `type` URL points at, as NetSuite's error bodies do. */
const statusTypes: Record<number, [string, string]> = {
  400: ['https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1', 'Bad Request'],
  401: ['https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2', 'Unauthorized'],
  403: ['https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.4', 'Forbidden'],
  404: ['https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5', 'Not Found'],
  405: ['https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.6', 'Method Not Allowed'],
  429: ['https://www.rfc-editor.org/rfc/rfc6585.html#section-4', 'Too Many Requests'],
  500: ['https://www.rfc-editor.org/rfc/rfc9110.html#section-15.6.1', 'Internal Server Error'],
};

export interface ErrorExtras {
  errorPath?: string;
  errorHeader?: string;
  errorQueryParam?: string;
  urlPath?: string;
}

/**
 * A NetSuite REST error: problem JSON with `o:errorDetails` (detail + `o:errorCode`, optional
 * `o:errorPath` / `o:errorHeader` / `o:errorQueryParam`), sent as
 * `application/vnd.oracle.resource+json; type=error`.
 */
export function nsError(
  status: number,
  code: string,
  detail: string,
  extra: ErrorExtras = {},
): SandboxResponse {
  const [type, title] = statusTypes[status] ?? statusTypes[400] ?? ['', ''];
  return {
    status,
    headers: { 'content-type': 'application/vnd.oracle.resource+json; type=error; charset=UTF-8' },
    body: {
      type,
      title,
      status,
      'o:errorDetails': [
        {
          detail,
          'o:errorCode': code,
          ...(extra.errorPath ? { 'o:errorPath': extra.errorPath } : {}),
          ...(extra.errorHeader ? { 'o:errorHeader': extra.errorHeader } : {}),
          ...(extra.errorQueryParam ? { 'o:errorQueryParam': extra.errorQueryParam } : {}),
          ...(extra.urlPath ? { 'o:urlPath': extra.urlPath } : {}),
        },
      ],
    },
  };
}

/** A validation failure inside a handler; the router turns it into {@link nsError}. */
export class NsFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly extra: ErrorExtras = {},
  ) {
    super(detail);
  }

  toResponse(): SandboxResponse {
    return nsError(this.status, this.code, this.message, this.extra);
  }
}

/** USER_ERROR: what NetSuite answers for a record it refuses to save. */
export function userError(detail: string, errorPath?: string): NsFailure {
  return new NsFailure(400, 'USER_ERROR', detail, errorPath ? { errorPath } : {});
}

export const invalidLogin = (): SandboxResponse =>
  nsError(
    401,
    'INVALID_LOGIN',
    'Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.',
  );
