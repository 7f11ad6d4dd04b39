import { z } from 'zod';
import { AuthConfig } from '../connector/auth.js';
import type { CatalogEntry } from '../connectors/catalog-entry.js';
import { ConnectionName } from '../contract/flow.js';

// One name rule for flows and Connections; re-exported so callers of this module need no other.
export { ConnectionName, ConnectionNamePattern, connectionNameMessage } from '../contract/flow.js';

export const ConnectionLimits = z
  .object({
    requestsPerSecond: z.number().positive().optional(),
    burst: z.number().int().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
  })
  .strict();
export type ConnectionLimits = z.infer<typeof ConnectionLimits>;

/**
 * A Connection as a person declares it (YAML, `PUT /api/connections/{name}`), secrets in clear.
 * It lives in memory only: the store gets it sealed (see codec.ts).
 */
export const ConnectionSpec = z
  .object({
    name: ConnectionName,
    /** A key of the connector catalog (src/connectors/catalog.ts). */
    connector: z.string().min(1),
    /** Defaults to the connector's own base URL; a sandbox URL in development. */
    baseUrl: z.url().optional(),
    /** Credentials: every field except `kind` is a secret. */
    auth: AuthConfig,
    /** Non-secret, connector-specific settings (an account id, a region). */
    settings: z.record(z.string(), z.string()).optional(),
    limits: ConnectionLimits.optional(),
    /** Secrets that verify inbound webhooks from this System: the current one, and the one being rotated out. */
    webhookSecrets: z
      .array(z.string().min(1))
      .max(2, 'at most two: the current secret and the previous one')
      .optional(),
  })
  .strict();
export type ConnectionSpec = z.infer<typeof ConnectionSpec>;

/** A problem of a spec that the schema cannot see: its connector and auth kind against the catalog. */
export interface CatalogProblem {
  path: (string | number)[];
  message: string;
}

/**
 * Checks that the connector exists and accepts the auth kind.
 *
 * @example catalogProblems(spec, connectorCatalog) // [] when usable
 */
export function catalogProblems(
  spec: Pick<ConnectionSpec, 'connector' | 'auth'>,
  catalog: Readonly<Record<string, CatalogEntry>>,
): CatalogProblem[] {
  const entry = Object.hasOwn(catalog, spec.connector) ? catalog[spec.connector] : undefined;
  if (entry === undefined) {
    const known = Object.keys(catalog).sort().join(', ');
    return [{ path: ['connector'], message: `unknown connector '${spec.connector}' (known: ${known})` }];
  }
  const accepted = entry.connector.auth;
  if (!accepted.includes(spec.auth.kind)) {
    return [
      {
        path: ['auth', 'kind'],
        message: `${spec.connector} does not accept auth kind '${spec.auth.kind}' (accepts ${accepted.join(', ')})`,
      },
    ];
  }
  return [];
}

/** What the API and CLI show of a Connection: which secrets are set, never their values. */
export interface ConnectionView {
  name: string;
  connector: string;
  baseUrl: string | null;
  settings: Record<string, string>;
  limits: ConnectionLimits;
  auth: { kind: string; fields: string[] };
  /** How many webhook secrets are set. */
  webhookSecrets: number;
  createdAt: number;
  updatedAt: number;
}
