import type { PublishFlowVersion } from '../port.js';
import type { FlowRecord, FlowVersionRecord } from '../records.js';
import { notifyChannel } from './notifier.js';
import { appendAudit } from './queries-audit.js';
import { type FlowRow, type FlowVersionRow, toFlow, toFlowVersion, toJson } from './rows.js';
import type { Sql } from './sql.js';

/** Flows and their immutable versions. */

/**
 * Namespace of Weft's two-key advisory locks (`pg_advisory_xact_lock(namespace, key)`): "weft" in
 * ASCII, so the locks are recognisable in pg_locks and apart from other applications' keys.
 */
export const advisoryNamespace = 0x77656674;

/**
 * Publishes a new version unless the flow's current one has the same source hash; then it writes
 * nothing (no audit either), so redeploying unchanged YAML is a no-op. Publishers of one flow are
 * serialised by an advisory lock: the flow row may not exist yet, so there is no row to lock, and
 * two processes deploying at once must agree on the version number and on "unchanged".
 */
export async function publishFlowVersion(
  sql: Sql,
  input: PublishFlowVersion,
): Promise<{ version: FlowVersionRecord; created: boolean }> {
  await sql.run('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [advisoryNamespace, input.flowName]);
  // Read after the lock: in READ COMMITTED each statement sees what committed before it began.
  const current = await sql.get<FlowVersionRow>(
    `SELECT v.* FROM flows f JOIN flow_versions v ON v.id = f.current_version_id WHERE f.name = $1`,
    [input.flowName],
  );
  if (current !== undefined && current.source_hash === input.sourceHash) {
    return { version: toFlowVersion(current), created: false };
  }
  const max = await sql.get<{ v: number | null }>(
    'SELECT max(version) AS v FROM flow_versions WHERE flow_name = $1',
    [input.flowName],
  );
  const version: FlowVersionRecord = {
    id: input.id,
    flowName: input.flowName,
    version: (max?.v ?? 0) + 1,
    sourceHash: input.sourceHash,
    source: input.source,
    definition: input.definition,
    createdAt: input.createdAt,
    createdBy: input.createdBy,
  };
  await sql.run(
    `WITH inserted AS (
       INSERT INTO flow_versions (id, flow_name, version, source_hash, source, definition, created_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8))
     INSERT INTO flows (name, current_version_id, current_version, trigger_kind, created_at, updated_at)
     VALUES ($2, $1, $3, $9, $7, $7)
     ON CONFLICT (name) DO UPDATE SET current_version_id = excluded.current_version_id,
       current_version = excluded.current_version, trigger_kind = excluded.trigger_kind,
       updated_at = excluded.updated_at`,
    [
      version.id,
      version.flowName,
      version.version,
      version.sourceHash,
      version.source,
      toJson(version.definition),
      version.createdAt,
      version.createdBy,
      input.definition.trigger.kind,
    ],
  );
  await appendAudit(sql, input.audit);
  // Every process's registry refreshes on this (sent at COMMIT, so the version is visible by then).
  await sql.run(`SELECT pg_notify('${notifyChannel}', 'flows')`);
  return { version, created: true };
}

/** Every flow, by name. */
export async function listFlows(sql: Sql): Promise<FlowRecord[]> {
  return (await sql.all<FlowRow>('SELECT * FROM flows ORDER BY name')).map(toFlow);
}

export async function getFlow(sql: Sql, name: string): Promise<FlowRecord | null> {
  const row = await sql.get<FlowRow>('SELECT * FROM flows WHERE name = $1', [name]);
  return row === undefined ? null : toFlow(row);
}

/** A flow's versions, newest first. */
export async function listFlowVersions(sql: Sql, flowName: string): Promise<FlowVersionRecord[]> {
  const rows = await sql.all<FlowVersionRow>(
    'SELECT * FROM flow_versions WHERE flow_name = $1 ORDER BY version DESC',
    [flowName],
  );
  return rows.map(toFlowVersion);
}

export async function getFlowVersion(sql: Sql, id: string): Promise<FlowVersionRecord | null> {
  const row = await sql.get<FlowVersionRow>('SELECT * FROM flow_versions WHERE id = $1', [id]);
  return row === undefined ? null : toFlowVersion(row);
}

/** The current version of every flow, by flow name. */
export async function currentFlowVersions(sql: Sql): Promise<FlowVersionRecord[]> {
  const rows = await sql.all<FlowVersionRow>(
    'SELECT v.* FROM flows f JOIN flow_versions v ON v.id = f.current_version_id ORDER BY f.name',
  );
  return rows.map(toFlowVersion);
}
