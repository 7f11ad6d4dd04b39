import type { RowDialect } from './record-mappers.js';
import type { ConnectionLimitsRecord, ConnectionRecord } from './records.js';

/**
 * The `connections` row (migration 004) and its mapping, for both dialects. `J` is how a JSON
 * column arrives (SQLite: text; PostgreSQL: parsed JSONB).
 */
export interface ConnectionRowOf<J> {
  name: string;
  connector: string;
  base_url: string | null;
  settings: J;
  limits: J;
  auth_kind: string;
  auth_fields: J;
  webhook_secrets: number;
  secret: string;
  created_at: number;
  updated_at: number;
}

/** Binds the connection mapper to a dialect's JSON decoder. */
export function connectionMapper<J>(d: Pick<RowDialect<J>, 'json'>) {
  return (r: ConnectionRowOf<J>): ConnectionRecord => ({
    name: r.name,
    connector: r.connector,
    baseUrl: r.base_url,
    settings: d.json<Record<string, string>>(r.settings) ?? {},
    limits: d.json<ConnectionLimitsRecord>(r.limits) ?? {},
    authKind: r.auth_kind,
    authFields: d.json<string[]>(r.auth_fields) ?? [],
    webhookSecretCount: r.webhook_secrets,
    secret: r.secret,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
}
