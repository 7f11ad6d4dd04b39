import { WeftError } from '../../contract/errors.js';
import { type ConnectionRowOf, connectionMapper } from '../connection-mappers.js';
import type { AuditInput } from '../port.js';
import type { ConnectionRecord } from '../records.js';
import type { Sql } from './connection.js';
import { appendAudit } from './queries-audit.js';
import { fromJson, toJson } from './rows.js';

/** Connections: configured Connectors, their secrets as ciphertext only. */

type ConnectionRow = ConnectionRowOf<string>;
const toConnection = connectionMapper<string>({ json: fromJson });

export function getConnection(sql: Sql, name: string): ConnectionRecord | null {
  const row = sql.get<ConnectionRow>('SELECT * FROM connections WHERE name = @name', { name });
  return row === undefined ? null : toConnection(row);
}

export function listConnections(sql: Sql): ConnectionRecord[] {
  return sql.all<ConnectionRow>('SELECT * FROM connections ORDER BY name').map(toConnection);
}

/** Creates or replaces; a replacement keeps the first `created_at`. */
export function putConnection(
  sql: Sql,
  input: { record: ConnectionRecord; audit: AuditInput },
): { record: ConnectionRecord; created: boolean } {
  const r = input.record;
  const existing = getConnection(sql, r.name);
  sql.run(
    `INSERT INTO connections (name, connector, base_url, settings, limits, auth_kind, auth_fields,
       webhook_secrets, secret, created_at, updated_at)
     VALUES (@name, @connector, @baseUrl, @settings, @limits, @authKind, @authFields,
       @webhookSecrets, @secret, @createdAt, @updatedAt)
     ON CONFLICT (name) DO UPDATE SET connector = excluded.connector, base_url = excluded.base_url,
       settings = excluded.settings, limits = excluded.limits, auth_kind = excluded.auth_kind,
       auth_fields = excluded.auth_fields, webhook_secrets = excluded.webhook_secrets,
       secret = excluded.secret, updated_at = excluded.updated_at`,
    {
      name: r.name,
      connector: r.connector,
      baseUrl: r.baseUrl,
      settings: toJson(r.settings),
      limits: toJson(r.limits),
      authKind: r.authKind,
      authFields: toJson(r.authFields),
      webhookSecrets: r.webhookSecretCount,
      secret: r.secret,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    },
  );
  appendAudit(sql, input.audit);
  const stored = getConnection(sql, r.name);
  if (stored === null) throw new Error(`connection ${r.name} vanished`);
  return { record: stored, created: existing === null };
}

export function deleteConnection(sql: Sql, input: { name: string; audit: AuditInput }): ConnectionRecord {
  const existing = getConnection(sql, input.name);
  if (existing === null) {
    throw new WeftError({ code: 'not_found', message: `no connection named '${input.name}'` });
  }
  sql.run('DELETE FROM connections WHERE name = @name', { name: input.name });
  appendAudit(sql, input.audit);
  return existing;
}
