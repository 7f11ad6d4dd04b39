import { WeftError } from '../../contract/errors.js';
import { type ConnectionRowOf, connectionMapper } from '../connection-mappers.js';
import type { AuditInput } from '../port.js';
import type { ConnectionRecord } from '../records.js';
import { notifyChannel } from './notifier.js';
import { appendAudit } from './queries-audit.js';
import { toJson } from './rows.js';
import type { Sql } from './sql.js';

/** Connections: configured Connectors, their secrets as ciphertext only. */

type ConnectionRow = ConnectionRowOf<unknown>;
// JSONB arrives parsed.
const toConnection = connectionMapper<unknown>({ json: <T>(value: unknown): T => value as T });

export async function getConnection(sql: Sql, name: string): Promise<ConnectionRecord | null> {
  const row = await sql.get<ConnectionRow>('SELECT * FROM connections WHERE name = $1', [name]);
  return row === undefined ? null : toConnection(row);
}

export async function listConnections(sql: Sql): Promise<ConnectionRecord[]> {
  return (await sql.all<ConnectionRow>('SELECT * FROM connections ORDER BY name')).map(toConnection);
}

/**
 * Creates or replaces in one upsert; a replacement keeps the first `created_at`. `xmax = 0` tells
 * an inserted row from an updated one. Two processes putting one name at once both succeed, in
 * the order the row lock gives them (last writer wins, each with its audit entry).
 */
export async function putConnection(
  sql: Sql,
  input: { record: ConnectionRecord; audit: AuditInput },
): Promise<{ record: ConnectionRecord; created: boolean }> {
  const r = input.record;
  const row = await sql.get<ConnectionRow & { inserted: boolean }>(
    `INSERT INTO connections (name, connector, base_url, settings, limits, auth_kind, auth_fields,
       webhook_secrets, secret, created_at, updated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7::jsonb, $8, $9, $10, $11)
     ON CONFLICT (name) DO UPDATE SET connector = excluded.connector, base_url = excluded.base_url,
       settings = excluded.settings, limits = excluded.limits, auth_kind = excluded.auth_kind,
       auth_fields = excluded.auth_fields, webhook_secrets = excluded.webhook_secrets,
       secret = excluded.secret, updated_at = excluded.updated_at
     RETURNING *, (xmax = 0) AS inserted`,
    [
      r.name,
      r.connector,
      r.baseUrl,
      toJson(r.settings),
      toJson(r.limits),
      r.authKind,
      toJson(r.authFields),
      r.webhookSecretCount,
      r.secret,
      r.createdAt,
      r.updatedAt,
    ],
  );
  if (row === undefined) throw new Error(`connection ${r.name} vanished`);
  await appendAudit(sql, input.audit);
  // Every process's ConnectionRegistry drops its cache on this (sent at COMMIT).
  await sql.run(`SELECT pg_notify('${notifyChannel}', 'connections')`);
  return { record: toConnection(row), created: row.inserted };
}

export async function deleteConnection(
  sql: Sql,
  input: { name: string; audit: AuditInput },
): Promise<ConnectionRecord> {
  const row = await sql.get<ConnectionRow>('DELETE FROM connections WHERE name = $1 RETURNING *', [
    input.name,
  ]);
  if (row === undefined) {
    throw new WeftError({ code: 'not_found', message: `no connection named '${input.name}'` });
  }
  await appendAudit(sql, input.audit);
  await sql.run(`SELECT pg_notify('${notifyChannel}', 'connections')`);
  return toConnection(row);
}
