import type { PublishFlowVersion } from '../port.js';
import type { FlowRecord, FlowVersionRecord } from '../records.js';
import type { Sql } from './connection.js';
import { appendAudit } from './queries-audit.js';
import { type FlowRow, type FlowVersionRow, toFlow, toFlowVersion, toJson } from './rows.js';

/** Flows and their immutable versions. */

const currentVersionSql = `SELECT v.* FROM flows f JOIN flow_versions v ON v.id = f.current_version_id
  WHERE f.name = @flowName`;

/**
 * Publishes a new version unless the flow's current one has the same source hash; then it writes
 * nothing (no audit either), so redeploying unchanged YAML is a no-op.
 */
export function publishFlowVersion(
  sql: Sql,
  input: PublishFlowVersion,
): { version: FlowVersionRecord; created: boolean } {
  const current = sql.get<FlowVersionRow>(currentVersionSql, { flowName: input.flowName });
  if (current !== undefined && current.source_hash === input.sourceHash) {
    return { version: toFlowVersion(current), created: false };
  }
  const max = sql.get<{ v: number | null }>(
    'SELECT max(version) AS v FROM flow_versions WHERE flow_name = @flowName',
    {
      flowName: input.flowName,
    },
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
  sql.run(
    `INSERT INTO flow_versions (id, flow_name, version, source_hash, source, definition, created_at, created_by)
     VALUES (@id, @flowName, @version, @sourceHash, @source, @definition, @createdAt, @createdBy)`,
    { ...version, definition: toJson(version.definition) },
  );
  sql.run(
    `INSERT INTO flows (name, current_version_id, current_version, trigger_kind, created_at, updated_at)
     VALUES (@name, @versionId, @version, @triggerKind, @at, @at)
     ON CONFLICT (name) DO UPDATE SET current_version_id = excluded.current_version_id,
       current_version = excluded.current_version, trigger_kind = excluded.trigger_kind,
       updated_at = excluded.updated_at`,
    {
      name: input.flowName,
      versionId: version.id,
      version: version.version,
      triggerKind: input.definition.trigger.kind,
      at: input.createdAt,
    },
  );
  appendAudit(sql, input.audit);
  return { version, created: true };
}

/** Every flow, by name. */
export function listFlows(sql: Sql): FlowRecord[] {
  return sql.all<FlowRow>('SELECT * FROM flows ORDER BY name').map(toFlow);
}

export function getFlow(sql: Sql, name: string): FlowRecord | null {
  const row = sql.get<FlowRow>('SELECT * FROM flows WHERE name = @name', { name });
  return row === undefined ? null : toFlow(row);
}

/** A flow's versions, newest first. */
export function listFlowVersions(sql: Sql, flowName: string): FlowVersionRecord[] {
  return sql
    .all<FlowVersionRow>('SELECT * FROM flow_versions WHERE flow_name = @flowName ORDER BY version DESC', {
      flowName,
    })
    .map(toFlowVersion);
}

export function getFlowVersion(sql: Sql, id: string): FlowVersionRecord | null {
  const row = sql.get<FlowVersionRow>('SELECT * FROM flow_versions WHERE id = @id', { id });
  return row === undefined ? null : toFlowVersion(row);
}

/** The current version of every flow, by flow name. */
export function currentFlowVersions(sql: Sql): FlowVersionRecord[] {
  return sql
    .all<FlowVersionRow>(
      'SELECT v.* FROM flows f JOIN flow_versions v ON v.id = f.current_version_id ORDER BY f.name',
    )
    .map(toFlowVersion);
}
