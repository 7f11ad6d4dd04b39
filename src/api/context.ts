import type { AuditInput } from '../store/port.js';
import type { TokenRecord } from '../store/records.js';

/** Who is calling: the bearer token that authenticated the request. */
export interface Principal {
  tokenId: string;
  /** The token's name; it is the `actor` of every audit event the request writes. */
  name: string;
  role: TokenRecord['role'];
}

/** Hono environment of the `/api` routes: the auth middleware sets `principal`. */
export interface ApiEnv {
  Variables: { principal: Principal };
}

/**
 * The audit entry of a mutation, written by the Store in the same transaction as the change.
 *
 * @example store.resolveException({ ..., audit: auditEntry({ principal, action: 'exception.resolve', target: id, at: now }) })
 */
export function auditEntry(opts: {
  principal: Principal;
  action: string;
  target: string;
  data?: unknown;
  at: number;
}): AuditInput {
  return {
    actor: opts.principal.name,
    action: opts.action,
    target: opts.target,
    ...(opts.data === undefined ? {} : { data: opts.data }),
    at: opts.at,
  };
}
