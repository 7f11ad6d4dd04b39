import type { SerializedError } from '../../contract/errors.js';
import type { Flow } from '../../contract/flow.js';
import type {
  ActionRecord,
  AuditEventRecord,
  EventPayload,
  EventRecord,
  EventSource,
  ExceptionRecord,
  ExceptionStatus,
  FlowRecord,
  FlowVersionRecord,
  JournalEntry,
  RunRecord,
  RunStatus,
  ScheduleStateRecord,
  StepStatus,
  TokenRecord,
} from '../records.js';
import type { SqlValue } from './sql.js';

/**
 * Rows as `pg` returns them from this schema (snake_case; BIGINT already a number, JSONB already
 * parsed) and their mapping to records. Casts from JSONB are the schema's promise, not a check.
 */

/** JSON text for a `$n::jsonb` parameter; `undefined` is stored as JSON null. */
export function toJson(value: unknown): string {
  // Always text: pg would turn a JS array into a PostgreSQL array literal, not JSON.
  return JSON.stringify(value ?? null);
}

/** Like `toJson`, but `undefined`/`null` become SQL NULL (for nullable JSON columns). */
export function toNullableJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export interface FlowVersionRow {
  id: string;
  flow_name: string;
  version: number;
  source_hash: string;
  source: string;
  definition: unknown;
  created_at: number;
  created_by: string;
}

export const toFlowVersion = (r: FlowVersionRow): FlowVersionRecord => ({
  id: r.id,
  flowName: r.flow_name,
  version: r.version,
  sourceHash: r.source_hash,
  source: r.source,
  definition: r.definition as Flow,
  createdAt: r.created_at,
  createdBy: r.created_by,
});

export interface FlowRow {
  name: string;
  current_version_id: string;
  current_version: number;
  trigger_kind: FlowRecord['triggerKind'];
  created_at: number;
  updated_at: number;
}

export const toFlow = (r: FlowRow): FlowRecord => ({
  name: r.name,
  currentVersionId: r.current_version_id,
  currentVersion: r.current_version,
  triggerKind: r.trigger_kind,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export interface EventRow {
  id: string;
  flow_name: string;
  source: EventSource;
  dedupe_key: string | null;
  payload: unknown;
  received_at: number;
}

export const toEvent = (r: EventRow): EventRecord => ({
  id: r.id,
  flowName: r.flow_name,
  source: r.source,
  dedupeKey: r.dedupe_key,
  payload: r.payload as EventPayload,
  receivedAt: r.received_at,
});

export interface RunRow {
  id: string;
  event_id: string;
  flow_name: string;
  flow_version_id: string;
  status: RunStatus;
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  output: unknown;
  error: unknown;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export const toRun = (r: RunRow): RunRecord => ({
  id: r.id,
  eventId: r.event_id,
  flowName: r.flow_name,
  flowVersionId: r.flow_version_id,
  status: r.status,
  runAt: r.run_at,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  output: r.output,
  error: r.error as SerializedError | null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

/**
 * Journal columns to select: `pg` parses both SQL NULL and JSON null to `null`, so whether an edit
 * exists is asked of the database.
 */
export const journalColumns = 'j.*, (j.edited_input IS NOT NULL) AS has_edited_input';

export interface JournalRow {
  run_id: string;
  step_id: string;
  status: StepStatus;
  attempts: number;
  input: unknown;
  output: unknown;
  error: unknown;
  resume_at: number | null;
  edited_input: unknown;
  has_edited_input: boolean;
  started_at: number;
  finished_at: number | null;
}

export const toJournalEntry = (r: JournalRow): JournalEntry => ({
  runId: r.run_id,
  stepId: r.step_id,
  status: r.status,
  attempts: r.attempts,
  input: r.input,
  output: r.output,
  error: r.error as SerializedError | null,
  resumeAt: r.resume_at,
  // Absent unless an edit-and-retry set it; JSON null is a real edit.
  ...(r.has_edited_input ? { editedInput: r.edited_input } : {}),
  startedAt: r.started_at,
  finishedAt: r.finished_at,
});

export interface ActionRow {
  idempotency_key: string;
  run_id: string;
  step_id: string;
  item_key: string;
  attempts: number;
  status: ActionRecord['status'];
  request: unknown;
  response_status: number | null;
  response: unknown;
  first_attempt_at: number;
  last_attempt_at: number;
}

export const toAction = (r: ActionRow): ActionRecord => ({
  idempotencyKey: r.idempotency_key,
  runId: r.run_id,
  stepId: r.step_id,
  itemKey: r.item_key,
  attempts: r.attempts,
  status: r.status,
  request: r.request as ActionRecord['request'],
  responseStatus: r.response_status,
  response: r.response,
  firstAttemptAt: r.first_attempt_at,
  lastAttemptAt: r.last_attempt_at,
});

export interface ExceptionRow {
  id: string;
  run_id: string;
  flow_name: string;
  step_id: string;
  status: ExceptionStatus;
  error: unknown;
  error_code: string;
  input: unknown;
  attempts: number;
  retries: number;
  created_at: number;
  updated_at: number;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
}

export const toException = (r: ExceptionRow): ExceptionRecord => ({
  id: r.id,
  runId: r.run_id,
  flowName: r.flow_name,
  stepId: r.step_id,
  status: r.status,
  error: r.error as SerializedError,
  input: r.input,
  attempts: r.attempts,
  retries: r.retries,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  resolvedAt: r.resolved_at,
  resolvedBy: r.resolved_by,
  resolution: r.resolution,
});

export interface ScheduleStateRow {
  flow_name: string;
  flow_version_id: string;
  last_tick_at: number;
}

export const toScheduleState = (r: ScheduleStateRow): ScheduleStateRecord => ({
  flowName: r.flow_name,
  flowVersionId: r.flow_version_id,
  lastTickAt: r.last_tick_at,
});

export interface TokenRow {
  id: string;
  name: string;
  role: TokenRecord['role'];
  token_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  tokenHash: r.token_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  /** JSON text (see migrations.ts: the hash covers it as written). */
  data: string | null;
  prev_hash: string;
  hash: string;
}

export const toAuditEvent = (r: AuditRow): AuditEventRecord => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  data: r.data === null ? null : (JSON.parse(r.data) as unknown),
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** A LIMIT parameter: a non-negative integer, or null for "no limit" (`LIMIT NULL` is `LIMIT ALL`). */
export function sqlLimit(limit: number | undefined): number | null {
  if (limit === undefined || !Number.isFinite(limit)) return null;
  return Math.max(0, Math.floor(limit));
}

/**
 * WHERE clause and positional parameters for optional equality filters (keys are column names
 * written in code, never user input) and the `before` key, an id cursor (ids sort by creation
 * time). Placeholders are numbered after `offset` parameters the caller binds first.
 */
export function where(
  filters: Record<string, SqlValue | undefined>,
  offset = 0,
): { clause: string; values: SqlValue[] } {
  const parts: string[] = [];
  const values: SqlValue[] = [];
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    values.push(value);
    const placeholder = `$${offset + values.length}`;
    parts.push(column === 'before' ? `id < ${placeholder}` : `${column} = ${placeholder}`);
  }
  return { clause: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, values };
}
