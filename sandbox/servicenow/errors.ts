import type { SandboxResponse } from '../common/server.js';

/**
 * ServiceNow's error envelope: `{"error":{"message","detail"},"status":"failure"}` with the HTTP
 * status carrying the kind (400 bad query, 401, 403 ACL, 404, 405, 429, 500).
 */
export function snError(
  status: number,
  message: string,
  detail: string | null = null,
  headers: Record<string, string> = {},
): SandboxResponse {
  return { status, headers, body: { error: { message, detail }, status: 'failure' } };
}

/** The answer for a record that does not exist (or an ACL hides). */
export const noRecord = (): SandboxResponse =>
  snError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");

/** A request the sandbox cannot serve; carried to the route, which answers it. */
export class SnRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail: string | null = null,
  ) {
    super(message);
  }

  toResponse(): SandboxResponse {
    return snError(this.status, this.message, this.detail);
  }
}
