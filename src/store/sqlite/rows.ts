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
import type { Params, SqlValue } from './connection.js';

/** Rows as SQLite returns them (snake_case, JSON as text) and their mapping to records. */

/** JSON text of a value; `undefined` is stored as JSON null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/** Like `toJson`, but `undefined`/`null` become SQL NULL (for nullable JSON columns). */
export function toNullableJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Parses a JSON column; SQL NULL reads as null. The cast is the schema's promise, not a check. */
export function fromJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

export interface FlowVersionRow {
  id: string;
  flow_name: string;
  version: number;
  source_hash: string;
  source: string;
  definition: string;
  created_at: number;
  created_by: string;
}

export const toFlowVersion = (r: FlowVersionRow): FlowVersionRecord => ({
  id: r.id,
  flowName: r.flow_name,
  version: r.version,
  sourceHash: r.source_hash,
  source: r.source,
  definition: fromJson<Flow>(r.definition),
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
  payload: string;
  received_at: number;
}

export const toEvent = (r: EventRow): EventRecord => ({
  id: r.id,
  flowName: r.flow_name,
  source: r.source,
  dedupeKey: r.dedupe_key,
  payload: fromJson<EventPayload>(r.payload),
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
  output: string | null;
  error: string | null;
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
  output: fromJson<unknown>(r.output),
  error: fromJson<SerializedError | null>(r.error),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  finishedAt: r.finished_at,
});

export interface JournalRow {
  run_id: string;
  step_id: string;
  status: StepStatus;
  attempts: number;
  input: string;
  output: string;
  error: string | null;
  resume_at: number | null;
  edited_input: string | null;
  started_at: number;
  finished_at: number | null;
}

export const toJournalEntry = (r: JournalRow): JournalEntry => ({
  runId: r.run_id,
  stepId: r.step_id,
  status: r.status,
  attempts: r.attempts,
  input: fromJson<unknown>(r.input),
  output: fromJson<unknown>(r.output),
  error: fromJson<SerializedError | null>(r.error),
  resumeAt: r.resume_at,
  // Absent unless an edit-and-retry set it; JSON null is a real edit.
  ...(r.edited_input === null ? {} : { editedInput: fromJson<unknown>(r.edited_input) }),
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
  request: string;
  response_status: number | null;
  response: string;
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
  request: fromJson<ActionRecord['request']>(r.request),
  responseStatus: r.response_status,
  response: fromJson<unknown>(r.response),
  firstAttemptAt: r.first_attempt_at,
  lastAttemptAt: r.last_attempt_at,
});

export interface ExceptionRow {
  id: string;
  run_id: string;
  flow_name: string;
  step_id: string;
  status: ExceptionStatus;
  error: string;
  error_code: string;
  input: string;
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
  error: fromJson<SerializedError>(r.error),
  input: fromJson<unknown>(r.input),
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
  data: fromJson<unknown>(r.data),
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** SQLite LIMIT: a non-negative integer, or -1 for "no limit". */
export function sqlLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return -1;
  return Math.max(0, Math.floor(limit));
}

/**
 * WHERE clause and parameters for optional equality filters (keys are column names written in code,
 * never user input) and the `before` key, an id cursor (ids sort by creation time).
 */
export function where(filters: Record<string, SqlValue | undefined>): { clause: string; params: Params } {
  const parts: string[] = [];
  const params: Record<string, SqlValue> = {};
  for (const [column, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    const name = `p${parts.length}`;
    parts.push(column === 'before' ? `id < @${name}` : `${column} = @${name}`);
    params[name] = value;
  }
  return { clause: parts.length === 0 ? '' : `WHERE ${parts.join(' AND ')}`, params };
}
